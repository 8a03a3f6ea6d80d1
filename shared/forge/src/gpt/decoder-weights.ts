import { SeededRng } from '../train/rng';

/**
 * Llama-family decoders (Llama, Mistral, Qwen2, Qwen3, Phi-3, Gemma) in Hugging Face terms: the config is
 * `config.json`'s keys (snake_case, as transformers writes them; see {@link decoderConfigFromJson} for real files)
 * and the weights are a state dict, `Record<name, {shape, data}>` with PyTorch names and orientation (a Linear's
 * weight is [out, in], y = x·Wᵀ):
 *
 *   model.embed_tokens.weight [V, D]                      model.norm.weight [D]      lm_head.weight [V, D] (untied)
 *   model.layers.N.input_layernorm.weight [D]             model.layers.N.post_attention_layernorm.weight [D]
 *   model.layers.N.self_attn.{q,k,v,o}_proj.weight        (q/k/v biases: Qwen2, or Llama with attention_bias, which
 *   model.layers.N.mlp.{gate,up,down}_proj.weight          also biases o_proj; Qwen3 adds self_attn.{q,k}_norm.weight)
 *   Phi-3 fuses self_attn.qkv_proj.weight [(H+2K)·hd, D] and mlp.gate_up_proj.weight [2I, D].
 *
 * This is the form the trainer produces and the family exporter (shared/forge/src/onnx) consumes.
 */
export interface DecoderConfigJson {
  model_type: DecoderFamily;
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  /** Grouped-query attention: key/value heads (divides num_attention_heads). */
  num_key_value_heads: number;
  /** Defaults to hidden_size / num_attention_heads. */
  head_dim?: number;
  rms_norm_eps: number;
  rope_theta: number;
  max_position_embeddings: number;
  tie_word_embeddings: boolean;
  /** MLP activation on the gate: silu (Llama, Mistral, Qwen2, Phi-3) or gelu_pytorch_tanh (Gemma). */
  hidden_act: 'silu' | 'gelu_pytorch_tanh';
  /** Llama: biases on q/k/v/o (Qwen2 always has q/k/v biases and no such key). */
  attention_bias?: boolean;
  /** Phi-3: rotate only this fraction of each head (default 1). */
  partial_rotary_factor?: number;
  /** Rotary frequency scaling as transformers writes it (linear, llama3). */
  rope_scaling?: { rope_type?: string; type?: string; factor: number; low_freq_factor?: number; high_freq_factor?: number; original_max_position_embeddings?: number } | null;
  /** Mistral / Phi-3: attend to at most this many positions back (null = full causal attention). */
  sliding_window?: number | null;
  bos_token_id?: number;
  eos_token_id?: number;
  pad_token_id?: number;
}

export const DECODER_FAMILIES = ['llama', 'mistral', 'qwen2', 'qwen3', 'phi3', 'gemma'] as const;
export type DecoderFamily = (typeof DECODER_FAMILIES)[number];

export interface NamedTensor {
  shape: number[];
  data: Float32Array;
}
/** A Hugging Face-named state dict. */
export type DecoderWeights = Record<string, NamedTensor>;

export const headDim = (c: DecoderConfigJson): number => c.head_dim ?? c.hidden_size / c.num_attention_heads;
/** Gemma scales embeddings by √hidden and stores RMSNorm gains as offsets from 1. */
export const isGemma = (c: DecoderConfigJson): boolean => c.model_type === 'gemma';
/** q/k/v projections carry biases (Qwen2 always; Llama with attention_bias). */
export const hasQkvBias = (c: DecoderConfigJson): boolean => c.model_type === 'qwen2' || (c.model_type === 'llama' && c.attention_bias === true);
/** o_proj carries a bias (Llama with attention_bias). */
export const hasOutputBias = (c: DecoderConfigJson): boolean => c.model_type === 'llama' && c.attention_bias === true;
/** Qwen3 RMS-normalises each query and key head before the rotation. */
export const hasQkNorm = (c: DecoderConfigJson): boolean => c.model_type === 'qwen3';
/** Phi-3 stores q|k|v and gate|up as fused projections. */
export const isFused = (c: DecoderConfigJson): boolean => c.model_type === 'phi3';
/** Rotated dimensions per head (Phi-3's partial_rotary_factor; even). */
export const rotaryDim = (c: DecoderConfigJson): number => 2 * Math.floor((headDim(c) * (c.model_type === 'phi3' ? c.partial_rotary_factor ?? 1 : 1)) / 2);

