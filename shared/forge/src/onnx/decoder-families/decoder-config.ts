/**
 * The decoder families forge exports (and the runtime serves), described once in TypeScript and written as
 * the Hugging Face `config.json` each family's `transformers` class reads (LlamaConfig, MistralConfig,
 * Qwen2Config, Qwen3Config, Phi3Config, GemmaConfig): the same keys, the same defaults.
 */
export const DECODER_FAMILIES = ['llama', 'mistral', 'qwen2', 'qwen3', 'phi3', 'gemma'] as const;
export type DecoderFamily = (typeof DECODER_FAMILIES)[number];

/** `rope_scaling` as HF writes it; only what changes the rotary frequencies of these families. */
export type RopeScaling = { rope_type: 'linear'; factor: number } | { rope_type: 'llama3'; factor: number; low_freq_factor: number; high_freq_factor: number; original_max_position_embeddings: number };

export interface DecoderConfig {
  family: DecoderFamily;
  vocabSize: number;
  /** Model width D (`hidden_size`). */
  hiddenSize: number;
  /** MLP width (`intermediate_size`). */
  intermediateSize: number;
  layers: number;
  /** Query heads (`num_attention_heads`). */
  heads: number;
  /** Key/value heads (`num_key_value_heads`); fewer than `heads` is grouped-query attention. Default: heads. */
  kvHeads?: number;
  /** Per-head width (`head_dim`). Default hiddenSize / heads (Gemma and Qwen3 often set it otherwise). */
  headDim?: number;
  /** `max_position_embeddings`: the context length. */
  maxPositions: number;
  /** Default 1e-6 for gemma and qwen2/3, 1e-5 otherwise. */
  rmsNormEps?: number;
  /** Default 10000 (qwen2/3: 1000000). */
  ropeTheta?: number;
  ropeScaling?: RopeScaling | null;
  /** phi3 only (Phi-4-mini style partial rotary); default 1. */
  partialRotaryFactor?: number;
  /** LM head shares the token embedding. Gemma always does; default false elsewhere. */
  tieWordEmbeddings?: boolean;
  /** llama only: biases on q/k/v/o (`attention_bias`). qwen2 always has q/k/v biases. */
  attentionBias?: boolean;
  /** mistral (and phi3): attend to at most this many previous positions; null/undefined = full attention. */
  slidingWindow?: number | null;
  bosTokenId?: number;
  eosTokenId: number | number[];
  padTokenId?: number;
}

/** Everything defaulted: what the exporter and the reference forward actually use. */
export interface ResolvedDecoderConfig extends Required<Omit<DecoderConfig, 'bosTokenId' | 'padTokenId' | 'ropeScaling' | 'slidingWindow'>> {
  bosTokenId?: number;
  padTokenId?: number;
  ropeScaling: RopeScaling | null;
  slidingWindow: number | null;
  /** Rotary dimensions per head (headDim × partialRotaryFactor, even). */
  rotaryDim: number;
  /** q/k/v projections carry biases. */
  qkvBias: boolean;
  /** o_proj carries a bias. */
  outputBias: boolean;
  /** Gemma: RMSNorm scales by (1 + w), embeddings by √D, MLP uses tanh-GELU. */
  gemmaStyle: boolean;
  /** Qwen3: RMSNorm over head_dim on queries and keys before the rotation. */
  qkNorm: boolean;
}

const HF_CLASS: Record<DecoderFamily, string> = {
  llama: 'LlamaForCausalLM',
  mistral: 'MistralForCausalLM',
  qwen2: 'Qwen2ForCausalLM',
  qwen3: 'Qwen3ForCausalLM',
  phi3: 'Phi3ForCausalLM',
  gemma: 'GemmaForCausalLM',
};

function positive(value: number | undefined, what: string): number {
  if (value === undefined || !Number.isInteger(value) || value <= 0) throw new Error(`decoder config: ${what} must be a positive integer, got ${value}`);
  return value;
}

