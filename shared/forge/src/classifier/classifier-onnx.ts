import { attrInt, OnnxDataType, OnnxGraphBuilder, OnnxModelOptions } from '../onnx/graph-builder';
import { CLASSIFIER_NUM_LABELS, ClassifierWeights } from './classifier-weights';

/** Graph input and output names of an exported classifier. */
export const CLASSIFIER_ONNX_NAMES = {
  inputIds: 'input_ids',
  attentionMask: 'attention_mask',
  /** [batch, 2] float32, index 1 = toxic. */
  logits: 'logits',
  /** [batch] float32, P(toxic) = softmax(logits)[:, 1]. */
  probabilities: 'probabilities',
} as const;

/**
 * ONNX (IR 8, opset 17) of {@link classifierReferenceForward}: Gather the embeddings of
 * `input_ids` [batch, seq], zero the padded positions with `attention_mask`, divide the sum by
 * max(1, tokens), then the ReLU MLP. Padded positions must still hold valid ids (e.g. the pad id).
 */
export function buildClassifierOnnx(weights: ClassifierWeights, options: OnnxModelOptions = {}): Uint8Array {
  const { vocabSize: V, dim: D, hidden: H } = weights.shape;
  const N = CLASSIFIER_NUM_LABELS;
  const g = new OnnxGraphBuilder('assay_text_classifier');
  const ids = g.input(CLASSIFIER_ONNX_NAMES.inputIds, OnnxDataType.INT64, ['batch', 'sequence']);
  const mask = g.input(CLASSIFIER_ONNX_NAMES.attentionMask, OnnxDataType.INT64, ['batch', 'sequence']);

  const table = g.initFloat('embedding.weight', weights.embedding, [V, D]);
  const w1 = g.initFloat('hidden.weight', weights.hiddenWeight, [D, H]);
  const b1 = g.initFloat('hidden.bias', weights.hiddenBias, [H]);
  const w2 = g.initFloat('classifier.weight', weights.outputWeight, [H, N]);
  const b2 = g.initFloat('classifier.bias', weights.outputBias, [N]);

  const embedded = g.op('Gather', [table, ids], { axis: attrInt(0) }); // [B, S, D]
  const maskFloat = g.op('Cast', [mask], { to: attrInt(OnnxDataType.FLOAT) }); // [B, S]
  const mask3 = g.op('Unsqueeze', [maskFloat, g.constInt64('axis_last', [-1])]); // [B, S, 1]
  const seqAxis = g.constInt64('axis_seq', [1]);
  const summed = g.op('ReduceSum', [g.op('Mul', [embedded, mask3]), seqAxis], { keepdims: attrInt(0) }); // [B, D]
  const count = g.op('ReduceSum', [maskFloat, seqAxis], { keepdims: attrInt(1) }); // [B, 1]
  const pooled = g.op('Div', [summed, g.op('Max', [count, g.constFloat('one', [1])])]);

  const hidden = g.op('Relu', [g.op('Add', [g.op('MatMul', [pooled, w1]), b1])]);
  const logits = g.op('Add', [g.op('MatMul', [hidden, w2]), b2], {}, CLASSIFIER_ONNX_NAMES.logits);
  const probs = g.op('Softmax', [logits], { axis: attrInt(-1) });
  g.op('Gather', [probs, g.constInt64('positive_index', [1], [])], { axis: attrInt(1) }, CLASSIFIER_ONNX_NAMES.probabilities);

  g.output(CLASSIFIER_ONNX_NAMES.logits, OnnxDataType.FLOAT, ['batch', N]);
  g.output(CLASSIFIER_ONNX_NAMES.probabilities, OnnxDataType.FLOAT, ['batch']);
  return g.toBytes(options);
}
