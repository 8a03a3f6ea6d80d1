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
