import { onnx } from 'onnx-proto';
import { GPT_ONNX_NAMES } from '../gpt-export';
import { attrGraph, attrInt, attrInts, Dim, OnnxDataType, OnnxGraphBuilder } from '../graph-builder';
import { DecoderConfig, resolveDecoderConfig, ResolvedDecoderConfig, ropeInverseFrequencies } from './decoder-config';
import { checkDecoderWeights, DecoderWeights } from './decoder-weights';
import { WeightFormat, WeightStore } from './weight-store';

/**
 * The decoder families as ONNX graphs with the signature of Hugging Face Optimum's
 * `text-generation-with-past` export (what `optimum-cli export onnx` and transformers.js' conversion write):
 *
 *   inputs   input_ids [batch_size, sequence_length] int64
 *            attention_mask [batch_size, past_sequence_length + sequence_length] int64
 *            position_ids [batch_size, sequence_length] int64
 *            past_key_values.<i>.key|value [batch_size, num_key_value_heads, past_sequence_length, head_dim]
 *            use_cache_branch [1] bool                      (merged decoders only)
 *   outputs  logits [batch_size, sequence_length, vocab_size]
 *            present.<i>.key|value [batch_size, num_key_value_heads, past_sequence_length + sequence_length, head_dim]
 *            hidden_states [batch_size, sequence_length, hidden_size]   (ours: the final-norm output; optional)
 *
 * A merged decoder is Optimum's `decoder_model_merged`: an `If` on use_cache_branch between the graph that
 * reads the cache and the one that ignores it (first pass), both in one file sharing the weights.
 */
export interface DecoderGraphOptions {
  /** past_key_values inputs and present outputs (default true). */
  withPast?: boolean;
  /** Optimum's merged decoder with a `use_cache_branch` input (needs withPast). */
  merged?: boolean;
  /** Element type of past/present, logits and hidden states (fp16 exports use float16). Default float32. */
  ioType?: 'float32' | 'float16';
  weightFormat?: WeightFormat;
  /** Add the `hidden_states` output (default true); standard exports lack it (see `assay models prepare`). */
  hiddenStates?: boolean;
}

/** Optimum's names (the same as forge's GPT-2 export), plus the merged decoder's branch switch. */
export const DECODER_ONNX_NAMES = { ...GPT_ONNX_NAMES, useCacheBranch: 'use_cache_branch' } as const;
const N = DECODER_ONNX_NAMES;

const F = OnnxDataType.FLOAT;
const I64 = OnnxDataType.INT64;
/** Additive bias for disallowed attention; finite so fully masked (padding) rows stay NaN-free. */
const MASKED_SCORE = -1e9;
const GELU_C = Math.sqrt(2 / Math.PI);

interface BodyOutputs {
  logits: string;
  presents: { key: string; value: string }[];
  hidden: string;
}

/** Emits one forward pass into `g` (the root graph, or a branch of the merged decoder). */
class DecoderBody {
  private readonly D: number;

  constructor(
    private readonly g: OnnxGraphBuilder,
    private readonly w: WeightStore,
    private readonly c: ResolvedDecoderConfig,
    private readonly ioType: OnnxDataType,
    private readonly withPast: boolean,
  ) {
    this.D = c.hiddenSize;
  }

  private c64(values: number[], dims?: number[]): string {
    return this.g.constInt64('c', values, dims);
  }

  private toFloat(x: string): string {
    return this.ioType === F ? x : this.g.op('Cast', [x], { to: attrInt(F) });
  }

  private toIo(x: string, name?: string): string {
    return this.ioType === F ? (name ? this.g.op('Identity', [x], {}, name) : x) : this.g.op('Cast', [x], { to: attrInt(this.ioType) }, name);
  }

  private rmsNorm(x: string, gain: string, eps: number): string {
    const { g } = this;
    const meanSquare = g.op('ReduceMean', [g.op('Pow', [x, g.constFloat('two', [2])])], { axes: attrInts([-1]), keepdims: attrInt(1) });
    const rms = g.op('Sqrt', [g.op('Add', [meanSquare, g.constFloat('eps', [eps])])]);
    return g.op('Mul', [g.op('Div', [x, rms]), gain]);
  }

