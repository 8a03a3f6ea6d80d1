import { checkDecoderConfig, DECODER_FAMILIES, DecoderConfigJson, DecoderFamily } from './decoder-weights';

/** transformers' defaults for keys a config.json may omit, per family (configuration_<family>.py). */
const DEFAULTS: Record<DecoderFamily, Partial<DecoderConfigJson>> = {
  llama: { rms_norm_eps: 1e-6, rope_theta: 10000, tie_word_embeddings: false, max_position_embeddings: 2048 },
  mistral: { rms_norm_eps: 1e-6, rope_theta: 10000, tie_word_embeddings: false, max_position_embeddings: 4096 * 32, sliding_window: 4096 },
  qwen2: { rms_norm_eps: 1e-6, rope_theta: 10000, tie_word_embeddings: false, max_position_embeddings: 32768 },
  qwen3: { rms_norm_eps: 1e-6, rope_theta: 10000, tie_word_embeddings: false, max_position_embeddings: 32768, head_dim: 128 },
  phi3: { rms_norm_eps: 1e-5, rope_theta: 10000, tie_word_embeddings: false, max_position_embeddings: 4096 },
  gemma: { rms_norm_eps: 1e-6, rope_theta: 10000, tie_word_embeddings: true, max_position_embeddings: 8192, head_dim: 256 },
};

const num = (json: Record<string, unknown>, key: string): number | undefined => (typeof json[key] === 'number' ? (json[key] as number) : undefined);
const firstId = (v: unknown): number | undefined => (typeof v === 'number' ? v : Array.isArray(v) && typeof v[0] === 'number' ? v[0] : undefined);

/**
 * A real `config.json` of a supported family (as Optimum or transformers.js exports carry it) as the trainer's
 * {@link DecoderConfigJson}, with transformers' defaults for omitted keys. Throws on an unsupported model_type or
 * activation, naming them.
 */
export function decoderConfigFromJson(json: Record<string, unknown>): DecoderConfigJson {
  const family = json.model_type as DecoderFamily;
  if (!DECODER_FAMILIES.includes(family)) throw new Error(`model_type ${JSON.stringify(json.model_type)} is not supported (supported: ${DECODER_FAMILIES.join(', ')}, gpt2)`);
  const d = DEFAULTS[family];
  const heads = num(json, 'num_attention_heads')!;
  const act = family === 'gemma' ? 'gelu_pytorch_tanh' : ((json.hidden_act as string | undefined) ?? 'silu');
  if (act !== 'silu' && act !== 'gelu_pytorch_tanh') throw new Error(`hidden_act ${act} is not supported`);
  // Qwen2 only uses its sliding window when use_sliding_window is set; Mistral and Phi-3 always do when one is given.
  const window = family === 'mistral' || family === 'phi3' || json.use_sliding_window === true ? (json.sliding_window as number | null | undefined) ?? d.sliding_window ?? null : null;
  const config: DecoderConfigJson = {
    model_type: family,
    vocab_size: num(json, 'vocab_size')!,
    hidden_size: num(json, 'hidden_size')!,
    intermediate_size: num(json, 'intermediate_size')!,
    num_hidden_layers: num(json, 'num_hidden_layers')!,
    num_attention_heads: heads,
    num_key_value_heads: num(json, 'num_key_value_heads') ?? heads,
    head_dim: num(json, 'head_dim') ?? (family === 'qwen3' || family === 'gemma' ? d.head_dim : undefined),
    rms_norm_eps: num(json, 'rms_norm_eps') ?? d.rms_norm_eps!,
    rope_theta: num(json, 'rope_theta') ?? d.rope_theta!,
    max_position_embeddings: num(json, 'max_position_embeddings') ?? d.max_position_embeddings!,
    tie_word_embeddings: typeof json.tie_word_embeddings === 'boolean' ? json.tie_word_embeddings : d.tie_word_embeddings!,
    hidden_act: act,
    ...(typeof json.attention_bias === 'boolean' ? { attention_bias: json.attention_bias } : {}),
    ...(num(json, 'partial_rotary_factor') !== undefined ? { partial_rotary_factor: num(json, 'partial_rotary_factor') } : {}),
    ...(json.rope_scaling ? { rope_scaling: json.rope_scaling as DecoderConfigJson['rope_scaling'] } : {}),
    ...(window ? { sliding_window: window } : {}),
    ...(firstId(json.bos_token_id) !== undefined ? { bos_token_id: firstId(json.bos_token_id) } : {}),
    ...(firstId(json.eos_token_id) !== undefined ? { eos_token_id: firstId(json.eos_token_id) } : {}),
    ...(num(json, 'pad_token_id') !== undefined ? { pad_token_id: num(json, 'pad_token_id') } : {}),
  };
  checkDecoderConfig(config);
  return config;
}
