import { RuntimeError } from '../errors';
import { LOGITS_FROM_INPUT } from '../prepare/logits-window';
import { asFloat32, zeroTensor } from './float-tensors';
import {
  FeedTensor,
  FloatType,
  ForwardInputs,
  ForwardOutputs,
  InferenceBackend,
  KvNames,
  ModelIo,
  DecoderRunner,
  ModelShape,
  ModelSignature,
  PastKeyValues,
} from './model-runner';

/** Config keys of one architecture, in Hugging Face's spelling. */
export interface DecoderConfigKeys {
  vocabSize: string;
  contextLength: string[];
  layers: string;
  heads: string;
  hiddenSize: string;
  /** Key/value heads for grouped-query attention; absent from the config means as many as `heads`. */
  kvHeads?: string;
  /** Per-head width; absent from the config means hiddenSize / heads. */
  headDim?: string;
}

export const GPT2_CONFIG_KEYS: DecoderConfigKeys = {
  vocabSize: 'vocab_size',
  contextLength: ['n_positions', 'n_ctx'],
  layers: 'n_layer',
  heads: 'n_head',
  hiddenSize: 'n_embd',
};

/** The keys LlamaConfig, MistralConfig, Qwen2Config, Qwen3Config, Phi3Config and GemmaConfig share. */
export const HF_DECODER_CONFIG_KEYS: DecoderConfigKeys = {
  vocabSize: 'vocab_size',
  contextLength: ['max_position_embeddings'],
  layers: 'num_hidden_layers',
  heads: 'num_attention_heads',
  hiddenSize: 'hidden_size',
  kvHeads: 'num_key_value_heads',
  headDim: 'head_dim',
};

const PAST_NAME = /^past_key_values\.(\d+)\.(key|value)$/;
/** Optimum's merged decoders switch between the first pass and the cached passes with this input. */
const USE_CACHE_BRANCH = 'use_cache_branch';

function floatType(type: string): FloatType | undefined {
  return type === 'float32' || type === 'float16' ? type : undefined;
}

function invalidDir(message: string, details?: Record<string, unknown>): RuntimeError {
  return new RuntimeError('MODEL_DIR_INVALID', message, details);
}

function positiveInt(config: Record<string, unknown>, key: string): number {
  const value = config[key];
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw invalidDir(`config.json: "${key}" must be a positive integer, got ${JSON.stringify(value)}`, { key });
  }
  return value;
}

/** An optional positive integer: absent or null gives undefined. */
function optionalPositiveInt(config: Record<string, unknown>, key: string | undefined): number | undefined {
  if (key === undefined || config[key] === undefined || config[key] === null) return undefined;
  return positiveInt(config, key);
}

function tokenIds(value: unknown): number[] {
  if (typeof value === 'number' && Number.isInteger(value)) return [value];
  if (Array.isArray(value)) return value.filter((v): v is number => typeof v === 'number' && Number.isInteger(v));
  return [];
}

/**
 * The decoder-only runner for Hugging Face Optimum ONNX exports (`text-generation` and
 * `text-generation-with-past`): input_ids, attention_mask, optional position_ids, optional
 * past_key_values.<i>.key|value → logits, present.<i>.key|value, plus our optional hidden-states output.
 */
export class OptimumDecoderRunner implements DecoderRunner {
  readonly task = 'text-generation' as const;

  constructor(
    readonly architecture: string,
    private readonly keys: DecoderConfigKeys,
  ) {}

  parseConfig(config: Record<string, unknown>, generationConfig: Record<string, unknown>): ModelShape {
    const contextKey = this.keys.contextLength.find((k) => config[k] !== undefined && config[k] !== null);
    if (!contextKey) throw invalidDir(`config.json: none of ${this.keys.contextLength.join(', ')} is set`);
    const heads = positiveInt(config, this.keys.heads);
    const hiddenSize = positiveInt(config, this.keys.hiddenSize);
    const headDim = optionalPositiveInt(config, this.keys.headDim);
    if (headDim === undefined && hiddenSize % heads !== 0) throw invalidDir(`config.json: ${this.keys.hiddenSize}=${hiddenSize} is not divisible by ${this.keys.heads}=${heads}`);
    const kvHeads = optionalPositiveInt(config, this.keys.kvHeads) ?? heads;
    if (heads % kvHeads !== 0) throw invalidDir(`config.json: ${this.keys.kvHeads}=${kvHeads} does not divide ${this.keys.heads}=${heads}`);
    const ropeTheta = typeof config.rope_theta === 'number' ? config.rope_theta : undefined;
    const eos = [...new Set([...tokenIds(config.eos_token_id), ...tokenIds(generationConfig.eos_token_id)])];
    const bos = tokenIds(config.bos_token_id ?? generationConfig.bos_token_id)[0];
    const pad = tokenIds(config.pad_token_id ?? generationConfig.pad_token_id)[0] ?? eos[0] ?? 0;
    const shape: ModelShape = {
      architecture: this.architecture,
      vocabSize: positiveInt(config, this.keys.vocabSize),
      contextLength: positiveInt(config, contextKey),
      layers: positiveInt(config, this.keys.layers),
      heads,
      kvHeads,
      headDim: headDim ?? hiddenSize / heads,
      hiddenSize,
      ...(ropeTheta !== undefined ? { ropeTheta } : {}),
      bosTokenId: bos,
      eosTokenIds: eos,
      padTokenId: pad,
    };
    for (const [what, id] of [['bos_token_id', bos], ['pad_token_id', pad], ...eos.map((e) => ['eos_token_id', e] as const)] as const) {
      if (id !== undefined && (id < 0 || id >= shape.vocabSize)) throw invalidDir(`config.json: ${what}=${id} is outside the vocabulary (${shape.vocabSize})`);
    }
    return shape;
  }

