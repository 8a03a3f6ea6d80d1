import { checkDecoderConfig, checkDecoderWeights, DecoderConfigJson, DecoderWeights, randomDecoderWeights } from '../gpt/decoder-weights';
import { flattenGptWeights, GptShape, GptWeights, gptWeightsFromFlat } from '../gpt/gpt-weights';
import { randomGptWeights } from '../gpt/reference-forward';
import type { LmArchitecture } from './models/architecture';
import { DecoderArchitecture } from './models/decoder-graph';
import { Gpt2Architecture } from './models/gpt2-graph';
import type { GptModelSpec } from './train-types';

/**
 * How the trainer handles one model family's public weights type W (and its fresh-model spec S): the graph
 * architecture, initialisation, and conversion to and from parameters by name.
 */
export interface ModelFamily<W, S> {
  readonly family: LmArchitecture['family'];
  /** Checkpoint format tag. */
  readonly checkpointFormat: string;
  init(spec: S, seed: number): W;
  /** Throws when `spec` describes another architecture than `weights`. */
  checkSpec(spec: S, weights: W): void;
  architecture(weights: W): LmArchitecture;
  /** The architecture description the training report carries (GptShape or config.json keys). */
  describe(weights: W): GptShape | DecoderConfigJson;
  sameArchitecture(a: W, b: W): boolean;
  flatten(weights: W): Map<string, Float32Array>;
  /** Weights of `like`'s architecture holding `flat` (copied). */
  unflatten(like: W, flat: ReadonlyMap<string, Float32Array>): W;
}

const sameGptShape = (a: GptShape, b: GptShape): boolean => (Object.keys(a) as (keyof GptShape)[]).every((k) => a[k] === b[k]);

export const GPT2_FAMILY: ModelFamily<GptWeights, GptModelSpec> = {
  family: 'gpt2',
  checkpointFormat: 'assay-gpt-trainer/1',
  init: (spec, seed) => randomGptWeights({ layerNormEps: 1e-5, ...spec }, seed),
  checkSpec: (spec, weights) => {
    if (!sameGptShape({ layerNormEps: 1e-5, ...spec }, weights.shape)) throw new Error('options.model does not match the shape of initialWeights');
  },
  architecture: (weights) => new Gpt2Architecture(weights.shape),
  describe: (weights) => ({ ...weights.shape }),
  sameArchitecture: (a, b) => sameGptShape(a.shape, b.shape),
  flatten: flattenGptWeights,
  unflatten: (like, flat) => gptWeightsFromFlat(like.shape, flat),
};

/** Llama-family weights with their config (what the decoder trainer takes and returns). */
export interface DecoderModel {
  config: DecoderConfigJson;
  weights: DecoderWeights;
}

const ARCH_KEYS: (keyof DecoderConfigJson)[] = [
  'model_type', 'vocab_size', 'hidden_size', 'intermediate_size', 'num_hidden_layers', 'num_attention_heads', 'num_key_value_heads',
  'head_dim', 'rms_norm_eps', 'rope_theta', 'max_position_embeddings', 'tie_word_embeddings', 'hidden_act', 'attention_bias',
];

export const DECODER_FAMILY: ModelFamily<DecoderModel, DecoderConfigJson> = {
  family: 'llama',
  checkpointFormat: 'assay-decoder-trainer/1',
  init: (config, seed) => ({ config: { ...config }, weights: randomDecoderWeights(config, seed) }),
  checkSpec: (config, model) => {
    const differs = ARCH_KEYS.filter((k) => (config[k] ?? null) !== (model.config[k] ?? null));
    if (differs.length) throw new Error(`options.model does not match the config of initialWeights (${differs.join(', ')})`);
  },
  architecture: (model) => {
    checkDecoderConfig(model.config);
    checkDecoderWeights(model.config, model.weights);
    return new DecoderArchitecture(model.config);
  },
  describe: (model) => ({ ...model.config }),
  sameArchitecture: (a, b) => ARCH_KEYS.every((k) => (a.config[k] ?? null) === (b.config[k] ?? null)),
  flatten: (model) => new Map(Object.entries(model.weights).map(([k, t]) => [k, t.data])),
  unflatten: (like, flat) => ({
    config: { ...like.config },
    weights: Object.fromEntries(
      Object.entries(like.weights).map(([k, t]) => {
        const data = flat.get(k);
        if (!data || data.length !== t.data.length) throw new Error(`weights do not match parameter ${k}`);
        return [k, { shape: [...t.shape], data: new Float32Array(data) }];
      }),
    ),
  }),
};
