import { Rng } from '@assay/stats';
import { DecoderConfig, resolveDecoderConfig, ResolvedDecoderConfig } from './decoder-config';

/**
 * A decoder's parameters as a Hugging Face state dict: names as `transformers` spells them
 * (`model.layers.0.self_attn.q_proj.weight`), shapes in PyTorch's layout (a Linear weight is
 * [out_features, in_features]; y = x·Wᵀ + b), row-major float32. This is the exporter's stable input:
 * whatever trains a model (forge's trainer, an import from another export) hands its weights over in this form.
 */
export interface DecoderTensor {
  shape: number[];
  data: Float32Array;
}
export type DecoderWeights = Record<string, DecoderTensor>;

const layerPrefix = (l: number) => `model.layers.${l}`;

/** Every tensor the family's state dict has, with its shape (lm_head.weight only when untied). */
export function decoderWeightShapes(input: DecoderConfig | ResolvedDecoderConfig): Map<string, number[]> {
  const c = 'rotaryDim' in input ? input : resolveDecoderConfig(input);
  const { hiddenSize: D, intermediateSize: I, headDim: hd, heads: H, kvHeads: K, vocabSize: V } = c;
  const shapes = new Map<string, number[]>([['model.embed_tokens.weight', [V, D]]]);
  for (let l = 0; l < c.layers; l++) {
    const p = layerPrefix(l);
    shapes.set(`${p}.input_layernorm.weight`, [D]);
    shapes.set(`${p}.post_attention_layernorm.weight`, [D]);
    if (c.family === 'phi3') {
      shapes.set(`${p}.self_attn.qkv_proj.weight`, [(H + 2 * K) * hd, D]);
      shapes.set(`${p}.mlp.gate_up_proj.weight`, [2 * I, D]);
    } else {
      shapes.set(`${p}.self_attn.q_proj.weight`, [H * hd, D]);
      shapes.set(`${p}.self_attn.k_proj.weight`, [K * hd, D]);
      shapes.set(`${p}.self_attn.v_proj.weight`, [K * hd, D]);
      if (c.qkvBias) {
        shapes.set(`${p}.self_attn.q_proj.bias`, [H * hd]);
        shapes.set(`${p}.self_attn.k_proj.bias`, [K * hd]);
        shapes.set(`${p}.self_attn.v_proj.bias`, [K * hd]);
      }
      shapes.set(`${p}.mlp.gate_proj.weight`, [I, D]);
      shapes.set(`${p}.mlp.up_proj.weight`, [I, D]);
    }
    if (c.qkNorm) {
      shapes.set(`${p}.self_attn.q_norm.weight`, [hd]);
      shapes.set(`${p}.self_attn.k_norm.weight`, [hd]);
    }
    shapes.set(`${p}.self_attn.o_proj.weight`, [D, H * hd]);
    if (c.outputBias) shapes.set(`${p}.self_attn.o_proj.bias`, [D]);
    shapes.set(`${p}.mlp.down_proj.weight`, [D, I]);
  }
  shapes.set('model.norm.weight', [D]);
  if (!c.tieWordEmbeddings) shapes.set('lm_head.weight', [V, D]);
  return shapes;
}

/**
 * Throws naming the first problem: a missing tensor, a wrong shape, a data length that does not match, a
 * non-finite value. `lm_head.weight` of a tied model is ignored (safetensors files usually omit it anyway).
 */
export function checkDecoderWeights(weights: DecoderWeights, config: DecoderConfig | ResolvedDecoderConfig): void {
  const expected = decoderWeightShapes(config);
  for (const [name, shape] of expected) {
    const tensor = weights[name];
    if (!tensor) throw new Error(`decoder weights: missing ${name} [${shape}]`);
    if (tensor.shape.length !== shape.length || tensor.shape.some((d, i) => d !== shape[i])) {
      throw new Error(`decoder weights: ${name} has shape [${tensor.shape}], expected [${shape}]`);
    }
    if (tensor.data.length !== shape.reduce((a, b) => a * b, 1)) throw new Error(`decoder weights: ${name} holds ${tensor.data.length} values for shape [${shape}]`);
    for (let i = 0; i < tensor.data.length; i++) {
      if (!Number.isFinite(tensor.data[i])) throw new Error(`decoder weights: ${name}[${i}] is ${tensor.data[i]}`);
    }
  }
  const unknown = Object.keys(weights).filter((name) => !expected.has(name) && name !== 'lm_head.weight');
  if (unknown.length > 0) throw new Error(`decoder weights: unexpected tensors for ${'family' in config ? config.family : ''}: ${unknown.slice(0, 5).join(', ')}`);
}

export interface RandomDecoderOptions {
  /** Standard deviation of the matrices (HF initializer_range is 0.02; tests use more for peaked outputs). */
  std?: number;
  /** Spread of the norm gains around their neutral value (1, or 0 for Gemma's 1 + w). Default 0.1. */
  normSpread?: number;
}

/** Random weights for tests and benchmarks: N(0, std) matrices and biases, norm gains near neutral. */
export function randomDecoderWeights(config: DecoderConfig, seed: number, options: RandomDecoderOptions = {}): DecoderWeights {
  const c = resolveDecoderConfig(config);
  const rng = new Rng(seed);
  const std = options.std ?? 0.02;
  const spread = options.normSpread ?? 0.1;
  const weights: DecoderWeights = {};
  for (const [name, shape] of decoderWeightShapes(c)) {
    const size = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(size);
    const isNorm = name.endsWith('norm.weight');
    const neutral = isNorm && !c.gemmaStyle ? 1 : 0;
    const sd = isNorm ? spread : std;
    for (let i = 0; i < size; i++) data[i] = neutral + sd * rng.normal();
    weights[name] = { shape, data };
  }
  return weights;
}
