import fs from 'node:fs';
import path from 'node:path';
import { onnx } from 'onnx-proto';
import { toFloat16Bits } from '@assay/stats';
import { DecoderConfig, DecoderWeights, hfDecoderConfigJson, resolveDecoderConfig } from '../src/onnx/decoder-families';
import { ropeTables } from '../src/train/models/decoder-params';

/**
 * A llama-family forward pass (input_ids → logits, no cache) written the way torch.onnx / Optimum exports look, so
 * the importer can be tested without downloading a model: node names carry the module scope
 * (`/model/layers.0/self_attn/q_proj/MatMul`), and weights are either anonymous [in, out] initializers
 * (`onnx::MatMul_12`, norm gains `onnx::Mul_13`, Gemma's 1 + w folded in) or Hugging Face-named [out, in] behind
 * a Transpose, optionally stored as float16 and/or in an external data file. Test support only (llama, qwen2, gemma).
 */
export interface TorchStyleOptions {
  naming: 'anonymous' | 'hf';
  float16?: boolean;
  /** Write weights to `model.onnx_data` beside the graph. */
  externalData?: boolean;
}

export function writeTorchStyleDecoder(dir: string, config: DecoderConfig, weights: DecoderWeights, options: TorchStyleOptions): string {
  const c = resolveDecoderConfig(config);
  const F = onnx.TensorProto.DataType.FLOAT;
  const nodes: onnx.INodeProto[] = [];
  const inits: onnx.ITensorProto[] = [];
  let counter = 0;
  const external: Uint8Array[] = [];
  let externalOffset = 0;
  const emit = (name: string, op: string, inputs: string[], attrs: onnx.IAttributeProto[] = []): string => {
    const out = `${name}_output_0`;
    nodes.push({ name, opType: op, input: inputs, output: [out], attribute: attrs });
    return out;
  };
  const ints = (name: string, v: number[]): onnx.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: v });
  const int = (name: string, v: number): onnx.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INT, i: v });
  const constF = (values: Float32Array, dims: number[]): string => {
    const name = `onnx::Const_${counter++}`;
    inits.push({ name, dataType: F, dims, rawData: new Uint8Array(values.buffer.slice(0)) });
    return name;
  };
  const constI = (values: number[]): string => {
    const name = `onnx::ConstI_${counter++}`;
    inits.push({ name, dataType: onnx.TensorProto.DataType.INT64, dims: [values.length], rawData: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer) });
    return name;
  };
  /** A weight initializer, float16 (then Cast to float) and/or external as asked. */
  const weight = (name: string, data: Float32Array, dims: number[], scope: string): string => {
    let raw: Uint8Array;
    let dataType = F;
    if (options.float16) {
      raw = new Uint8Array(Uint16Array.from(data, toFloat16Bits).buffer);
      dataType = onnx.TensorProto.DataType.FLOAT16;
    } else raw = new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
    if (options.externalData) {
      inits.push({ name, dataType, dims, dataLocation: onnx.TensorProto.DataLocation.EXTERNAL, externalData: [{ key: 'location', value: 'model.onnx_data' }, { key: 'offset', value: String(externalOffset) }, { key: 'length', value: String(raw.length) }] });
      external.push(raw);
      externalOffset += raw.length;
    } else inits.push({ name, dataType, dims, rawData: raw });
    return options.float16 ? emit(`${scope}Cast_${counter++}`, 'Cast', [name], [int('to', F)]) : name;
  };
  const w = (n: string): Float32Array => weights[n].data;
  const transpose = (data: Float32Array, rows: number, cols: number): Float32Array => {
    const out = new Float32Array(data.length);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
    return out;
  };
  // torch scopes: `model.layers.0.self_attn` → `/model/layers.0/self_attn/` (list indices stay on their list).
  const scope = (module: string): string => `/${module.split('.').reduce<string[]>((acc, p) => (/^\d+$/.test(p) ? [...acc.slice(0, -1), `${acc[acc.length - 1]}.${p}`] : [...acc, p]), []).join('/')}/`;
  const linear = (x: string, module: string, bias?: boolean): string => {
    const s = scope(module);
    const [outDim, inDim] = weights[`${module}.weight`].shape;
    const matrix =
      options.naming === 'hf'
        ? emit(`${s}Transpose`, 'Transpose', [weight(`${module}.weight`, w(`${module}.weight`), [outDim, inDim], s)], [ints('perm', [1, 0])])
        : weight(`onnx::MatMul_${counter++}`, transpose(w(`${module}.weight`), outDim, inDim), [inDim, outDim], s);
    const y = emit(`${s}MatMul`, 'MatMul', [x, matrix]);
    if (!bias) return y;
    const b = weight(options.naming === 'hf' ? `${module}.bias` : `onnx::Add_${counter++}`, w(`${module}.bias`), [outDim], s);
    return emit(`${s}Add`, 'Add', [b, y]);
  };
  const gemma = c.gemmaStyle;
  const rmsNorm = (x: string, module: string): string => {
    const s = scope(module);
    const gain = w(`${module}.weight`);
    const pow = emit(`${s}Pow`, 'Pow', [x, constF(Float32Array.of(2), [])]);
    const mean = emit(`${s}ReduceMean`, 'ReduceMean', [pow], [ints('axes', [-1]), int('keepdims', 1)]);
    const inv = emit(`${s}Reciprocal`, 'Reciprocal', [emit(`${s}Sqrt`, 'Sqrt', [emit(`${s}Add`, 'Add', [mean, constF(Float32Array.of(c.rmsNormEps), [])])])]);
    const normed = emit(`${s}Mul`, 'Mul', [x, inv]);
    // torch folds Gemma's (1 + w) into one constant when exporting anonymously.
    const stored = options.naming === 'hf' ? gain : gemma ? gain.map((v) => 1 + v) : gain;
    let g = weight(options.naming === 'hf' ? `${module}.weight` : `onnx::Mul_${counter++}`, stored, [gain.length], s);
    if (options.naming === 'hf' && gemma) g = emit(`${s}Add_1`, 'Add', [g, constF(Float32Array.of(1), [])]);
    return emit(`${s}Mul_1`, 'Mul', [g, normed]);
  };

  const D = c.hiddenSize;
  const H = c.heads;
  const K = c.kvHeads;
  const hd = c.headDim;
  const S = 8;
  const { cos, sin } = ropeTables(c, S);
  const cosC = constF(cos, [S, hd]);
  const sinC = constF(sin, [S, hd]);
  const mask = new Float32Array(S * S);
  for (let i = 0; i < S; i++) for (let j = i + 1; j < S; j++) mask[i * S + j] = -1e9;
  const maskC = constF(mask, [S, S]);
  const embedName = options.naming === 'hf' || c.tieWordEmbeddings ? 'model.embed_tokens.weight' : `onnx::Gather_${counter++}`;
  const embed = weight(embedName, w('model.embed_tokens.weight'), [c.vocabSize, D], '/model/embed_tokens/');
  let x = emit('/model/embed_tokens/Gather', 'Gather', [embed, 'input_ids']);
  if (gemma) x = emit('/model/Mul', 'Mul', [x, constF(Float32Array.of(Math.fround(Math.sqrt(D))), [])]);
  const rotate = (s: string, t: string): string => {
    const [a, b] = [emit(`${s}Slice`, 'Slice', [t, constI([0]), constI([hd / 2]), constI([-1])]), emit(`${s}Slice_1`, 'Slice', [t, constI([hd / 2]), constI([hd]), constI([-1])])];
    const rot = emit(`${s}Concat`, 'Concat', [emit(`${s}Neg`, 'Neg', [b]), a], [int('axis', -1)]);
    return emit(`${s}Add_2`, 'Add', [emit(`${s}Mul_2`, 'Mul', [t, cosC]), emit(`${s}Mul_3`, 'Mul', [rot, sinC])]);
  };
  for (let l = 0; l < c.layers; l++) {
    const p = `model.layers.${l}`;
    const s = scope(`${p}.self_attn`);
    const h = rmsNorm(x, `${p}.input_layernorm`);
    const heads = (t: string, n: number, tag: string): string =>
      emit(`${s}Transpose_${tag}`, 'Transpose', [emit(`${s}Reshape_${tag}`, 'Reshape', [t, constI([1, S, n, hd])])], [ints('perm', [0, 2, 1, 3])]);
    const q = rotate(`${s}q/`, heads(linear(h, `${p}.self_attn.q_proj`, c.qkvBias), H, 'q'));
    const expand = (t: string, tag: string): string => {
      // repeat_kv: [1, K, S, hd] → [1, H, S, hd]
      const rep = emit(`${s}Expand_${tag}`, 'Expand', [emit(`${s}Unsqueeze_${tag}`, 'Unsqueeze', [t, constI([2])]), constI([1, K, H / K, S, hd])]);
      return emit(`${s}Reshape_rep_${tag}`, 'Reshape', [rep, constI([1, H, S, hd])]);
    };
    const k = expand(rotate(`${s}k/`, heads(linear(h, `${p}.self_attn.k_proj`, c.qkvBias), K, 'k')), 'k');
    const v = expand(heads(linear(h, `${p}.self_attn.v_proj`, c.qkvBias), K, 'v'), 'v');
    const scores = emit(`${s}Add_mask`, 'Add', [emit(`${s}Div`, 'Div', [emit(`${s}MatMul_qk`, 'MatMul', [q, emit(`${s}Transpose_kT`, 'Transpose', [k], [ints('perm', [0, 1, 3, 2])])]), constF(Float32Array.of(Math.sqrt(hd)), [])]), maskC]);
    const ctx = emit(`${s}MatMul_pv`, 'MatMul', [emit(`${s}Softmax`, 'Softmax', [scores], [int('axis', -1)]), v]);
    const merged = emit(`${s}Reshape_out`, 'Reshape', [emit(`${s}Transpose_out`, 'Transpose', [ctx], [ints('perm', [0, 2, 1, 3])]), constI([1, S, H * hd])]);
    x = emit(`/model/layers.${l}/Add`, 'Add', [x, linear(merged, `${p}.self_attn.o_proj`)]);
    const h2 = rmsNorm(x, `${p}.post_attention_layernorm`);
    const m = scope(`${p}.mlp`);
    const gate = linear(h2, `${p}.mlp.gate_proj`);
    const act = gemma
      ? emit(`${m}Mul_act`, 'Mul', [gate, emit(`${m}Sigmoid`, 'Sigmoid', [emit(`${m}Mul_gelu`, 'Mul', [constF(Float32Array.of(2 * Math.sqrt(2 / Math.PI)), []), emit(`${m}Add_gelu`, 'Add', [gate, emit(`${m}Mul_cube`, 'Mul', [constF(Float32Array.of(0.044715), []), emit(`${m}Pow`, 'Pow', [gate, constF(Float32Array.of(3), [])])])])])])])
      : emit(`${m}Mul_act`, 'Mul', [gate, emit(`${m}Sigmoid`, 'Sigmoid', [gate])]);
    const gated = emit(`${m}Mul`, 'Mul', [act, linear(h2, `${p}.mlp.up_proj`)]);
    x = emit(`/model/layers.${l}/Add_1`, 'Add', [x, linear(gated, `${p}.mlp.down_proj`)]);
  }
  const final = rmsNorm(x, 'model.norm');
  const head = c.tieWordEmbeddings
    ? emit('/lm_head/MatMul', 'MatMul', [final, emit('/lm_head/Transpose', 'Transpose', [embed], [ints('perm', [1, 0])])])
    : linear(final, 'lm_head');
  nodes.push({ name: '/Identity_logits', opType: 'Identity', input: [head], output: ['logits'] });
  const model: onnx.IModelProto = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    producerName: 'pytorch',
    graph: {
      name: 'main_graph',
      node: nodes,
      initializer: inits,
      input: [{ name: 'input_ids', type: { tensorType: { elemType: onnx.TensorProto.DataType.INT64, shape: { dim: [{ dimValue: 1 }, { dimValue: S }] } } } }],
      output: [{ name: 'logits', type: { tensorType: { elemType: F, shape: { dim: [{ dimValue: 1 }, { dimValue: S }, { dimValue: c.vocabSize }] } } } }],
    },
  };
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'model.onnx');
  fs.writeFileSync(file, onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish());
  if (options.externalData) fs.writeFileSync(path.join(dir, 'model.onnx_data'), Buffer.concat(external));
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(hfDecoderConfigJson(config)));
  return file;
}
