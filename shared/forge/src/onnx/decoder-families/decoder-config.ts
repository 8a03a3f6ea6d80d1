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
    rmsNormEps: config.rmsNormEps ?? (gemmaStyle || qwen ? 1e-6 : 1e-5),
    ropeTheta: config.ropeTheta ?? (qwen ? 1_000_000 : 10_000),
    ropeScaling: config.ropeScaling ?? null,
    partialRotaryFactor,
    tieWordEmbeddings: gemmaStyle ? true : (config.tieWordEmbeddings ?? false),
    attentionBias: config.attentionBias ?? false,
    slidingWindow: config.slidingWindow ?? null,
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

function num(json: Record<string, unknown>, key: string): number | undefined {
  const v = json[key];
  return typeof v === 'number' ? v : undefined;
}

/** Reads a family's HF `config.json` back (the inverse of {@link hfDecoderConfigJson}, for any real export too). */
export function decoderConfigFromHf(json: Record<string, unknown>): DecoderConfig {
  const family = json.model_type as DecoderFamily;
  if (!DECODER_FAMILIES.includes(family)) throw new Error(`config.json model_type ${JSON.stringify(json.model_type)} is not one of ${DECODER_FAMILIES.join(', ')}`);
  const eos = json.eos_token_id;
  return {
    family,
    vocabSize: num(json, 'vocab_size')!,
    hiddenSize: num(json, 'hidden_size')!,
    intermediateSize: num(json, 'intermediate_size')!,
    layers: num(json, 'num_hidden_layers')!,
    heads: num(json, 'num_attention_heads')!,
    kvHeads: num(json, 'num_key_value_heads'),
    headDim: num(json, 'head_dim'),
    maxPositions: num(json, 'max_position_embeddings')!,
    rmsNormEps: num(json, 'rms_norm_eps'),
    ropeTheta: num(json, 'rope_theta'),
    ropeScaling: (json.rope_scaling as RopeScaling | null | undefined) ?? null,
    partialRotaryFactor: num(json, 'partial_rotary_factor'),
    tieWordEmbeddings: typeof json.tie_word_embeddings === 'boolean' ? json.tie_word_embeddings : undefined,
    attentionBias: typeof json.attention_bias === 'boolean' ? json.attention_bias : undefined,
    slidingWindow: family === 'mistral' || family === 'phi3' ? (num(json, 'sliding_window') ?? null) : null,
    bosTokenId: num(json, 'bos_token_id'),
    eosTokenId: Array.isArray(eos) ? (eos as number[]) : (eos as number),
    padTokenId: num(json, 'pad_token_id'),
  };
}