/** Checks the integer structure of a config; throws with the offending key. */
export function checkDecoderConfig(c: DecoderConfigJson): void {
  if (!DECODER_FAMILIES.includes(c.model_type)) throw new Error(`unsupported model_type ${String(c.model_type)} (supported: ${DECODER_FAMILIES.join(', ')})`);
  for (const key of ['vocab_size', 'hidden_size', 'intermediate_size', 'num_hidden_layers', 'num_attention_heads', 'num_key_value_heads', 'max_position_embeddings'] as const) {
    if (!Number.isInteger(c[key]) || c[key] < 1) throw new Error(`config ${key} must be a positive integer, got ${c[key]}`);
  }
  if (c.num_attention_heads % c.num_key_value_heads !== 0) throw new Error(`num_key_value_heads (${c.num_key_value_heads}) must divide num_attention_heads (${c.num_attention_heads})`);
  const hd = headDim(c);
  if (!Number.isInteger(hd) || hd % 2 !== 0) throw new Error(`head_dim must be an even integer, got ${hd}`);
  if (rotaryDim(c) <= 0) throw new Error('partial_rotary_factor leaves no rotary dimensions');
  if (c.sliding_window !== undefined && c.sliding_window !== null && !(Number.isInteger(c.sliding_window) && c.sliding_window > 0)) throw new Error(`sliding_window must be a positive integer or null, got ${c.sliding_window}`);
  ropeInverseFrequencies(c);
  if (!(c.rms_norm_eps > 0) || !(c.rope_theta > 0)) throw new Error('rms_norm_eps and rope_theta must be positive');
  if (c.hidden_act !== 'silu' && c.hidden_act !== 'gelu_pytorch_tanh') throw new Error(`unsupported hidden_act ${String(c.hidden_act)}`);
}

export interface DecoderParamSpec {
  name: string;
  shape: number[];
  /** AdamW decays matrices, not norm gains or biases. */
  decay: boolean;
}

/** Every parameter of a decoder, in a fixed order (embeddings, layers, final norm, untied head). */
export function decoderParamSpecs(c: DecoderConfigJson): DecoderParamSpec[] {
  const D = c.hidden_size;
  const hd = headDim(c);
  const q = c.num_attention_heads * hd;
  const kv = c.num_key_value_heads * hd;
  const I = c.intermediate_size;
  const out: DecoderParamSpec[] = [{ name: 'model.embed_tokens.weight', shape: [c.vocab_size, D], decay: true }];
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `model.layers.${l}`;
    out.push({ name: `${p}.input_layernorm.weight`, shape: [D], decay: false });
    if (isFused(c)) {
      out.push({ name: `${p}.self_attn.qkv_proj.weight`, shape: [q + 2 * kv, D], decay: true });
    } else {
      out.push({ name: `${p}.self_attn.q_proj.weight`, shape: [q, D], decay: true });
      out.push({ name: `${p}.self_attn.k_proj.weight`, shape: [kv, D], decay: true });
      out.push({ name: `${p}.self_attn.v_proj.weight`, shape: [kv, D], decay: true });
      if (hasQkvBias(c)) {
        out.push({ name: `${p}.self_attn.q_proj.bias`, shape: [q], decay: false });
        out.push({ name: `${p}.self_attn.k_proj.bias`, shape: [kv], decay: false });
        out.push({ name: `${p}.self_attn.v_proj.bias`, shape: [kv], decay: false });
      }
    }
    if (hasQkNorm(c)) {
      out.push({ name: `${p}.self_attn.q_norm.weight`, shape: [headDim(c)], decay: false });
      out.push({ name: `${p}.self_attn.k_norm.weight`, shape: [headDim(c)], decay: false });
    }
    out.push({ name: `${p}.self_attn.o_proj.weight`, shape: [D, q], decay: true });
    if (hasOutputBias(c)) out.push({ name: `${p}.self_attn.o_proj.bias`, shape: [D], decay: false });
    out.push({ name: `${p}.post_attention_layernorm.weight`, shape: [D], decay: false });
    if (isFused(c)) {
      out.push({ name: `${p}.mlp.gate_up_proj.weight`, shape: [2 * I, D], decay: true });
    } else {
      out.push({ name: `${p}.mlp.gate_proj.weight`, shape: [I, D], decay: true });
      out.push({ name: `${p}.mlp.up_proj.weight`, shape: [I, D], decay: true });
    }
    out.push({ name: `${p}.mlp.down_proj.weight`, shape: [D, I], decay: true });
  }
  out.push({ name: 'model.norm.weight', shape: [D], decay: false });
  if (!c.tie_word_embeddings) out.push({ name: 'lm_head.weight', shape: [c.vocab_size, D], decay: true });
  return out;
}

