import { RuntimeError } from '../errors';
import { logSumExp } from '../sampling/log-softmax';
import { rightPad } from './batch-layout';
import { ClassifiedSequence, ClassifySequenceSpec, RunnableModel } from './batch-types';
import { classifierRunner } from './model-runner';

/**
 * One classifier pass over a batch: right-padded rows (pad id, mask 0), logits → float64 softmax per row.
 * Padding never changes a row's result because the model pools under the mask.
 */
export async function classifyBatch(model: RunnableModel, specs: ClassifySequenceSpec[]): Promise<ClassifiedSequence[]> {
  if (specs.length === 0) return [];
  const runner = classifierRunner(model.runner);
  const padded = rightPad(
    specs.map((s) => s.ids),
    model.shape.padTokenId,
  );
  if (padded.seqLen > model.shape.contextLength) {
    throw new RuntimeError('CONTEXT_OVERFLOW', `input of ${padded.seqLen} tokens exceeds the classifier's max_length of ${model.shape.contextLength}`);
  }
  const { logits, labels } = await runner.classify(model.backend, model.io, padded);
  return specs.map((_, b) => {
    const lse = logSumExp(logits, b * labels, labels);
    return { probabilities: Float64Array.from(logits.subarray(b * labels, (b + 1) * labels), (v) => Math.exp(v - lse)) };
  });
}
