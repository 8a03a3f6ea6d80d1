import { SeededRng } from '../train/rng';

/** Two classes: index 0 non-toxic, index 1 toxic (the positive label). */
export const CLASSIFIER_NUM_LABELS = 2;

export interface ClassifierShape {
  vocabSize: number;
  /** Token embedding width D. */
  dim: number;
  /** Width H of the ReLU hidden layer. */
  hidden: number;
}

/**
 * Bag-of-embeddings classifier: mean of the masked token embeddings → ReLU(x·W1 + b1) → ·W2 + b2.
 * Row-major matrices laid out as [in, out] (x·W), like the ONNX MatMul initializers.
 */
export interface ClassifierWeights {
  shape: ClassifierShape;
  /** [vocabSize, dim] */
  embedding: Float32Array;
  /** [dim, hidden] */
  hiddenWeight: Float32Array;
  /** [hidden] */
  hiddenBias: Float32Array;
  /** [hidden, 2] */
  outputWeight: Float32Array;
  /** [2] */
  outputBias: Float32Array;
}

function normalArray(n: number, std: number, rng: SeededRng): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    // Box-Muller: two normals per pair of uniforms.
    const u = 1 - rng.next();
    const v = rng.next();
    const r = Math.sqrt(-2 * Math.log(u)) * std;
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

/** Seeded initialization: N(0, 0.1²) embeddings, He-scaled hidden layer, Glorot-scaled output layer, zero biases. */
export function randomClassifierWeights(shape: ClassifierShape, seed: number): ClassifierWeights {
  const { vocabSize: V, dim: D, hidden: H } = shape;
  const rng = new SeededRng(seed);
  return {
    shape: { ...shape },
    embedding: normalArray(V * D, 0.1, rng),
    hiddenWeight: normalArray(D * H, Math.sqrt(2 / D), rng),
    hiddenBias: new Float32Array(H),
    outputWeight: normalArray(H * CLASSIFIER_NUM_LABELS, Math.sqrt(2 / (H + CLASSIFIER_NUM_LABELS)), rng),
    outputBias: new Float32Array(CLASSIFIER_NUM_LABELS),
  };
}

export function classifierParameterCount(shape: ClassifierShape): number {
  const { vocabSize: V, dim: D, hidden: H } = shape;
  return V * D + D * H + H + H * CLASSIFIER_NUM_LABELS + CLASSIFIER_NUM_LABELS;
}

export interface ClassifierOutput {
  /** [batch][2] */
  logits: number[][];
  /** P(toxic) per row: softmax(logits)[1]. */
  probabilities: number[];
}

/**
 * Plain float64 forward pass, the yardstick for the ONNX graph and the tfjs model. Padding
 * positions (mask 0) are ignored; a row with no unmasked token pools to the zero vector.
 */
export function classifierReferenceForward(weights: ClassifierWeights, ids: readonly (readonly number[])[], mask: readonly (readonly number[])[]): ClassifierOutput {
  const { vocabSize: V, dim: D, hidden: H } = weights.shape;
  const logits: number[][] = [];
  const probabilities: number[] = [];
  ids.forEach((row, b) => {
    const maskRow = mask[b];
    if (!maskRow || maskRow.length !== row.length) throw new Error(`row ${b}: ids and attention_mask lengths differ`);
    const pooled = new Float64Array(D);
    let count = 0;
    row.forEach((id, t) => {
      if (!maskRow[t]) return;
      if (!Number.isInteger(id) || id < 0 || id >= V) throw new Error(`token id ${id} out of range [0, ${V})`);
      count++;
      for (let d = 0; d < D; d++) pooled[d] += weights.embedding[id * D + d];
    });
    const denom = Math.max(count, 1);
    for (let d = 0; d < D; d++) pooled[d] /= denom;
    const hidden = new Float64Array(H);
    for (let h = 0; h < H; h++) {
      let s = weights.hiddenBias[h];
      for (let d = 0; d < D; d++) s += pooled[d] * weights.hiddenWeight[d * H + h];
      hidden[h] = Math.max(0, s);
    }
    const out: number[] = [];
    for (let k = 0; k < CLASSIFIER_NUM_LABELS; k++) {
      let s = weights.outputBias[k];
      for (let h = 0; h < H; h++) s += hidden[h] * weights.outputWeight[h * CLASSIFIER_NUM_LABELS + k];
      out.push(s);
    }
    logits.push(out);
    probabilities.push(1 / (1 + Math.exp(out[0] - out[1])));
  });
  return { logits, probabilities };
}