export interface RandomDecoderOptions {
  /** Standard deviation of the matrices (transformers: initializer_range 0.02). */
  std?: number;
  /** Also randomise norm gains and biases (tests, so that errors in them show in the logits). */
  randomizeAffine?: boolean;
}

/**
 * Seeded initialisation as transformers does it: normal(0, std) matrices, zero biases, norm gains 1 (0 in
 * Gemma's offset form).
 */
export function randomDecoderWeights(c: DecoderConfigJson, seed = 0, options: RandomDecoderOptions = {}): DecoderWeights {
  checkDecoderConfig(c);
  const std = options.std ?? 0.02;
  const rng = new SeededRng(seed);
  const out: DecoderWeights = {};
  for (const spec of decoderParamSpecs(c)) {
    const data = new Float32Array(spec.shape.reduce((a, b) => a * b, 1));
    if (spec.decay) for (let i = 0; i < data.length; i++) data[i] = rng.normal() * std;
    else {
      if (spec.name.endsWith('norm.weight') && !isGemma(c)) data.fill(1);
      if (options.randomizeAffine) for (let i = 0; i < data.length; i++) data[i] += 0.1 * rng.normal();
    }
    out[spec.name] = { shape: spec.shape, data };
  }
  return out;
}

/** Throws unless `weights` has exactly the parameters of `c` with their shapes. */
export function checkDecoderWeights(c: DecoderConfigJson, weights: DecoderWeights): void {
  const specs = decoderParamSpecs(c);
  for (const spec of specs) {
    const w = weights[spec.name];
    if (!w) throw new Error(`weights lack ${spec.name}`);
    if (w.shape.join() !== spec.shape.join() || w.data.length !== spec.shape.reduce((a, b) => a * b, 1)) {
      throw new Error(`${spec.name} has shape [${w.shape}], expected [${spec.shape}]`);
    }
  }
  const known = new Set(specs.map((s) => s.name));
  const extra = Object.keys(weights).filter((k) => !known.has(k));
  if (extra.length) throw new Error(`weights have parameters the config does not describe: ${extra.slice(0, 5).join(', ')}`);
}

/**
 * Rotary inverse frequencies θ^(−2i/d) for i < d/2 (d = rotary dims), float32 as transformers computes them, with
 * rope_scaling's linear and llama3 rules (transformers' ROPE_INIT_FUNCTIONS).
 */
export function ropeInverseFrequencies(c: DecoderConfigJson): Float32Array {
  const d = rotaryDim(c);
  const inv = Float32Array.from({ length: d / 2 }, (_, i) => 1 / Math.fround(c.rope_theta ** ((2 * i) / d)));
  const scaling = c.rope_scaling;
  const type = scaling?.rope_type ?? scaling?.type ?? 'default';
  if (!scaling || type === 'default') return inv;
  if (type === 'linear') return inv.map((f) => f / scaling.factor);
  if (type === 'llama3') {
    const { factor, low_freq_factor: low = 1, high_freq_factor: high = 4, original_max_position_embeddings: original = 8192 } = scaling;
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
  throw new Error(`rope_scaling type ${type} is not supported (supported: default, linear, llama3)`);
}

/** cos and sin tables [T, rotary dims] for positions 0..T-1 (HF: frequencies repeated over both halves). */
export function ropeTables(c: DecoderConfigJson, length: number): { cos: Float32Array; sin: Float32Array } {
  const d = rotaryDim(c);
  const half = d / 2;
  const inv = ropeInverseFrequencies(c);
  const cos = new Float32Array(length * d);
  const sin = new Float32Array(length * d);
  for (let pos = 0; pos < length; pos++) {
    for (let i = 0; i < half; i++) {
      const angle = Math.fround(pos * inv[i]);
      cos[pos * d + i] = cos[pos * d + i + half] = Math.cos(angle);
      sin[pos * d + i] = sin[pos * d + i + half] = Math.sin(angle);
    }
  }
  return { cos, sin };
}