  /** y = x·Wᵀ (+ b) for the Linear weight `name` in the store's format. */
  private linear(x: string, name: string, biasName?: string): string {
    const { g, w } = this;
    let y: string;
    if (w.format === 'int8') {
      const q = w.quantized(name);
      const [xq, xScale, xZero] = g.node('DynamicQuantizeLinear', [x], {}, 3);
      const product = g.op('MatMulInteger', [xq, q.weight, xZero, q.zeroPoint]);
      y = g.op('Mul', [g.op('Cast', [product], { to: attrInt(F) }), g.op('Mul', [xScale, q.scale])]);
    } else {
      y = g.op('MatMul', [x, w.matmulWeight(name)]);
    }
    return biasName ? g.op('Add', [y, w.raw(biasName)]) : y;
  }

  private lastAxisSlice(x: string, from: number, to: number): string {
    return this.g.op('Slice', [x, this.c64([from]), this.c64([to]), this.c64([-1])]);
  }

  /** [B, S, heads·hd] → [B, heads, S, hd], with Qwen3's per-head RMSNorm before the transpose. */
  private heads(x: string, heads: number, normName?: string): string {
    const { g, c } = this;
    let split = g.op('Reshape', [x, this.c64([0, 0, heads, c.headDim])]);
    if (normName) split = this.rmsNorm(split, this.w.raw(normName), c.rmsNormEps);
    return g.op('Transpose', [split], { perm: attrInts([0, 2, 1, 3]) });
  }

  /** x·cos + rotate_half(x)·sin on the first rotaryDim dims of [B, heads, S, hd]. */
  private rotate(x: string, cos: string, sin: string): string {
    const { g, c } = this;
    const rd = c.rotaryDim;
    const axis = this.c64([3]);
    const slice = (t: string, from: number, to: number) => g.op('Slice', [t, this.c64([from]), this.c64([to]), axis]);
    const rotated = rd < c.headDim ? slice(x, 0, rd) : x;
    const x1 = slice(rotated, 0, rd / 2);
    const x2 = slice(rotated, rd / 2, rd);
    const half = g.op('Concat', [g.op('Neg', [x2]), x1], { axis: attrInt(3) });
    const out = g.op('Add', [g.op('Mul', [rotated, cos]), g.op('Mul', [half, sin])]);
    return rd < c.headDim ? g.op('Concat', [out, slice(x, rd, c.headDim)], { axis: attrInt(3) }) : out;
  }

  /**
   * Additive attention bias [B, 1, S, T]: key slot j is visible to query slot P + i iff j ≤ P + i, the
   * mask allows j, and (sliding window) P + i − j < window.
   */
  private maskBias(): string {
    const { g, c } = this;
    const zeroAxis = this.c64([0]);
    const totalLen = g.op('Squeeze', [g.op('Shape', [N.attentionMask], { start: attrInt(1), end: attrInt(2) }), zeroAxis]);
    const seqLen = g.op('Squeeze', [g.op('Shape', [N.inputIds], { start: attrInt(1), end: attrInt(2) }), zeroAxis]);
    const pastLen = g.op('Sub', [totalLen, seqLen]);
    const one = this.c64([1], []);
    const keySlots = g.op('Range', [this.c64([0], []), totalLen, one]); // [T]
    const querySlots = g.op('Unsqueeze', [g.op('Range', [pastLen, totalLen, one]), this.c64([1])]); // [S, 1]
    let allowed = g.op('LessOrEqual', [keySlots, querySlots]); // [S, T]
    if (c.slidingWindow !== null) {
      const inWindow = g.op('Less', [g.op('Sub', [querySlots, keySlots]), this.c64([c.slidingWindow], [])]);
      allowed = g.op('And', [allowed, inWindow]);
    }
    const notPad = g.op('Unsqueeze', [g.op('Cast', [N.attentionMask], { to: attrInt(OnnxDataType.BOOL) }), this.c64([1, 2])]); // [B,1,1,T]
    const visible = g.op('And', [allowed, notPad]);
    return g.op('Where', [visible, g.constFloat('zero', [0]), g.constFloat('masked', [MASKED_SCORE])]);
  }

