import { GptWeights } from '../gpt/gpt-weights';
import { attrFloat, attrInt, attrInts, Dim, OnnxDataType, OnnxGraphBuilder } from './graph-builder';

/**
 * GPT-2 → ONNX in the Hugging Face Optimum `text-generation-with-past` layout, plus an extra
 * `hidden_states` output (final hidden states after ln_f) for heads built on top of the model.
 */
export interface GptOnnxExportOptions {
  /** Export `past_key_values.*` inputs and `present.*` outputs (default true). */
  withPast?: boolean;
  /** Added to the model's metadata_props. */
  metadata?: Record<string, string>;
}

export const GPT_ONNX_NAMES = {
  inputIds: 'input_ids',
  attentionMask: 'attention_mask',
  positionIds: 'position_ids',
  logits: 'logits',
  hiddenStates: 'hidden_states',
  pastKey: (layer: number) => `past_key_values.${layer}.key`,
  pastValue: (layer: number) => `past_key_values.${layer}.value`,
  presentKey: (layer: number) => `present.${layer}.key`,
  presentValue: (layer: number) => `present.${layer}.value`,
} as const;

/** Additive bias for disallowed attention; finite so fully masked (padding) rows stay NaN-free. */
const MASKED_SCORE = -1e9;

const F = OnnxDataType.FLOAT;
const I64 = OnnxDataType.INT64;
const GELU_C = Math.sqrt(2 / Math.PI);

