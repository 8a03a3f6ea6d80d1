import { checkDecoderWeights, DecoderConfig, DecoderWeights, resolveDecoderConfig, ResolvedDecoderConfig } from '../onnx/decoder-families';
import { flattenGptWeights, GptShape, GptWeights, gptWeightsFromFlat } from '../gpt/gpt-weights';
import { randomGptWeights } from '../gpt/reference-forward';
import type { LmArchitecture } from './models/architecture';
import { DecoderArchitecture } from './models/decoder-graph';
import { initDecoderWeights } from './models/decoder-params';
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
  /** The architecture description the training report carries (GptShape or DecoderConfig). */
  describe(weights: W): GptShape | DecoderConfig;
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

/** Llama-family weights with their config (what the decoder trainer takes and returns, and the exporter writes). */
export interface DecoderModel {
  config: DecoderConfig;
  weights: DecoderWeights;
}

const ARCH_KEYS: (keyof ResolvedDecoderConfig)[] = [
  'family', 'vocabSize', 'hiddenSize', 'intermediateSize', 'layers', 'heads', 'kvHeads', 'headDim', 'rmsNormEps', 'ropeTheta', 'maxPositions', 'tieWordEmbeddings', 'attentionBias',
];

/** The architecture keys on which two configs differ (defaults resolved). */
function architectureDiff(a: DecoderConfig, b: DecoderConfig): string[] {
  const [ra, rb] = [resolveDecoderConfig(a), resolveDecoderConfig(b)];
  return ARCH_KEYS.filter((k) => ra[k] !== rb[k]);
}

export const DECODER_FAMILY: ModelFamily<DecoderModel, DecoderConfig> = {
  family: 'llama',
  checkpointFormat: 'assay-decoder-trainer/1',
  init: (config, seed) => ({ config: { ...config }, weights: initDecoderWeights(config, seed) }),
  checkSpec: (config, model) => {
    const differs = architectureDiff(config, model.config);
    if (differs.length) throw new Error(`options.model does not match the config of initialWeights (${differs.join(', ')})`);
  },
  architecture: (model) => {
    checkDecoderWeights(model.weights, model.config);
    // The exporter tolerates a tied model's lm_head.weight; the trainer would not know what to do with it.
    if (resolveDecoderConfig(model.config).tieWordEmbeddings && model.weights['lm_head.weight']) throw new Error('weights have lm_head.weight, but the config ties the LM head to the embeddings');
    return new DecoderArchitecture(model.config);
  },
  describe: (model) => ({ ...model.config }),
  sameArchitecture: (a, b) => architectureDiff(a.config, b.config).length === 0,
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