export function resolveDecoderConfig(config: DecoderConfig): ResolvedDecoderConfig {
  const { family } = config;
  if (!DECODER_FAMILIES.includes(family)) throw new Error(`decoder config: unknown family ${JSON.stringify(family)}; known: ${DECODER_FAMILIES.join(', ')}`);
  const heads = positive(config.heads, 'heads');
  const kvHeads = positive(config.kvHeads ?? heads, 'kvHeads');
  if (heads % kvHeads !== 0) throw new Error(`decoder config: kvHeads ${kvHeads} must divide heads ${heads}`);
  const hiddenSize = positive(config.hiddenSize, 'hiddenSize');
  if (config.headDim === undefined && hiddenSize % heads !== 0) throw new Error(`decoder config: heads ${heads} must divide hiddenSize ${hiddenSize} (or give headDim)`);
  const headDim = positive(config.headDim ?? hiddenSize / heads, 'headDim');
  if (headDim % 2 !== 0) throw new Error(`decoder config: headDim ${headDim} must be even (rotary pairs)`);
  const partialRotaryFactor = family === 'phi3' ? (config.partialRotaryFactor ?? 1) : 1;
  const rotaryDim = 2 * Math.floor((headDim * partialRotaryFactor) / 2);
  if (rotaryDim <= 0) throw new Error(`decoder config: partialRotaryFactor ${partialRotaryFactor} leaves no rotary dimensions`);
  const qwen = family === 'qwen2' || family === 'qwen3';
  const gemmaStyle = family === 'gemma';
  const rmsNormEps = config.rmsNormEps ?? (gemmaStyle || qwen ? 1e-6 : 1e-5);
  const ropeTheta = config.ropeTheta ?? (qwen ? 1_000_000 : 10_000);
  if (!(rmsNormEps > 0) || !(ropeTheta > 0)) throw new Error(`decoder config: rmsNormEps and ropeTheta must be positive, got ${rmsNormEps} and ${ropeTheta}`);
  const slidingWindow = config.slidingWindow ?? null;
  if (slidingWindow !== null && !(Number.isInteger(slidingWindow) && slidingWindow > 0)) throw new Error(`decoder config: slidingWindow must be a positive integer or null, got ${slidingWindow}`);
  const ropeScaling = config.ropeScaling ?? null;
  if (ropeScaling && ropeScaling.rope_type !== 'linear' && ropeScaling.rope_type !== 'llama3') {
    throw new Error(`decoder config: rope_scaling type ${JSON.stringify((ropeScaling as { rope_type: unknown }).rope_type)} is not supported`);
  }
  return {
    family,
    vocabSize: positive(config.vocabSize, 'vocabSize'),
    hiddenSize,
    intermediateSize: positive(config.intermediateSize, 'intermediateSize'),
    layers: positive(config.layers, 'layers'),
    heads,
    kvHeads,
    headDim,
    maxPositions: positive(config.maxPositions, 'maxPositions'),
    rmsNormEps,
    ropeTheta,
    ropeScaling,
    partialRotaryFactor,
    tieWordEmbeddings: gemmaStyle ? true : (config.tieWordEmbeddings ?? false),
    attentionBias: config.attentionBias ?? false,
    slidingWindow,
    bosTokenId: config.bosTokenId,
    eosTokenId: config.eosTokenId,
    padTokenId: config.padTokenId,
    rotaryDim,
    qkvBias: family === 'qwen2' || (family === 'llama' && config.attentionBias === true),
    outputBias: family === 'llama' && config.attentionBias === true,
    gemmaStyle,
    qkNorm: family === 'qwen3',
  };
}

/**
 * Rotary inverse frequencies θ^(−2i/d) for i < d/2, with the `rope_scaling` rules of transformers'
 * `ROPE_INIT_FUNCTIONS` (default, linear, llama3), in float64.
 */
export function ropeInverseFrequencies(config: ResolvedDecoderConfig): Float64Array {
  const d = config.rotaryDim;
  const inv = Float64Array.from({ length: d / 2 }, (_, i) => 1 / config.ropeTheta ** ((2 * i) / d));
  const scaling = config.ropeScaling;
  if (!scaling) return inv;
  if (scaling.rope_type === 'linear') return inv.map((f) => f / scaling.factor);
  if (scaling.rope_type === 'llama3') {
    const { factor, low_freq_factor: low, high_freq_factor: high, original_max_position_embeddings: original } = scaling;
    const lowWavelen = original / low;
    const highWavelen = original / high;
    return inv.map((f) => {
      const wavelen = (2 * Math.PI) / f;
      if (wavelen < highWavelen) return f;
      if (wavelen > lowWavelen) return f / factor;
      const smooth = (original / wavelen - low) / (high - low);
      return (1 - smooth) * (f / factor) + smooth * f;
    });
  }
  throw new Error(`decoder config: rope_scaling type ${JSON.stringify((scaling as { rope_type: unknown }).rope_type)} is not supported`);
}

