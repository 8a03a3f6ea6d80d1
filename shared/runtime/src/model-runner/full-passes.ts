import { missingHiddenStates, RuntimeError } from '../errors';
import { logSumExpArgmax } from '../sampling/log-softmax';
import { leftPad } from './batch-layout';
import { PooledSequence, PoolSequenceSpec, RunnableModel, ScoredSequence, ScoreSequenceSpec } from './batch-types';
import { decoderRunner } from './model-runner';

/**
 * Single forward passes over whole sequences (no cache): teacher-forced log-probabilities and pooled
 * hidden states. Rows are left-padded, so row b's token t sits at column (seqLen − length_b) + t.
 */

function checkLength(model: RunnableModel, seqLen: number): void {
  if (seqLen > model.shape.contextLength) {
    throw new RuntimeError('CONTEXT_OVERFLOW', `sequence of ${seqLen} tokens exceeds the model's context of ${model.shape.contextLength}`);
  }
}

export async function scoreBatch(model: RunnableModel, specs: ScoreSequenceSpec[]): Promise<ScoredSequence[]> {
  if (specs.length === 0) return [];
  const padded = leftPad(
    specs.map((s) => s.ids),
    model.shape.padTokenId,
  );
  checkLength(model, padded.seqLen);
  if (specs.some((s) => s.targetStart < 1)) throw new RuntimeError('INVALID_REQUEST', 'the first scored token needs a preceding token (BOS)');
  // Only positions from the earliest predicting one on need logits (contexts are not scored).
  const from = Math.min(...specs.map((s) => padded.seqLen - s.ids.length + s.targetStart - 1));
  const out = await decoderRunner(model.runner).forward(model.backend, model.io, { ...padded, wantPresent: false, logitsFrom: from });
  const { vocab, logits, logitsPositions } = out;
  const skipped = padded.seqLen - logitsPositions;
  return specs.map((spec, b) => {
    const offset = b * logitsPositions + (padded.seqLen - spec.ids.length) - skipped;
    const logprobs = new Float64Array(spec.ids.length - spec.targetStart);
    let greedy = true;
    for (let t = spec.targetStart; t < spec.ids.length; t++) {
      // Logits at position t − 1 predict token t.
      const row = (offset + t - 1) * vocab;
      const { logSumExp, argmax } = logSumExpArgmax(logits, row, vocab);
      logprobs[t - spec.targetStart] = logits[row + spec.ids[t]] - logSumExp;
      if (argmax !== spec.ids[t]) greedy = false;
    }
    return { logprobs, greedy };
  });
}

export async function poolBatch(model: RunnableModel, specs: PoolSequenceSpec[]): Promise<PooledSequence[]> {
  if (specs.length === 0) return [];
  if (!model.io.hiddenStates) throw missingHiddenStates('hiddenStates', model.shape.architecture);
  const padded = leftPad(
    specs.map((s) => s.ids),
    model.shape.padTokenId,
  );
  checkLength(model, padded.seqLen);
  const out = await decoderRunner(model.runner).forward(model.backend, model.io, { ...padded, wantHiddenStates: true, wantPresent: false, logitsFrom: padded.seqLen - 1 });
  const hidden = out.hiddenStates!;
  const D = model.shape.hiddenSize;
  return specs.map((spec, b) => {
    const first = b * padded.seqLen + (padded.seqLen - spec.ids.length);
    const last = (b + 1) * padded.seqLen - 1;
    if (spec.pooling === 'last') return { vectors: hidden.slice(last * D, (last + 1) * D), rows: 1 };
    const from = first + Math.min(spec.poolStart, spec.ids.length - 1);
    if (spec.pooling === 'tokens') return { vectors: hidden.slice(from * D, (last + 1) * D), rows: last - from + 1 };
    const sum = new Float64Array(D);
    for (let t = from; t <= last; t++) for (let d = 0; d < D; d++) sum[d] += hidden[t * D + d];
    return { vectors: Float32Array.from(sum, (v) => v / (last - from + 1)), rows: 1 };
  });
}