  describeIo(signature: ModelSignature, shape: ModelShape, config: Record<string, unknown>): ModelIo {
    const inputs = new Map(signature.inputs.map((t) => [t.name, t]));
    const outputs = new Map(signature.outputs.map((t) => [t.name, t]));
    const bad = (message: string): RuntimeError =>
      new RuntimeError('MODEL_SIGNATURE_INVALID', message, { inputs: [...inputs.keys()], outputs: [...outputs.keys()] });
    for (const name of ['input_ids', 'attention_mask']) {
      const input = inputs.get(name);
      if (!input) throw bad(`the graph has no "${name}" input`);
      if (input.type !== 'int64') throw bad(`the graph's "${name}" input is ${input.type}, expected int64`);
    }
    const logits = outputs.get('logits');
    if (!logits) throw bad('the graph has no "logits" output');
    const logitsType = floatType(logits.type);
    if (!logitsType) throw bad(`the graph's logits are ${logits.type}, expected float32 or float16`);
    const logitsVocab = logits.shape[logits.shape.length - 1];
    if (typeof logitsVocab === 'number' && logitsVocab !== shape.vocabSize) {
      throw bad(`the graph's logits have ${logitsVocab} columns but config.json vocab_size is ${shape.vocabSize}`);
    }

    const pastByLayer = new Map<number, Partial<KvNames>>();
    for (const [name, input] of inputs) {
      const match = PAST_NAME.exec(name);
      if (match) {
        const layer = Number(match[1]);
        pastByLayer.set(layer, { ...pastByLayer.get(layer), [match[2]]: name });
      } else if (name === USE_CACHE_BRANCH) {
        if (input.type !== 'bool') throw bad(`the graph's "${name}" input is ${input.type}, expected bool`);
      } else if (name === LOGITS_FROM_INPUT) {
        if (input.type !== 'int64') throw bad(`the graph's "${name}" input is ${input.type}, expected int64`);
      } else if (!['input_ids', 'attention_mask', 'position_ids'].includes(name)) {
        throw bad(`the graph has an input this runner does not know how to feed: "${name}"`);
      }
    }
    const pastInputs: KvNames[] = [];
    const presentOutputs: KvNames[] = [];
    let kvType: FloatType = 'float32';
    if (pastByLayer.size > 0) {
      if (pastByLayer.size !== shape.layers) throw bad(`the graph has past inputs for ${pastByLayer.size} layers, config.json says ${shape.layers}`);
      const first = inputs.get(`past_key_values.0.key`);
      kvType = floatType(first?.type ?? '') ?? ('unknown' as FloatType);
      if (kvType !== 'float32' && kvType !== 'float16') throw bad(`past_key_values are ${first?.type}, expected float32 or float16`);
      for (let layer = 0; layer < shape.layers; layer++) {
        const past = pastByLayer.get(layer);
        if (!past?.key || !past.value) throw bad(`the graph lacks past_key_values.${layer}.key/value`);
        const present = { key: `present.${layer}.key`, value: `present.${layer}.value` };
        if (!outputs.has(present.key) || !outputs.has(present.value)) throw bad(`the graph has past inputs but no ${present.key}/${present.value} outputs`);
        for (const name of [past.key, past.value, present.key, present.value]) {
          const tensor = inputs.get(name) ?? outputs.get(name)!;
          if (tensor.type !== kvType) throw bad(`${name} is ${tensor.type} but past_key_values.0.key is ${kvType}`);
          // [batch, kv heads, length, head dim]: the fixed sizes must be what config.json says.
          const [, heads, , width] = tensor.shape;
          if (typeof heads === 'number' && heads !== shape.kvHeads) {
            throw bad(`${name} has ${heads} key/value heads but config.json says ${this.keys.kvHeads ?? this.keys.heads}=${shape.kvHeads}`);
          }
          if (typeof width === 'number' && width !== shape.headDim) throw bad(`${name} has head size ${width} but config.json gives ${shape.headDim}`);
        }
        pastInputs.push({ key: past.key, value: past.value });
        presentOutputs.push(present);
      }
    }
    if (inputs.has(USE_CACHE_BRANCH) && pastInputs.length === 0) throw bad(`the graph has "${USE_CACHE_BRANCH}" but no past_key_values inputs`);

    const assay = (config.assay ?? {}) as Record<string, unknown>;
    const hiddenName = typeof assay.hidden_states_output === 'string' ? assay.hidden_states_output : undefined;
    if (hiddenName !== undefined) {
      const hidden = outputs.get(hiddenName);
      if (!hidden) throw bad(`config.json names hidden-states output "${hiddenName}" but the graph has none (run \`assay models prepare\` on the directory)`);
      const width = hidden.shape[hidden.shape.length - 1];
      if (typeof width === 'number' && width !== shape.hiddenSize) throw bad(`hidden-states output "${hiddenName}" has width ${width}, config.json says ${shape.hiddenSize}`);
      if (!floatType(hidden.type)) throw bad(`hidden-states output "${hiddenName}" is ${hidden.type}, expected float32 or float16`);
    }
    return {
      inputIds: 'input_ids',
      attentionMask: 'attention_mask',
      positionIds: inputs.has('position_ids') ? 'position_ids' : undefined,
      useCacheBranch: inputs.has(USE_CACHE_BRANCH) ? USE_CACHE_BRANCH : undefined,
      logitsFrom: inputs.has(LOGITS_FROM_INPUT) ? LOGITS_FROM_INPUT : undefined,
      logits: 'logits',
      hiddenStates: hiddenName,
      pastInputs,
      presentOutputs,
      kvHeads: shape.kvHeads,
      headDim: shape.headDim,
      kvType,
    };
  }

