import { float32ToFloat16 } from '@assay/stats';
import { attrInt, attrInts, OnnxDataType, OnnxGraphBuilder } from '../graph-builder';
import { DecoderWeights } from './decoder-weights';

/**
 * How the weights of an exported graph are stored, i.e. which file variant it is:
 * - `float32`: `model.onnx`;
 * - `float16`: `model_fp16.onnx`, every weight stored as float16 and cast up where used (half the file);
 * - `int8`: `model_quantized.onnx`, the Linear weights int8 (per-tensor, symmetric) with onnxruntime's
 *   dynamic-quantization pattern (DynamicQuantizeLinear → MatMulInteger → rescale), as transformers.js'
 *   `q8` conversion writes them; embeddings and norms stay float32.
 */
export type WeightFormat = 'float32' | 'float16' | 'int8';

export interface QuantizedMatrix {
  /** int8 [in, out] (already transposed for MatMulInteger). */
  weight: string;
  scale: string;
  zeroPoint: string;
}

const F = OnnxDataType.FLOAT;

/**
 * Emits each weight once, into the root graph (so both branches of a merged decoder share it), under its
 * Hugging Face name and layout: Linear weights stay [out, in] and a Transpose node feeds MatMul (onnxruntime
 * folds it when the session loads), so the initializers read back as the state dict they came from.
 */
export class WeightStore {
  private readonly emitted = new Map<string, string>();

  constructor(
    private readonly root: OnnxGraphBuilder,
    private readonly weights: DecoderWeights,
    readonly format: WeightFormat,
  ) {}

  private tensor(name: string) {
    const t = this.weights[name];
    if (!t) throw new Error(`decoder weights: missing ${name}`);
    return t;
  }

  /** The weight as a float32 value of its own shape (cast from float16 storage when needed). */
  raw(name: string): string {
    return this.once(`raw:${name}`, () => {
      const { data, shape } = this.tensor(name);
      if (this.format !== 'float16') return this.root.initFloat(name, data, shape);
      const stored = this.root.initRaw(name, OnnxDataType.FLOAT16, float32ToFloat16(data), shape);
      return this.root.op('Cast', [stored], { to: attrInt(F) });
    });
  }

  /** A Linear weight [out, in] as the [in, out] matrix MatMul takes. */
  matmulWeight(name: string): string {
    return this.once(`t:${name}`, () => this.root.op('Transpose', [this.raw(name)], { perm: attrInts([1, 0]) }));
  }

  /** The int8 [in, out] copy of a Linear weight (per-tensor symmetric scale, zero point 0). */
  quantized(name: string): QuantizedMatrix {
    const weight = this.once(`q:${name}`, () => {
      const { data, shape } = this.tensor(name);
      const [outDim, inDim] = shape;
      let absMax = 0;
      for (let i = 0; i < data.length; i++) absMax = Math.max(absMax, Math.abs(data[i]));
      const scale = absMax > 0 ? absMax / 127 : 1;
      const q = new Int8Array(inDim * outDim);
      for (let o = 0; o < outDim; o++) {
        for (let i = 0; i < inDim; i++) q[i * outDim + o] = Math.max(-127, Math.min(127, Math.round(data[o * inDim + i] / scale)));
      }
      const stored = this.root.initRaw(`${name}_quantized`, OnnxDataType.INT8, q, [inDim, outDim]);
      this.root.initFloat(`${stored}_scale`, Float32Array.of(scale), []);
      this.root.initRaw(`${stored}_zero_point`, OnnxDataType.INT8, Int8Array.of(0), []);
      return stored;
    });
    return { weight, scale: `${weight}_scale`, zeroPoint: `${weight}_zero_point` };
  }

  /** A norm gain as the multiplier it is: w, or Gemma's 1 + w (the initializer keeps HF's w). */
  normGain(name: string, onePlus: boolean): string {
    if (!onePlus) return this.raw(name);
    return this.once(`gain:${name}`, () => this.root.op('Add', [this.raw(name), this.root.constFloat('one', [1])]));
  }

  private once(key: string, make: () => string): string {
    let value = this.emitted.get(key);
    if (value === undefined) {
      value = make();
      this.emitted.set(key, value);
    }
    return value;
  }
}