/** HF `config.json` for the family, with the keys and values `transformers` writes. */
export function hfDecoderConfigJson(input: DecoderConfig, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const c = resolveDecoderConfig(input);
  const common: Record<string, unknown> = {
    architectures: [HF_CLASS[c.family]],
    model_type: c.family,
    vocab_size: c.vocabSize,
    hidden_size: c.hiddenSize,
    intermediate_size: c.intermediateSize,
    num_hidden_layers: c.layers,
    num_attention_heads: c.heads,
    num_key_value_heads: c.kvHeads,
    max_position_embeddings: c.maxPositions,
    rms_norm_eps: c.rmsNormEps,
    rope_theta: c.ropeTheta,
    hidden_act: c.gemmaStyle ? 'gelu_pytorch_tanh' : 'silu',
    attention_dropout: 0.0,
    initializer_range: 0.02,
    tie_word_embeddings: c.tieWordEmbeddings,
    use_cache: true,
    torch_dtype: 'float32',
    bos_token_id: c.bosTokenId ?? null,
    eos_token_id: c.eosTokenId,
    ...(c.padTokenId !== undefined ? { pad_token_id: c.padTokenId } : {}),
  };
  const specific: Record<DecoderFamily, Record<string, unknown>> = {
    llama: { head_dim: c.headDim, rope_scaling: c.ropeScaling, attention_bias: c.attentionBias, mlp_bias: false, pretraining_tp: 1 },
    mistral: { head_dim: c.headDim, sliding_window: c.slidingWindow },
    qwen2: { sliding_window: c.slidingWindow, use_sliding_window: false, max_window_layers: c.layers, rope_scaling: c.ropeScaling },
    qwen3: { head_dim: c.headDim, attention_bias: false, sliding_window: c.slidingWindow, use_sliding_window: false, max_window_layers: c.layers, rope_scaling: c.ropeScaling },
    phi3: {
      rope_scaling: c.ropeScaling,
      partial_rotary_factor: c.partialRotaryFactor,
      original_max_position_embeddings: c.maxPositions,
      sliding_window: c.slidingWindow,
      resid_pdrop: 0.0,
      embd_pdrop: 0.0,
    },
    gemma: { head_dim: c.headDim, hidden_activation: 'gelu_pytorch_tanh', attention_bias: false },
  };
  if (c.family === 'qwen2' && c.headDim !== c.hiddenSize / c.heads) throw new Error('decoder config: qwen2 has no head_dim key; headDim must be hiddenSize / heads');
  if (c.family === 'phi3' && c.headDim !== c.hiddenSize / c.heads) throw new Error('decoder config: phi3 has no head_dim key; headDim must be hiddenSize / heads');
  return { ...common, ...specific[c.family], ...extra };
}

/** transformers' defaults for the keys a config.json may omit, per family (configuration_<family>.py). */
const HF_DEFAULTS: Record<DecoderFamily, { rmsNormEps: number; maxPositions: number; tieWordEmbeddings: boolean; headDim?: number; slidingWindow?: number }> = {
  llama: { rmsNormEps: 1e-6, maxPositions: 2048, tieWordEmbeddings: false },
  mistral: { rmsNormEps: 1e-6, maxPositions: 4096 * 32, tieWordEmbeddings: false, slidingWindow: 4096 },
  qwen2: { rmsNormEps: 1e-6, maxPositions: 32768, tieWordEmbeddings: false },
  qwen3: { rmsNormEps: 1e-6, maxPositions: 32768, tieWordEmbeddings: false, headDim: 128 },
  phi3: { rmsNormEps: 1e-5, maxPositions: 4096, tieWordEmbeddings: false },
  gemma: { rmsNormEps: 1e-6, maxPositions: 8192, tieWordEmbeddings: true, headDim: 256 },
};
const HF_ROPE_THETA = 10000;

function num(json: Record<string, unknown>, key: string): number | undefined {
  const v = json[key];
  return typeof v === 'number' ? v : undefined;
}