  async forward(backend: InferenceBackend, io: ModelIo, inputs: ForwardInputs): Promise<ForwardOutputs> {
    const { batch, seqLen } = inputs;
    const pastLength = inputs.past?.length ?? 0;
    const feeds: Record<string, FeedTensor> = {
      [io.inputIds]: { type: 'int64', data: inputs.inputIds, dims: [batch, seqLen] },
      [io.attentionMask]: { type: 'int64', data: inputs.attentionMask, dims: [batch, pastLength + seqLen] },
    };
    if (io.positionIds) feeds[io.positionIds] = { type: 'int64', data: inputs.positionIds, dims: [batch, seqLen] };
    if (io.useCacheBranch) feeds[io.useCacheBranch] = { type: 'bool', data: Uint8Array.of(pastLength > 0 ? 1 : 0), dims: [1] };
    if (io.logitsFrom) feeds[io.logitsFrom] = { type: 'int64', data: BigInt64Array.of(BigInt(Math.max(0, Math.min(seqLen - 1, inputs.logitsFrom ?? 0)))), dims: [] };
    if (pastLength > 0 && io.pastInputs.length === 0) throw new Error('a past cache was given to a model without past inputs');
    const empty = zeroTensor(io.kvType, [batch, io.kvHeads, 0, io.headDim]);
    io.pastInputs.forEach((names, layer) => {
      const cached = inputs.past && pastLength > 0 ? inputs.past.layers[layer] : { key: empty, value: empty };
      feeds[names.key] = cached.key;
      feeds[names.value] = cached.value;
    });
    const wantPresent = inputs.wantPresent !== false && io.presentOutputs.length > 0;
    const fetches = [io.logits, ...(wantPresent ? io.presentOutputs.flatMap((p) => [p.key, p.value]) : [])];
    const wantHidden = inputs.wantHiddenStates === true && io.hiddenStates !== undefined;
    if (wantHidden) fetches.push(io.hiddenStates!);
    const out = await backend.run(feeds, fetches);
    const logits = out[io.logits];
    const present: PastKeyValues | undefined =
      wantPresent
        ? { length: pastLength + seqLen, layers: io.presentOutputs.map((p) => ({ key: out[p.key], value: out[p.value] })) }
        : undefined;
    return {
      logits: asFloat32(logits),
      vocab: logits.dims[logits.dims.length - 1],
      logitsPositions: logits.dims[1],
      hiddenStates: wantHidden ? asFloat32(out[io.hiddenStates!]) : undefined,
      present,
    };
  }
}