  /** cos and sin of position × inverse frequency, [B, 1, S, rotaryDim]. */
  private rotaryTables(): { cos: string; sin: string } {
    const { g, c } = this;
    const invFreq = g.constFloat('inv_freq', Array.from(ropeInverseFrequencies(c)), [c.rotaryDim / 2]);
    const positions = g.op('Unsqueeze', [g.op('Cast', [N.positionIds], { to: attrInt(F) }), this.c64([-1])]); // [B,S,1]
    const freqs = g.op('Mul', [positions, invFreq]);
    const emb = g.op('Unsqueeze', [g.op('Concat', [freqs, freqs], { axis: attrInt(-1) }), this.c64([1])]);
    return { cos: g.op('Cos', [emb]), sin: g.op('Sin', [emb]) };
  }

  emit(outputName: (what: string) => string | undefined, wantHidden: boolean): BodyOutputs {
    const { g, w, c, D } = this;
    const H = c.heads;
    const K = c.kvHeads;
    const hd = c.headDim;
    const group = H / K;
    let x = g.op('Gather', [w.raw('model.embed_tokens.weight'), N.inputIds], { axis: attrInt(0) });
    if (c.gemmaStyle) x = g.op('Mul', [x, g.constFloat('embed_scale', [Math.fround(Math.sqrt(D))])]);
    let bias = this.maskBias();
    // Grouped queries: [B, H, S, hd] viewed as [B, K, group·S, hd] (head h = k·group + r → row r·S + s), so the
    // mask rows repeat `group` times instead of the keys and values being copied per head.
    if (group > 1) bias = g.op('Tile', [bias, this.c64([1, 1, group, 1])]);
    const { cos, sin } = this.rotaryTables();
    const scale = g.constFloat('attn_scale', [1 / Math.sqrt(hd)]);
    const presents: { key: string; value: string }[] = [];

    for (let l = 0; l < c.layers; l++) {
      const p = `model.layers.${l}`;
      const normed = this.rmsNorm(x, w.normGain(`${p}.input_layernorm.weight`, c.gemmaStyle), c.rmsNormEps);
      let qFlat: string;
      let kFlat: string;
      let vFlat: string;
      if (c.family === 'phi3') {
        const qkv = this.linear(normed, `${p}.self_attn.qkv_proj.weight`);
        qFlat = this.lastAxisSlice(qkv, 0, H * hd);
        kFlat = this.lastAxisSlice(qkv, H * hd, (H + K) * hd);
        vFlat = this.lastAxisSlice(qkv, (H + K) * hd, (H + 2 * K) * hd);
      } else {
        const b = (proj: string) => (c.qkvBias ? `${p}.self_attn.${proj}.bias` : undefined);
        qFlat = this.linear(normed, `${p}.self_attn.q_proj.weight`, b('q_proj'));
        kFlat = this.linear(normed, `${p}.self_attn.k_proj.weight`, b('k_proj'));
        vFlat = this.linear(normed, `${p}.self_attn.v_proj.weight`, b('v_proj'));
      }
      const q = this.rotate(this.heads(qFlat, H, c.qkNorm ? `${p}.self_attn.q_norm.weight` : undefined), cos, sin);
      let k = this.rotate(this.heads(kFlat, K, c.qkNorm ? `${p}.self_attn.k_norm.weight` : undefined), cos, sin);
      let v = this.heads(vFlat, K);
      if (this.withPast) {
        // float32 caches: the Concat itself produces the output (no copy into it); float16 ones are cast.
        const direct = (name: string) => (this.ioType === F ? outputName(name) : undefined);
        k = g.op('Concat', [this.toFloat(N.pastKey(l)), k], { axis: attrInt(2) }, direct(N.presentKey(l)));
        v = g.op('Concat', [this.toFloat(N.pastValue(l)), v], { axis: attrInt(2) }, direct(N.presentValue(l)));
        presents.push(this.ioType === F ? { key: k, value: v } : { key: this.toIo(k, outputName(N.presentKey(l))), value: this.toIo(v, outputName(N.presentValue(l))) });
      } else {
        presents.push({ key: this.toIo(k, outputName(N.presentKey(l))), value: this.toIo(v, outputName(N.presentValue(l))) });
      }

      const grouped = group > 1 ? g.op('Reshape', [q, this.c64([0, K, -1, hd])]) : q;
      const scores = g.op('Add', [g.op('Mul', [g.op('MatMul', [grouped, g.op('Transpose', [k], { perm: attrInts([0, 1, 3, 2]) })]), scale]), bias]);
      let context = g.op('MatMul', [g.op('Softmax', [scores], { axis: attrInt(-1) }), v]);
      if (group > 1) context = g.op('Reshape', [context, this.c64([0, H, -1, hd])]);
      const merged = g.op('Reshape', [g.op('Transpose', [context], { perm: attrInts([0, 2, 1, 3]) }), this.c64([0, 0, H * hd])]);
      x = g.op('Add', [x, this.linear(merged, `${p}.self_attn.o_proj.weight`, c.outputBias ? `${p}.self_attn.o_proj.bias` : undefined)]);

      const normed2 = this.rmsNorm(x, w.normGain(`${p}.post_attention_layernorm.weight`, c.gemmaStyle), c.rmsNormEps);
      let gate: string;
      let up: string;
      if (c.family === 'phi3') {
        const gateUp = this.linear(normed2, `${p}.mlp.gate_up_proj.weight`);
        gate = this.lastAxisSlice(gateUp, 0, c.intermediateSize);
        up = this.lastAxisSlice(gateUp, c.intermediateSize, 2 * c.intermediateSize);
      } else {
        gate = this.linear(normed2, `${p}.mlp.gate_proj.weight`);
        up = this.linear(normed2, `${p}.mlp.up_proj.weight`);
      }
      const act = c.gemmaStyle ? this.geluTanh(gate) : g.op('Mul', [gate, g.op('Sigmoid', [gate])]);
      x = g.op('Add', [x, this.linear(g.op('Mul', [act, up]), `${p}.mlp.down_proj.weight`)]);
    }

    const final = this.rmsNorm(x, w.normGain('model.norm.weight', c.gemmaStyle), c.rmsNormEps);
    const headWeight = c.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight';
    const logits = this.toIo(this.linear(final, headWeight), outputName(N.logits));
    const hidden = wantHidden ? this.toIo(final, outputName(N.hiddenStates)) : final;
    return { logits, presents, hidden };
  }

