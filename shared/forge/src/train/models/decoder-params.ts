import { DecoderConfig, decoderWeightShapes, DecoderWeights, resolveDecoderConfig, ResolvedDecoderConfig, ropeInverseFrequencies } from '../../onnx/decoder-families';
import { SeededRng } from '../rng';
import type { ParamSpec } from './architecture';

/**
 * The trainer's view of a llama-family state dict (names and shapes: {@link decoderWeightShapes}): its parameters
 * in the training graph's order, transformers-style initialisation, and the float32 rotary tables of the graph.
 */

/** Order of a layer's tensors in the training graph (and so in initialisation): attention, then MLP. */
const LAYER_ORDER = [
  'input_layernorm.weight',
  'self_attn.qkv_proj.weight',
  'self_attn.q_proj.weight',
  'self_attn.k_proj.weight',
  'self_attn.v_proj.weight',
  'self_attn.q_proj.bias',
  'self_attn.k_proj.bias',
  'self_attn.v_proj.bias',
  'self_attn.q_norm.weight',
  'self_attn.k_norm.weight',
  'self_attn.o_proj.weight',
  'self_attn.o_proj.bias',
  'post_attention_layernorm.weight',
  'mlp.gate_up_proj.weight',
  'mlp.gate_proj.weight',
  'mlp.up_proj.weight',
  'mlp.down_proj.weight',
];

/** Embeddings first, then layer by layer in {@link LAYER_ORDER}, then the final norm and the untied head. */
function paramRank(name: string): number {
  if (name === 'model.embed_tokens.weight') return -1;
  const layer = /^model\.layers\.(\d+)\.(.+)$/.exec(name);
  if (layer) return Number(layer[1]) * LAYER_ORDER.length + LAYER_ORDER.indexOf(layer[2]);
  return Number.MAX_SAFE_INTEGER - (name === 'model.norm.weight' ? 1 : 0);
}

/** Every parameter of a decoder in the trainer's fixed order; AdamW decays the matrices, not norm gains or biases. */
export function decoderParamSpecs(config: DecoderConfig | ResolvedDecoderConfig): ParamSpec[] {
  return [...decoderWeightShapes(config)]
    .map(([name, shape]) => ({ name, shape, decay: shape.length > 1 }))
    .sort((a, b) => paramRank(a.name) - paramRank(b.name));
}

export interface InitDecoderOptions {
  /** Standard deviation of the matrices (transformers: initializer_range 0.02). */
  std?: number;
  /** Also randomise norm gains and biases (tests, so that errors in them show in the logits). */
  randomizeAffine?: boolean;
}

/**
 * Seeded initialisation as transformers does it: normal(0, std) matrices, zero biases, norm gains 1 (0 in
 * Gemma's offset form).
 */
export function initDecoderWeights(config: DecoderConfig, seed = 0, options: InitDecoderOptions = {}): DecoderWeights {
  const c = resolveDecoderConfig(config);
  const std = options.std ?? 0.02;
  const rng = new SeededRng(seed);
  const out: DecoderWeights = {};
  for (const spec of decoderParamSpecs(c)) {
    const data = new Float32Array(spec.shape.reduce((a, b) => a * b, 1));
    if (spec.decay) for (let i = 0; i < data.length; i++) data[i] = rng.normal() * std;
    else {
      if (spec.name.endsWith('norm.weight') && !c.gemmaStyle) data.fill(1);
      if (options.randomizeAffine) for (let i = 0; i < data.length; i++) data[i] += 0.1 * rng.normal();
    }
    out[spec.name] = { shape: spec.shape, data };
  }
  return out;
}

/**
 * cos and sin tables [T, rotary dims] for positions 0..T-1 in float32, as transformers computes them (HF:
 * frequencies repeated over both halves).
 */
export function ropeTables(c: ResolvedDecoderConfig, length: number): { cos: Float32Array; sin: Float32Array } {
  const d = c.rotaryDim;
  const half = d / 2;
  const inv = Float32Array.from(ropeInverseFrequencies(c));
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
