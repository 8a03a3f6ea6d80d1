import { RuntimeError } from '../errors';
import { classifierLabel } from '../engine/results';
import { rightPad } from './batch-layout';
import { classifierRunner, decoderRunner, TensorInfo } from './model-runner';
import { runnerFor } from './runner-table';

const config = {
  model_type: 'assay-text-classifier',
  vocab_size: 40,
  hidden_size: 8,
  num_labels: 2,
  labels: ['non-toxic', 'toxic'],
  max_length: 16,
  pad_token_id: 1,
  assay: { task: 'text-classification', positive_label: 'toxic', positive_index: 1, threshold: 0.7, lowercase: true, truncation: 'keep-first' },
};
const t = (name: string, shape: (number | string)[] = ['batch', 'sequence']): TensorInfo => ({ name, type: 'float32', shape });

function kindOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return (error as RuntimeError).kind;
  }
  return undefined;
}

describe('assay-text-classifier runner', () => {
  const runner = runnerFor('assay-text-classifier');
  const shape = runner.parseConfig(config, {});

  it('reads the classifier config: labels, positive label, threshold, max_length as the context', () => {
    expect(runner.task).toBe('text-classification');
    expect(shape).toMatchObject({ vocabSize: 40, contextLength: 16, padTokenId: 1, layers: 0, eosTokenIds: [] });
    expect(shape.classifier).toEqual({ labels: ['non-toxic', 'toxic'], positiveLabel: 'toxic', positiveIndex: 1, threshold: 0.7, lowercase: true });
    // id2label stands in for labels; the positive label defaults to the last one and the threshold to 0.5.
    const plain = runner.parseConfig({ vocab_size: 40, max_length: 8, pad_token_id: 0, id2label: { 1: 'b', 0: 'a' } }, {});
    expect(plain.classifier).toEqual({ labels: ['a', 'b'], positiveLabel: 'b', positiveIndex: 1, threshold: 0.5, lowercase: false });
  });

  it('rejects configs it cannot honour', () => {
    const assay = config.assay;
    expect(kindOf(() => runner.parseConfig({ ...config, max_length: 0 }, {}))).toBe('MODEL_DIR_INVALID');
    expect(kindOf(() => runner.parseConfig({ ...config, pad_token_id: 40 }, {}))).toBe('MODEL_DIR_INVALID');
    expect(kindOf(() => runner.parseConfig({ ...config, labels: ['only'], num_labels: 1 }, {}))).toBe('MODEL_DIR_INVALID');
    expect(kindOf(() => runner.parseConfig({ ...config, num_labels: 3 }, {}))).toBe('MODEL_DIR_INVALID');
    expect(kindOf(() => runner.parseConfig({ ...config, assay: { ...assay, positive_index: 0 } }, {}))).toBe('MODEL_DIR_INVALID');
    expect(kindOf(() => runner.parseConfig({ ...config, assay: { ...assay, threshold: 1.5 } }, {}))).toBe('MODEL_DIR_INVALID');
    expect(kindOf(() => runner.parseConfig({ ...config, assay: { ...assay, task: 'text-generation' } }, {}))).toBe('MODEL_DIR_INVALID');
  });

  it('maps the signature and refuses inputs it cannot feed or a logits width that does not match the labels', () => {
    const io = runner.describeIo({ inputs: [t('input_ids'), t('attention_mask')], outputs: [t('logits', ['batch', 2]), t('probabilities', ['batch'])] }, shape, config);
    expect(io).toMatchObject({ inputIds: 'input_ids', attentionMask: 'attention_mask', logits: 'logits', probabilities: 'probabilities', pastInputs: [] });
    expect(kindOf(() => runner.describeIo({ inputs: [t('input_ids'), t('attention_mask'), t('token_type_ids')], outputs: [t('logits')] }, shape, config))).toBe(
      'MODEL_SIGNATURE_INVALID',
    );
    expect(kindOf(() => runner.describeIo({ inputs: [t('input_ids'), t('attention_mask')], outputs: [t('logits', ['batch', 3])] }, shape, config))).toBe('MODEL_SIGNATURE_INVALID');
    expect(kindOf(() => runner.describeIo({ inputs: [t('input_ids')], outputs: [t('logits')] }, shape, config))).toBe('MODEL_SIGNATURE_INVALID');
  });

  it('is not a decoder (and gpt2 is not a classifier)', () => {
    expect(kindOf(() => decoderRunner(runner))).toBe('UNSUPPORTED');
    expect(kindOf(() => classifierRunner(runnerFor('gpt2')))).toBe('UNSUPPORTED');
    expect(classifierRunner(runner)).toBe(runner);
  });

  it('right-pads with the pad id under a zero mask, at least one column wide', () => {
    const padded = rightPad([[5, 6, 7], [], [9]], 1);
    expect(padded.seqLen).toBe(3);
    expect(Array.from(padded.inputIds, Number)).toEqual([5, 6, 7, 1, 1, 1, 9, 1, 1]);
    expect(Array.from(padded.attentionMask, Number)).toEqual([1, 1, 1, 0, 0, 0, 1, 0, 0]);
    expect(rightPad([[]], 1).seqLen).toBe(1);
  });

  it('labels: positive at or above the threshold, else the most probable other label', () => {
    const head = { labels: ['a', 'b', 'c'], positiveLabel: 'c', positiveIndex: 2, threshold: 0.5, lowercase: false };
    expect(classifierLabel([0.1, 0.1, 0.8], head, 0.5)).toBe('c');
    expect(classifierLabel([0.1, 0.4, 0.5], head, 0.5)).toBe('c');
    expect(classifierLabel([0.1, 0.3, 0.6], head, 0.7)).toBe('b');
    expect(classifierLabel([0.3, 0.3, 0.4], head, 0.7)).toBe('a');
  });
});
