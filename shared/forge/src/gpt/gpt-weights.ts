/**
 * The one in-memory form of a GPT-2-style decoder's parameters.
 *
 * The trainer (tfjs) produces it, the ONNX exporter consumes it, and the pure reference forward pass
 * uses it to check both. All matrices are row-major Float32Arrays; a linear layer computes
 * `y = x · W + b` with W of shape [in, out] (GPT-2's Conv1D convention, so no transposes on export).
 * The LM head is tied to the token embedding: logits = h_final · wteᵀ.
 */
export interface GptShape {
  vocabSize: number;
  /** Maximum sequence length (number of learned positions). */
  contextLength: number;
  layers: number;
  heads: number;
  /** Model width D; heads divide it. */
  dim: number;
  /** LayerNorm epsilon (GPT-2 uses 1e-5). */
  layerNormEps: number;
}

export interface GptBlockWeights {
  ln1Gain: Float32Array; // [D]
  ln1Bias: Float32Array; // [D]
  /** Fused Q|K|V projection, [D, 3D]; columns 0..D-1 are Q, D..2D-1 K, 2D..3D-1 V (heads contiguous inside each). */
  attnQkvW: Float32Array;
  attnQkvB: Float32Array; // [3D]
  attnProjW: Float32Array; // [D, D]
  attnProjB: Float32Array; // [D]
  ln2Gain: Float32Array; // [D]
  ln2Bias: Float32Array; // [D]
  mlpFcW: Float32Array; // [D, 4D]
  mlpFcB: Float32Array; // [4D]
  mlpProjW: Float32Array; // [4D, D]
  mlpProjB: Float32Array; // [D]
}

export interface GptWeights {
  shape: GptShape;
  tokenEmbedding: Float32Array; // wte [V, D]
  positionEmbedding: Float32Array; // wpe [C, D]
  blocks: GptBlockWeights[];
  lnFinalGain: Float32Array; // [D]
  lnFinalBias: Float32Array; // [D]
}

/** MLP activation is GPT-2's tanh-approximated GELU ("gelu_new"). */
export const GPT_ACTIVATION = 'gelu_new' as const;

type BlockKey = keyof GptBlockWeights;

/** Hugging Face GPT-2 names (without the `transformer.` prefix) of a block's tensors, with their shapes. */
export const GPT_BLOCK_LAYOUT: ReadonlyArray<{ key: BlockKey; hfName: string; dims: (D: number) => number[] }> = [
  { key: 'ln1Gain', hfName: 'ln_1.weight', dims: (D) => [D] },
  { key: 'ln1Bias', hfName: 'ln_1.bias', dims: (D) => [D] },
  { key: 'attnQkvW', hfName: 'attn.c_attn.weight', dims: (D) => [D, 3 * D] },
  { key: 'attnQkvB', hfName: 'attn.c_attn.bias', dims: (D) => [3 * D] },
  { key: 'attnProjW', hfName: 'attn.c_proj.weight', dims: (D) => [D, D] },
  { key: 'attnProjB', hfName: 'attn.c_proj.bias', dims: (D) => [D] },
  { key: 'ln2Gain', hfName: 'ln_2.weight', dims: (D) => [D] },
  { key: 'ln2Bias', hfName: 'ln_2.bias', dims: (D) => [D] },
  { key: 'mlpFcW', hfName: 'mlp.c_fc.weight', dims: (D) => [D, 4 * D] },
  { key: 'mlpFcB', hfName: 'mlp.c_fc.bias', dims: (D) => [4 * D] },
  { key: 'mlpProjW', hfName: 'mlp.c_proj.weight', dims: (D) => [4 * D, D] },
  { key: 'mlpProjB', hfName: 'mlp.c_proj.bias', dims: (D) => [D] },
];

/** Parameter names and shapes in training order: wte, wpe, h.N.*, ln_f.* (also the optimizer-state keys). */
export function gptParamShapes(shape: GptShape): { name: string; shape: number[] }[] {
  const { dim: D, vocabSize: V, contextLength: C } = shape;
  const out = [
    { name: 'wte', shape: [V, D] },
    { name: 'wpe', shape: [C, D] },
  ];
  for (let l = 0; l < shape.layers; l++) for (const { hfName, dims } of GPT_BLOCK_LAYOUT) out.push({ name: `h.${l}.${hfName}`, shape: dims(D) });
  out.push({ name: 'ln_f.weight', shape: [D] }, { name: 'ln_f.bias', shape: [D] });
  return out;
}

/** Weights keyed by parameter name (views, not copies). */
export function flattenGptWeights(weights: GptWeights): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>([
    ['wte', weights.tokenEmbedding],
    ['wpe', weights.positionEmbedding],
  ]);
  weights.blocks.forEach((blk, l) => {
    for (const { key, hfName } of GPT_BLOCK_LAYOUT) out.set(`h.${l}.${hfName}`, blk[key]);
  });
  out.set('ln_f.weight', weights.lnFinalGain);
  out.set('ln_f.bias', weights.lnFinalBias);
  return out;
}

/** The inverse of {@link flattenGptWeights}; copies, and checks every size. */
export function gptWeightsFromFlat(shape: GptShape, flat: ReadonlyMap<string, Float32Array>): GptWeights {
  const get = (name: string, dims: number[]): Float32Array => {
    const data = flat.get(name);
    const size = dims.reduce((a, b) => a * b, 1);
    if (!data || data.length !== size) throw new Error(`weights do not match parameter ${name}`);
    return new Float32Array(data);
  };
  const D = shape.dim;
  return {
    shape: { ...shape },
    tokenEmbedding: get('wte', [shape.vocabSize, D]),
    positionEmbedding: get('wpe', [shape.contextLength, D]),
    blocks: Array.from({ length: shape.layers }, (_, l) => {
      const blk = {} as GptBlockWeights;
      for (const { key, hfName, dims } of GPT_BLOCK_LAYOUT) blk[key] = get(`h.${l}.${hfName}`, dims(D));
      return blk;
    }),
    lnFinalGain: get('ln_f.weight', [D]),
    lnFinalBias: get('ln_f.bias', [D]),
  };
}
