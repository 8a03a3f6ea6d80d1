import { RuntimeError } from '../errors';
import {
  FeedTensor,
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
}

export const GPT2_CONFIG_KEYS: DecoderConfigKeys = {
  vocabSize: 'vocab_size',
  contextLength: ['n_positions', 'n_ctx'],
  layers: 'n_layer',
  heads: 'n_head',
  hiddenSize: 'n_embd',
};

const PAST_NAME = /^past_key_values\.(\d+)\.(key|value)$/;

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
    if (hiddenSize % heads !== 0) throw invalidDir(`config.json: ${this.keys.hiddenSize}=${hiddenSize} is not divisible by ${this.keys.heads}=${heads}`);
    const eos = [...new Set([...tokenIds(config.eos_token_id), ...tokenIds(generationConfig.eos_token_id)])];
    const bos = tokenIds(config.bos_token_id ?? generationConfig.bos_token_id)[0];
    const pad = tokenIds(config.pad_token_id ?? generationConfig.pad_token_id)[0] ?? eos[0] ?? 0;
    const shape: ModelShape = {
      architecture: this.architecture,
      vocabSize: positiveInt(config, this.keys.vocabSize),
      contextLength: positiveInt(config, contextKey),
      layers: positiveInt(config, this.keys.layers),
      heads,
      hiddenSize,
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
    for (const name of ['input_ids', 'attention_mask']) if (!inputs.has(name)) throw bad(`model.onnx has no "${name}" input`);
    if (!outputs.has('logits')) throw bad('model.onnx has no "logits" output');
    const logitsDims = outputs.get('logits')!.shape;
    const logitsVocab = logitsDims[logitsDims.length - 1];
    if (typeof logitsVocab === 'number' && logitsVocab !== shape.vocabSize) {
      throw bad(`model.onnx logits have ${logitsVocab} columns but config.json vocab_size is ${shape.vocabSize}`);
    }

    const pastByLayer = new Map<number, Partial<KvNames>>();
    for (const name of inputs.keys()) {
      const match = PAST_NAME.exec(name);
      if (match) {
        const layer = Number(match[1]);
        pastByLayer.set(layer, { ...pastByLayer.get(layer), [match[2]]: name });
      } else if (!['input_ids', 'attention_mask', 'position_ids'].includes(name)) {
        throw bad(`model.onnx has an input this runner does not know how to feed: "${name}"`);
      }
    }
    const pastInputs: KvNames[] = [];
    const presentOutputs: KvNames[] = [];
    if (pastByLayer.size > 0) {
      if (pastByLayer.size !== shape.layers) throw bad(`model.onnx has past inputs for ${pastByLayer.size} layers, config.json says ${shape.layers}`);
      for (let layer = 0; layer < shape.layers; layer++) {
        const past = pastByLayer.get(layer);
        if (!past?.key || !past.value) throw bad(`model.onnx lacks past_key_values.${layer}.key/value`);
        const present = { key: `present.${layer}.key`, value: `present.${layer}.value` };
        if (!outputs.has(present.key) || !outputs.has(present.value)) throw bad(`model.onnx has past inputs but no ${present.key}/${present.value} outputs`);
        pastInputs.push({ key: past.key, value: past.value });
        presentOutputs.push(present);
      }
    }

    const assay = (config.assay ?? {}) as Record<string, unknown>;
    const hiddenName = typeof assay.hidden_states_output === 'string' ? assay.hidden_states_output : undefined;
    if (hiddenName !== undefined && !outputs.has(hiddenName)) throw bad(`config.json names hidden-states output "${hiddenName}" but model.onnx has none`);

    // KV heads/head size from the graph when fixed (grouped-query exports differ from n_head), else from config.
    const pastDims = pastInputs.length > 0 ? inputs.get(pastInputs[0].key)!.shape : [];
    const kvHeads = typeof pastDims[1] === 'number' ? pastDims[1] : shape.heads;
    const headDim = typeof pastDims[3] === 'number' ? pastDims[3] : shape.hiddenSize / shape.heads;
    return {
      inputIds: 'input_ids',
      attentionMask: 'attention_mask',
      positionIds: inputs.has('position_ids') ? 'position_ids' : undefined,
      logits: 'logits',
      hiddenStates: hiddenName,
      pastInputs,
      presentOutputs,
      kvHeads,
      headDim,
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
    if (pastLength > 0 && io.pastInputs.length === 0) throw new Error('a past cache was given to a model without past inputs');
    const empty = { data: new Float32Array(0), dims: [batch, io.kvHeads, 0, io.headDim] };
    io.pastInputs.forEach((names, layer) => {
      const cached = inputs.past && pastLength > 0 ? inputs.past.layers[layer] : { key: empty, value: empty };
      feeds[names.key] = { type: 'float32', ...cached.key };
      feeds[names.value] = { type: 'float32', ...cached.value };
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
      logits: logits.data,
      vocab: logits.dims[logits.dims.length - 1],
      hiddenStates: wantHidden ? out[io.hiddenStates!].data : undefined,
      present,
    };
  }
}
