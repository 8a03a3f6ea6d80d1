import fs from 'node:fs';
import path from 'node:path';
import { onnx } from 'onnx-proto';
import { float16ToFloat32 } from '@assay/stats';
import { DecoderConfig, decoderWeightShapes, DecoderWeights, resolveDecoderConfig } from '../onnx/decoder-families';

/*
 * Reads a llama-family decoder's weights back out of an ONNX export, into the Hugging Face state dict the trainer
 * takes. Exports name their weights in one of two ways, and both are handled:
 * - by Hugging Face name (the forge's own exporter; many dynamo exports): `model.layers.0.self_attn.q_proj.weight`,
 *   [out, in] behind a Transpose, or fed straight to MatMul as [in, out]; float16 copies (model_fp16.onnx) and
 *   per-tensor int8 copies `<name>_quantized` + `_scale` + `_zero_point` (model_quantized.onnx, dequantised: lossy);
 * - anonymously (torch.onnx / Optimum / transformers.js conversions): `onnx::MatMul_1234`, [in, out], found through
 *   the node that uses it, whose name carries the module path (`/model/layers.0/self_attn/q_proj/MatMul`).
 * Weights in external data files (`model.onnx_data`) are read from beside the graph.
 */

const T = onnx.TensorProto.DataType;

interface Use {
  node: onnx.INodeProto;
  index: number;
}

/** An ONNX model's initializers and the nodes (subgraphs included) that consume each value. */
class OnnxWeightSource {
  private readonly inits = new Map<string, onnx.ITensorProto>();
  private readonly uses = new Map<string, Use[]>();
  private readonly producers = new Map<string, onnx.INodeProto>();
  readonly nodes: onnx.INodeProto[] = [];

  constructor(model: onnx.IModelProto, private readonly dir: string) {
    const walk = (graph: onnx.IGraphProto | null | undefined): void => {
      if (!graph) return;
      for (const init of graph.initializer ?? []) this.inits.set(init.name!, init);
      for (const node of graph.node ?? []) {
        this.nodes.push(node);
        (node.input ?? []).forEach((name, index) => {
          const list = this.uses.get(name) ?? [];
          list.push({ node, index });
          this.uses.set(name, list);
        });
        for (const o of node.output ?? []) this.producers.set(o, node);
        for (const attr of node.attribute ?? []) {
          walk(attr.g);
          for (const g of attr.graphs ?? []) walk(g);
        }
      }
    };
    walk(model.graph);
  }

  has(name: string): boolean {
    return this.inits.has(name);
  }

  usesOf(name: string): Use[] {
    return this.uses.get(name) ?? [];
  }

  producer(name: string): onnx.INodeProto | undefined {
    return this.producers.get(name);
  }

  dims(name: string): number[] {
    return (this.inits.get(name)!.dims ?? []).map(Number);
  }

  private bytes(init: onnx.ITensorProto): Uint8Array {
    if (init.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
      const entry = (key: string): string | undefined => init.externalData?.find((e) => e.key === key)?.value ?? undefined;
      const file = path.join(this.dir, entry('location')!);
      const offset = Number(entry('offset') ?? 0);
      const size = this.dims(init.name!).reduce((a, b) => a * b, 1) * (init.dataType === T.FLOAT ? 4 : init.dataType === T.INT8 || init.dataType === T.UINT8 ? 1 : 2);
      const length = Number(entry('length') ?? size);
      const fd = fs.openSync(file, 'r');
      try {
        const out = new Uint8Array(length);
        if (fs.readSync(fd, out, 0, length, offset) !== length) throw new Error(`${file} is truncated (${init.name} needs bytes ${offset}..${offset + length})`);
        return out;
      } finally {
        fs.closeSync(fd);
      }
    }
    return init.rawData ?? new Uint8Array(0);
  }

  /** An initializer as float32 (from float32, float16, bfloat16 or int8/uint8 storage). */
  floats(name: string): Float32Array {
    const init = this.inits.get(name);
    if (!init) throw new Error(`no initializer ${name}`);
    const n = this.dims(name).reduce((a, b) => a * b, 1);
    const raw = this.bytes(init);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const out = new Float32Array(n);
    if (init.dataType === T.FLOAT) {
      if (raw.length) for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
      else out.set(init.floatData ?? []);
    } else if (init.dataType === T.FLOAT16 || init.dataType === T.BFLOAT16) {
      const bits = raw.length ? Uint16Array.from({ length: n }, (_, i) => view.getUint16(i * 2, true)) : Uint16Array.from(init.int32Data ?? []);
      if (init.dataType === T.FLOAT16) out.set(float16ToFloat32(bits));
      else for (let i = 0; i < n; i++) out[i] = new Float32Array(new Uint32Array([bits[i] << 16]).buffer)[0];
    } else if (init.dataType === T.INT8 || init.dataType === T.UINT8) {
      const values = raw.length ? raw : Uint8Array.from(init.int32Data ?? []);
      for (let i = 0; i < n; i++) out[i] = init.dataType === T.INT8 ? (values[i] << 24) >> 24 : values[i];
    } else {
      throw new Error(`initializer ${name} has element type ${init.dataType}, which cannot be read as weights`);
    }
    if (out.length !== n) throw new Error(`initializer ${name} holds ${out.length} values for dims [${this.dims(name)}]`);
    return out;
  }
}

function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}