  /** gelu_pytorch_tanh(x) = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) */
  private geluTanh(x: string): string {
    const { g } = this;
    const cube = g.op('Mul', [g.op('Mul', [x, x]), x]);
    const inner = g.op('Mul', [g.op('Add', [x, g.op('Mul', [cube, g.constFloat('gelu_a', [0.044715])])]), g.constFloat('gelu_c', [GELU_C])]);
    return g.op('Mul', [g.op('Mul', [x, g.constFloat('half', [0.5])]), g.op('Add', [g.op('Tanh', [inner]), g.constFloat('one', [1])])]);
  }
}

/** The decoder graph as a ModelProto (before any external-data split). */
export function buildDecoderModelProto(weights: DecoderWeights, config: DecoderConfig, options: DecoderGraphOptions = {}): onnx.IModelProto {
  const c = resolveDecoderConfig(config);
  checkDecoderWeights(weights, c);
  const withPast = options.withPast ?? true;
  const merged = options.merged ?? false;
  if (merged && !withPast) throw new Error('a merged decoder needs withPast');
  const wantHidden = options.hiddenStates ?? true;
  const ioType = options.ioType === 'float16' ? OnnxDataType.FLOAT16 : F;
  const g = new OnnxGraphBuilder(c.family);
  const store = new WeightStore(g, weights, options.weightFormat ?? 'float32');

  const total: Dim = withPast ? 'past_sequence_length + sequence_length' : 'sequence_length';
  g.input(N.inputIds, I64, ['batch_size', 'sequence_length']);
  g.input(N.attentionMask, I64, ['batch_size', total]);
  g.input(N.positionIds, I64, ['batch_size', 'sequence_length']);
  if (withPast) {
    for (let l = 0; l < c.layers; l++) {
      g.input(N.pastKey(l), ioType, ['batch_size', c.kvHeads, 'past_sequence_length', c.headDim]);
      g.input(N.pastValue(l), ioType, ['batch_size', c.kvHeads, 'past_sequence_length', c.headDim]);
    }
  }
  const outputs: { name: string; dims: Dim[] }[] = [{ name: N.logits, dims: ['batch_size', 'sequence_length', c.vocabSize] }];
  for (let l = 0; l < (withPast ? c.layers : 0); l++) {
    outputs.push({ name: N.presentKey(l), dims: ['batch_size', c.kvHeads, total, c.headDim] });
    outputs.push({ name: N.presentValue(l), dims: ['batch_size', c.kvHeads, total, c.headDim] });
  }
  if (wantHidden) outputs.push({ name: N.hiddenStates, dims: ['batch_size', 'sequence_length', c.hiddenSize] });
  const flatten = (o: BodyOutputs): string[] => [o.logits, ...(withPast ? o.presents.flatMap((p) => [p.key, p.value]) : []), ...(wantHidden ? [o.hidden] : [])];

  if (merged) {
    g.input(N.useCacheBranch, OnnxDataType.BOOL, [1]);
    const branch = (name: string, readsPast: boolean) => {
      const sub = g.subgraph(name);
      const produced = flatten(new DecoderBody(sub, store, c, ioType, readsPast).emit(() => undefined, wantHidden));
      produced.forEach((value, i) => sub.output(value, ioType, outputs[i].dims));
      return sub.toGraphProto();
    };
    // Weights are emitted into the root graph while the branches are built, so build both before the If node.
    const withCache = branch('with_past', true);
    const firstPass = branch('without_past', false);
    g.node('If', [N.useCacheBranch], { then_branch: attrGraph(withCache), else_branch: attrGraph(firstPass) }, outputs.map((o) => o.name));
  } else {
    flatten(new DecoderBody(g, store, c, ioType, withPast).emit((name) => name, wantHidden));
  }
  for (const o of outputs) g.output(o.name, ioType, o.dims);
  return g.toModelProto({ producerName: '@assay/forge', metadata: { 'assay.family': c.family } });
}

/**
 * Moves every initializer of at least `threshold` bytes into one external data file (ONNX's external data
 * format: `location`, `offset`, `length`), as `onnx.save(..., save_as_external_data=True)` does for models
 * past protobuf's 2 GB limit. Offsets are 64-byte aligned.
 */
export function splitExternalData(model: onnx.IModelProto, location: string, threshold = 1024): { model: Uint8Array; data: Uint8Array } {
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const init of model.graph?.initializer ?? []) {
    const raw = init.rawData;
    if (!raw || raw.byteLength < threshold) continue;
    const padding = (64 - (offset % 64)) % 64;
    if (padding) chunks.push(new Uint8Array(padding));
    offset += padding;
    chunks.push(raw);
    init.externalData = [
      { key: 'location', value: location },
      { key: 'offset', value: String(offset) },
      { key: 'length', value: String(raw.byteLength) },
    ];
    init.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    init.rawData = new Uint8Array(0);
    offset += raw.byteLength;
  }
  const data = new Uint8Array(offset);
  let at = 0;
  for (const chunk of chunks) {
    data.set(chunk, at);
    at += chunk.byteLength;
  }
  return { model: onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish(), data };
}

export function encodeModelProto(model: onnx.IModelProto): Uint8Array {
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}
