import type { GptParameter } from '../train/gpt-model';
import { SeededRng } from '../train/rng';
import { tf } from '../train/tf-backend';
import { matMul2d as matMul } from '../train/tf-ops';
import { CLASSIFIER_NUM_LABELS, ClassifierShape, ClassifierWeights } from './classifier-weights';

/**
 * Mean pooling as one matrix: row b holds count(token)/length for each vocabulary entry, so
 * P [B, V] · E [V, D] is the masked mean of the row's embeddings. Its gradient is a plain matMul,
 * which sidesteps the slow/missing embedding-gradient kernels of the wasm backend.
 * `keep(t)` (token dropout while training) may drop tokens; a row keeps at least its first token.
 */
export function poolingMatrix(rows: readonly (readonly number[])[], vocabSize: number, keep?: () => boolean): Float32Array {
  const out = new Float32Array(rows.length * vocabSize);
  rows.forEach((ids, b) => {
    let kept = ids;
    if (keep && ids.length > 1) {
      kept = ids.filter(() => keep());
      if (kept.length === 0) kept = [ids[0]];
    }
    const weight = 1 / Math.max(kept.length, 1);
    for (const id of kept) {
      if (id < 0 || id >= vocabSize) throw new Error(`token id ${id} out of range [0, ${vocabSize})`);
      out[b * vocabSize + id] += weight;
    }
  });
  return out;
}

/** Keeps the ids whose attention_mask entry is non-zero. */
export function unmaskedIds(ids: readonly (readonly number[])[], mask: readonly (readonly number[])[]): number[][] {
  return ids.map((row, b) => row.filter((_, t) => mask[b][t] !== 0));
}

/** The classifier as tf variables (one per {@link ClassifierWeights} field). Call {@link dispose}. */
export class TextClassifierModel {
  readonly parameters: readonly GptParameter[];
  private readonly embedding: tf.Variable;
  private readonly hiddenWeight: tf.Variable;
  private readonly hiddenBias: tf.Variable;
  private readonly outputWeight: tf.Variable;
  private readonly outputBias: tf.Variable;

  constructor(readonly shape: ClassifierShape, weights: ClassifierWeights) {
    const { vocabSize: V, dim: D, hidden: H } = shape;
    const params: GptParameter[] = [];
    const add = (name: string, data: Float32Array, dims: number[], decay: boolean): tf.Variable => {
      if (data.length !== dims.reduce((a, b) => a * b, 1)) throw new Error(`${name}: ${data.length} values for [${dims}]`);
      const variable = tf.variable(tf.tensor(data, dims, 'float32'), true);
      params.push({ name, variable, decay });
      return variable;
    };
    this.embedding = add('embedding', weights.embedding, [V, D], true);
    this.hiddenWeight = add('hidden.weight', weights.hiddenWeight, [D, H], true);
    this.hiddenBias = add('hidden.bias', weights.hiddenBias, [H], false);
    this.outputWeight = add('classifier.weight', weights.outputWeight, [H, CLASSIFIER_NUM_LABELS], true);
    this.outputBias = add('classifier.bias', weights.outputBias, [CLASSIFIER_NUM_LABELS], false);
    this.parameters = params;
  }

  /** Logits [B, 2] from a pooling matrix [B, V] (see {@link poolingMatrix}). */
  logits(pooling: tf.Tensor2D): tf.Tensor2D {
    const pooled = matMul(pooling, this.embedding);
    const hidden = tf.relu(tf.add(matMul(pooled, this.hiddenWeight), this.hiddenBias));
    return tf.add(matMul(hidden, this.outputWeight), this.outputBias) as tf.Tensor2D;
  }

  /**
   * Mean cross-entropy of `labels` (0/1) weighted per example by `exampleWeights` (class weights).
   * Labels enter as float one-hot rows: integer labels trip tf's gradient on wasm.
   */
  loss(pooling: tf.Tensor2D, labels: readonly number[], exampleWeights: readonly number[]): tf.Scalar {
    const B = labels.length;
    const oneHot = new Float32Array(B * CLASSIFIER_NUM_LABELS);
    labels.forEach((y, b) => (oneHot[b * CLASSIFIER_NUM_LABELS + y] = 1));
    const logProbs = tf.logSoftmax(this.logits(pooling));
    const nll = tf.neg(tf.sum(tf.mul(logProbs, tf.tensor2d(oneHot, [B, CLASSIFIER_NUM_LABELS])), 1));
    const w = tf.tensor1d(Float32Array.from(exampleWeights));
    return tf.div(tf.sum(tf.mul(nll, w)), tf.sum(w)) as tf.Scalar;
  }

  /** Logits and P(toxic) for token-id rows (already stripped of padding), in batches. */
  predictRows(rows: readonly (readonly number[])[], batchSize = 512): { logits: Float32Array; probabilities: Float32Array } {
    const V = this.shape.vocabSize;
    const logits = new Float32Array(rows.length * CLASSIFIER_NUM_LABELS);
    const probabilities = new Float32Array(rows.length);
    for (let start = 0; start < rows.length; start += batchSize) {
      const batch = rows.slice(start, start + batchSize);
      const [l, p] = tf.tidy(() => {
        const out = this.logits(tf.tensor2d(poolingMatrix(batch, V), [batch.length, V]));
        const prob = tf.slice(tf.softmax(out), [0, 1], [batch.length, 1]);
        return [out.dataSync() as Float32Array, prob.dataSync() as Float32Array];
      });
      logits.set(l, start * CLASSIFIER_NUM_LABELS);
      probabilities.set(p, start);
    }
    return { logits, probabilities };
  }

  /** Same inputs as the ONNX graph: padded `input_ids` rows with their `attention_mask`. */
  predict(ids: readonly (readonly number[])[], mask: readonly (readonly number[])[]): { logits: Float32Array; probabilities: Float32Array } {
    return this.predictRows(unmaskedIds(ids, mask));
  }

  getWeights(): ClassifierWeights {
    const read = (v: tf.Variable): Float32Array => new Float32Array(v.dataSync() as Float32Array);
    return {
      shape: { ...this.shape },
      embedding: read(this.embedding),
      hiddenWeight: read(this.hiddenWeight),
      hiddenBias: read(this.hiddenBias),
      outputWeight: read(this.outputWeight),
      outputBias: read(this.outputBias),
    };
  }

  setWeights(weights: ClassifierWeights): void {
    tf.tidy(() => {
      const set = (v: tf.Variable, data: Float32Array): void => v.assign(tf.tensor(data, v.shape, 'float32'));
      set(this.embedding, weights.embedding);
      set(this.hiddenWeight, weights.hiddenWeight);
      set(this.hiddenBias, weights.hiddenBias);
      set(this.outputWeight, weights.outputWeight);
      set(this.outputBias, weights.outputBias);
    });
  }

  dispose(): void {
    for (const p of this.parameters) p.variable.dispose();
  }
}

/** Seeded Bernoulli(1 - p) source for token dropout. */
export function tokenKeeper(dropout: number, rng: SeededRng): (() => boolean) | undefined {
  return dropout > 0 ? () => rng.next() >= dropout : undefined;
}