export function buildGptOnnx(weights: GptWeights, options: GptOnnxExportOptions = {}): Uint8Array {
  const withPast = options.withPast ?? true;
  const { dim: D, heads: H, layers: L, vocabSize: V, contextLength: C, layerNormEps: eps } = weights.shape;
  if (D % H !== 0) throw new Error('heads must divide dim');
  const hd = D / H;
  const g = new OnnxGraphBuilder('gpt2');
  const N = GPT_ONNX_NAMES;

  const total: Dim = withPast ? 'past_sequence_length + sequence_length' : 'sequence_length';
  const inputIds = g.input(N.inputIds, I64, ['batch_size', 'sequence_length']);
  const attentionMask = g.input(N.attentionMask, I64, ['batch_size', total]);
  const positionIds = g.input(N.positionIds, I64, ['batch_size', 'sequence_length']);
  const past: { key: string; value: string }[] = [];
  if (withPast) {
    for (let l = 0; l < L; l++) {
      past.push({
        key: g.input(N.pastKey(l), F, ['batch_size', H, 'past_sequence_length', hd]),
        value: g.input(N.pastValue(l), F, ['batch_size', H, 'past_sequence_length', hd]),
      });
    }
  }

  const wte = g.initFloat('transformer.wte.weight', weights.tokenEmbedding, [V, D]);
  const wpe = g.initFloat('transformer.wpe.weight', weights.positionEmbedding, [C, D]);

  // Embeddings.
  let x = g.op('Add', [g.op('Gather', [wte, inputIds], { axis: attrInt(0) }), g.op('Gather', [wpe, positionIds], { axis: attrInt(0) })]);

  // Additive mask [B, 1, S, T]: key slot j is visible to query i (absolute slot P+i) iff j ≤ P+i and mask[j] = 1.
  const zeroAxis = g.constInt64('axes0', [0]);
  const totalLen = g.op('Squeeze', [g.op('Shape', [attentionMask], { start: attrInt(1), end: attrInt(2) }), zeroAxis]);
  const seqLen = g.op('Squeeze', [g.op('Shape', [inputIds], { start: attrInt(1), end: attrInt(2) }), zeroAxis]);
  const pastLen = g.op('Sub', [totalLen, seqLen]);
  const zero = g.constInt64('zero', [0], []);
  const one = g.constInt64('one', [1], []);
  const keySlots = g.op('Range', [zero, totalLen, one]); // [T]
  const querySlots = g.op('Unsqueeze', [g.op('Range', [pastLen, totalLen, one]), g.constInt64('axes1', [1])]); // [S, 1]
  const causal = g.op('LessOrEqual', [keySlots, querySlots]); // [S, T]
  const notPad = g.op('Unsqueeze', [g.op('Cast', [attentionMask], { to: attrInt(OnnxDataType.BOOL) }), g.constInt64('axes12', [1, 2])]); // [B,1,1,T]
  const visible = g.op('And', [causal, notPad]); // [B, 1, S, T]
  const maskBias = g.op('Where', [visible, g.constFloat('zero_f', [0]), g.constFloat('masked', [MASKED_SCORE])]);

  const qkvShape = g.constInt64('qkv_shape', [0, 0, 3, H, hd]);
  const mergedShape = g.constInt64('merged_shape', [0, 0, D]);
  const idx = [0, 1, 2].map((i) => g.constInt64(`idx${i}`, [i], []));
  const scale = g.constFloat('attn_scale', [1 / Math.sqrt(hd)]);
  const geluA = g.constFloat('gelu_a', [0.044715]);
  const geluC = g.constFloat('gelu_c', [GELU_C]);
  const half = g.constFloat('half', [0.5]);
  const oneF = g.constFloat('one_f', [1]);

  const layerNorm = (input: string, gain: Float32Array, bias: Float32Array, prefix: string): string =>
    g.op('LayerNormalization', [input, g.initFloat(`${prefix}.weight`, gain, [D]), g.initFloat(`${prefix}.bias`, bias, [D])], {
      axis: attrInt(-1),
      epsilon: attrFloat(eps),
    });
  const linear = (input: string, w: Float32Array, b: Float32Array, inDim: number, outDim: number, prefix: string): string =>
    g.op('Add', [
      g.op('MatMul', [input, g.initFloat(`${prefix}.weight`, w, [inDim, outDim])]),
      g.initFloat(`${prefix}.bias`, b, [outDim]),
    ]);

  const presents: { key: string; value: string }[] = [];
  weights.blocks.forEach((blk, l) => {
    const p = `transformer.h.${l}`;
    const qkv = linear(layerNorm(x, blk.ln1Gain, blk.ln1Bias, `${p}.ln_1`), blk.attnQkvW, blk.attnQkvB, D, 3 * D, `${p}.attn.c_attn`);
    // [B,S,3D] → [B,S,3,H,hd] → [3,B,H,S,hd]
    const split = g.op('Transpose', [g.op('Reshape', [qkv, qkvShape])], { perm: attrInts([2, 0, 3, 1, 4]) });
    const [q, k, v] = idx.map((i) => g.op('Gather', [split, i], { axis: attrInt(0) }));
    let keys = k;
    let values = v;
    if (withPast) {
      keys = g.op('Concat', [past[l].key, k], { axis: attrInt(2) }, N.presentKey(l));
      values = g.op('Concat', [past[l].value, v], { axis: attrInt(2) }, N.presentValue(l));
      presents.push({ key: keys, value: values });
    }
    const scores = g.op('Add', [
      g.op('MatMul', [g.op('Mul', [q, scale]), g.op('Transpose', [keys], { perm: attrInts([0, 1, 3, 2]) })]),
      maskBias,
    ]); // [B,H,S,T]
    const probs = g.op('Softmax', [scores], { axis: attrInt(-1) });
    const ctx = g.op('Transpose', [g.op('MatMul', [probs, values])], { perm: attrInts([0, 2, 1, 3]) }); // [B,S,H,hd]
    const attnOut = linear(g.op('Reshape', [ctx, mergedShape]), blk.attnProjW, blk.attnProjB, D, D, `${p}.attn.c_proj`);
    x = g.op('Add', [x, attnOut]);

    const fc = linear(layerNorm(x, blk.ln2Gain, blk.ln2Bias, `${p}.ln_2`), blk.mlpFcW, blk.mlpFcB, D, 4 * D, `${p}.mlp.c_fc`);
    // gelu_new(x) = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
    const cube = g.op('Mul', [g.op('Mul', [fc, fc]), fc]);
    const inner = g.op('Mul', [g.op('Add', [fc, g.op('Mul', [cube, geluA])]), geluC]);
    const act = g.op('Mul', [g.op('Mul', [fc, half]), g.op('Add', [g.op('Tanh', [inner]), oneF])]);
    x = g.op('Add', [x, linear(act, blk.mlpProjW, blk.mlpProjB, 4 * D, D, `${p}.mlp.c_proj`)]);
  });

  const hidden = g.op(
    'LayerNormalization',
    [x, g.initFloat('transformer.ln_f.weight', weights.lnFinalGain, [D]), g.initFloat('transformer.ln_f.bias', weights.lnFinalBias, [D])],
    { axis: attrInt(-1), epsilon: attrFloat(eps) },
    N.hiddenStates,
  );
  // Tied LM head: transpose of wte at graph level (constant-folded by the runtime), so the file stores it once.
  g.op('MatMul', [hidden, g.op('Transpose', [wte], { perm: attrInts([1, 0]) })], {}, N.logits);

  g.output(N.logits, F, ['batch_size', 'sequence_length', V]);
  for (let l = 0; l < presents.length; l++) {
    g.output(N.presentKey(l), F, ['batch_size', H, total, hd]);
    g.output(N.presentValue(l), F, ['batch_size', H, total, hd]);
  }
  g.output(N.hiddenStates, F, ['batch_size', 'sequence_length', D]);
  return g.toBytes({ metadata: options.metadata });
}