function positiveKey(json: Record<string, unknown>, key: string): number {
  const v = json[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`config.json ${key} must be a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

const firstId = (v: unknown): number | undefined => (typeof v === 'number' ? v : Array.isArray(v) && typeof v[0] === 'number' ? v[0] : undefined);

/** `rope_scaling` as written by any transformers version (`type` or `rope_type`; llama3 keys defaulted). */
function ropeScalingFromHf(value: unknown): RopeScaling | null {
  if (!value || typeof value !== 'object') return null;
  const s = value as Record<string, unknown>;
  const type = s.rope_type ?? s.type ?? 'default';
  const factor = s.factor as number;
  if (type === 'default') return null;
  if (type === 'linear') return { rope_type: 'linear', factor };
  if (type === 'llama3') {
    const key = (k: string, fallback: number) => (typeof s[k] === 'number' ? (s[k] as number) : fallback);
    return { rope_type: 'llama3', factor, low_freq_factor: key('low_freq_factor', 1), high_freq_factor: key('high_freq_factor', 4), original_max_position_embeddings: key('original_max_position_embeddings', 8192) };
  }
  throw new Error(`config.json rope_scaling type ${String(type)} is not supported (supported: default, linear, llama3)`);
}

/**
 * Reads a family's HF `config.json` (the inverse of {@link hfDecoderConfigJson}, and any real Optimum or
 * transformers.js export), with transformers' defaults for omitted keys. Throws naming the key it cannot use: an
 * unsupported model_type, activation or rope scaling, a missing size.
 */
export function decoderConfigFromHf(json: Record<string, unknown>): DecoderConfig {
  const family = json.model_type as DecoderFamily;
  if (!DECODER_FAMILIES.includes(family)) throw new Error(`config.json model_type ${JSON.stringify(json.model_type)} is not supported (supported: ${DECODER_FAMILIES.join(', ')})`);
  const defaults = HF_DEFAULTS[family];
  // Gemma's MLP is always tanh-GELU (whatever hidden_act says); the others gate with SiLU.
  const act = json.hidden_act ?? 'silu';
  if (family !== 'gemma' && act !== 'silu') throw new Error(`config.json hidden_act ${String(act)} is not supported for ${family} (silu only)`);
  const heads = positiveKey(json, 'num_attention_heads');
  const kvHeads = json.num_key_value_heads === undefined || json.num_key_value_heads === null ? heads : positiveKey(json, 'num_key_value_heads');
  if (heads % kvHeads !== 0) throw new Error(`config.json num_key_value_heads (${kvHeads}) must divide num_attention_heads (${heads})`);
  // Mistral and Phi-3 use a window whenever one is given (an omitted key is the family's default); Qwen2/3 only
  // with use_sliding_window.
  const usesWindow = family === 'mistral' || family === 'phi3' || json.use_sliding_window === true;
  const window = json.sliding_window === undefined ? defaults.slidingWindow : (json.sliding_window as number | null);
  const eos = json.eos_token_id;
  const config: DecoderConfig = {
    family,
    vocabSize: positiveKey(json, 'vocab_size'),
    hiddenSize: positiveKey(json, 'hidden_size'),
    intermediateSize: positiveKey(json, 'intermediate_size'),
    layers: positiveKey(json, 'num_hidden_layers'),
    heads,
    kvHeads,
    headDim: num(json, 'head_dim') ?? defaults.headDim,
    maxPositions: num(json, 'max_position_embeddings') ?? defaults.maxPositions,
    rmsNormEps: num(json, 'rms_norm_eps') ?? defaults.rmsNormEps,
    ropeTheta: num(json, 'rope_theta') ?? HF_ROPE_THETA,
    ropeScaling: ropeScalingFromHf(json.rope_scaling),
    partialRotaryFactor: num(json, 'partial_rotary_factor'),
    tieWordEmbeddings: typeof json.tie_word_embeddings === 'boolean' ? json.tie_word_embeddings : defaults.tieWordEmbeddings,
    attentionBias: typeof json.attention_bias === 'boolean' ? json.attention_bias : undefined,
    slidingWindow: usesWindow ? (window ?? null) : null,
    bosTokenId: firstId(json.bos_token_id),
    eosTokenId: Array.isArray(eos) ? (eos as number[]) : (eos as number),
    padTokenId: num(json, 'pad_token_id'),
  };
  resolveDecoderConfig(config);
  return config;
}