/** `model.layers.0.self_attn.q_proj` → `/model/layers.0/self_attn/q_proj/` (torch's node scope naming). */
function scopeOf(module: string): string {
  const parts: string[] = [];
  for (const p of module.split('.')) {
    if (/^\d+$/.test(p) && parts.length) parts[parts.length - 1] += `.${p}`;
    else parts.push(p);
  }
  return `/${parts.join('/')}/`;
}

/** The initializer behind a value, looking through Cast / Identity / Transpose (returned as `transposed`). */
function initializerBehind(src: OnnxWeightSource, value: string): { name: string; transposed: boolean } | undefined {
  let transposed = false;
  for (let hops = 0; hops < 4; hops++) {
    if (src.has(value)) return { name: value, transposed };
    const node = src.producer(value);
    if (!node || !['Cast', 'Identity', 'Transpose'].includes(node.opType!)) return undefined;
    if (node.opType === 'Transpose') transposed = !transposed;
    value = node.input![0];
  }
  return undefined;
}

/** Where an initializer's value goes, through Cast / Identity: into a Transpose, into MatMul as its matrix, or elsewhere. */
function consumer(src: OnnxWeightSource, value: string, depth = 0): 'transpose' | 'matmul' | undefined {
  for (const use of src.usesOf(value)) {
    if (use.node.opType === 'Transpose') return 'transpose';
    if (use.node.opType === 'MatMul' && use.index === 1) return 'matmul';
    if ((use.node.opType === 'Cast' || use.node.opType === 'Identity') && depth < 3) {
      const next = consumer(src, use.node.output![0], depth + 1);
      if (next) return next;
    }
  }
  return undefined;
}

/** A Linear weight [out, in]: by HF name (or its int8 copy), else through the MatMul in the module's scope. */
function linearWeight(src: OnnxWeightSource, name: string, shape: number[]): Float32Array | undefined {
  const [outDim, inDim] = shape;
  // MatMul multiplies by [in, out]: a weight that reaches it without a Transpose is stored [in, out].
  const asOutIn = (init: string, storedInOut: boolean): Float32Array => (storedInOut ? transpose(src.floats(init), inDim, outDim) : src.floats(init));
  if (src.has(name)) {
    const kind = consumer(src, name);
    if (!kind && src.dims(name).join() !== shape.join()) return undefined;
    return asOutIn(name, kind === 'matmul');
  }
  const q = `${name}_quantized`;
  if (src.has(q)) {
    const scale = src.floats(`${q}_scale`)[0];
    const zero = src.has(`${q}_zero_point`) ? src.floats(`${q}_zero_point`)[0] : 0;
    return transpose(src.floats(q).map((v) => (v - zero) * scale), inDim, outDim);
  }
  const scope = scopeOf(name.replace(/\.weight$/, ''));
  const matmul = src.nodes.find((n) => n.name?.startsWith(scope) && n.opType === 'MatMul');
  if (!matmul) return undefined;
  const behind = initializerBehind(src, matmul.input![1]);
  return behind ? asOutIn(behind.name, !behind.transposed) : undefined;
}

/**
 * A vector or embedding (bias, norm gain, embed_tokens): by HF name, else an initializer of that size used in the
 * module's scope. `unitOffset` (Gemma's 1 + w norms): an anonymous gain that feeds Mul directly is the folded 1 + w.
 */
function plainTensor(src: OnnxWeightSource, name: string, shape: number[], unitOffset = false): Float32Array | undefined {
  if (src.has(name)) return src.floats(name);
  const size = shape.reduce((a, b) => a * b, 1);
  const scope = scopeOf(name.replace(/\.(weight|bias)$/, ''));
  const wantBias = name.endsWith('.bias');
  for (const node of src.nodes) {
    if (!node.name?.startsWith(scope)) continue;
    if (wantBias && node.opType !== 'Add') continue;
    for (const input of node.input ?? []) {
      const behind = initializerBehind(src, input);
      if (!behind || src.dims(behind.name).reduce((a, b) => a * b, 1) !== size) continue;
      const data = src.floats(behind.name);
      return unitOffset && node.opType === 'Mul' ? data.map((v) => v - 1) : data;
    }
  }
  return undefined;
}

/** The decoder's state dict from a decoded ONNX model (`dir` holds any external data file). */
export function decoderWeightsFromOnnx(model: onnx.IModelProto, config: DecoderConfig, dir: string): DecoderWeights {
  const c = resolveDecoderConfig(config);
  const src = new OnnxWeightSource(model, dir);
  const weights: DecoderWeights = {};
  const missing: string[] = [];
  for (const [name, shape] of decoderWeightShapes(c)) {
    const isLinear = shape.length === 2 && name !== 'model.embed_tokens.weight';
    const data = isLinear ? linearWeight(src, name, shape) : plainTensor(src, name, shape, c.gemmaStyle && name.endsWith('norm.weight'));
    if (!data) {
      missing.push(name);
      continue;
    }
    weights[name] = { shape, data };
  }
  if (missing.length) {
    throw new Error(`the ONNX graph does not hold ${missing.length} weight(s) of this ${c.family} config.json, e.g. ${missing.slice(0, 3).join(', ')}`);
  }
  return weights;
}

/** Decodes an ONNX file (protobuf) and its weights' directory. */
export function readOnnxModel(file: string): onnx.ModelProto {
  const bytes = fs.readFileSync(file);
  try {
    return onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw new Error(`${file} is not a readable ONNX model (${(err as Error).message})`);
  }
}
