import { onnx } from 'onnx-proto';

/** A tensor dimension: a fixed size or a named dynamic dimension (`dim_param`). */
export type Dim = number | string;

export const OnnxDataType = onnx.TensorProto.DataType;
export type OnnxDataType = onnx.TensorProto.DataType;

const AttrType = onnx.AttributeProto.AttributeType;

/** A typed node attribute; build with {@link attrInt}, {@link attrFloat}, {@link attrInts}, {@link attrTensor}. */
export type OnnxAttr = Omit<onnx.IAttributeProto, 'name'>;

export const attrInt = (i: number): OnnxAttr => ({ type: AttrType.INT, i });
export const attrFloat = (f: number): OnnxAttr => ({ type: AttrType.FLOAT, f });
export const attrInts = (ints: number[]): OnnxAttr => ({ type: AttrType.INTS, ints });
export const attrString = (s: string): OnnxAttr => ({ type: AttrType.STRING, s: new TextEncoder().encode(s) });
export const attrTensor = (t: onnx.ITensorProto): OnnxAttr => ({ type: AttrType.TENSOR, t });

export interface OnnxModelOptions {
  producerName?: string;
  producerVersion?: string;
  /** Defaults to 17. */
  opset?: number;
  /** Defaults to 8 (the highest onnx-proto 8 encodes). */
  irVersion?: number;
  metadata?: Record<string, string>;
}

function bytesOf(view: ArrayBufferView): Uint8Array {
  // Copy so the encoded model never aliases (and pins) the caller's buffer.
  return new Uint8Array(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength));
}

function valueInfo(name: string, elemType: OnnxDataType, dims: Dim[]): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/**
 * Small imperative builder for ONNX graphs: initializers from typed arrays, one call per node,
 * generated unique value names. Little-endian raw data (every platform we run on).
 */
export class OnnxGraphBuilder {
  private readonly nodes: onnx.INodeProto[] = [];
  private readonly initializers: onnx.ITensorProto[] = [];
  private readonly inputs: onnx.IValueInfoProto[] = [];
  private readonly outputs: onnx.IValueInfoProto[] = [];
  private readonly names = new Set<string>();
  private counter = 0;

  constructor(readonly graphName: string) {}

  /** A value name not used so far, derived from `prefix`. */
  fresh(prefix: string): string {
    let name = `${prefix}_${this.counter++}`;
    while (this.names.has(name)) name = `${prefix}_${this.counter++}`;
    this.names.add(name);
    return name;
  }

  private claim(name: string): string {
    if (this.names.has(name)) throw new Error(`ONNX value name already used: ${name}`);
    this.names.add(name);
    return name;
  }

  input(name: string, elemType: OnnxDataType, dims: Dim[]): string {
    this.inputs.push(valueInfo(this.claim(name), elemType, dims));
    return name;
  }

  /** Declares `name` (already produced by a node) as a graph output. */
  output(name: string, elemType: OnnxDataType, dims: Dim[]): string {
    this.outputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  initFloat(name: string, data: Float32Array, dims: number[]): string {
    return this.pushInit(this.claim(name), OnnxDataType.FLOAT, data, dims);
  }

  /** Int64 initializer; `dims` defaults to a 1-D tensor, `[]` gives a scalar. */
  initInt64(name: string, values: number[], dims: number[] = [values.length]): string {
    return this.pushInit(this.claim(name), OnnxDataType.INT64, BigInt64Array.from(values.map((v) => BigInt(v))), dims);
  }

  /** Float constant with a generated name; a scalar unless `dims` is given. */
  constFloat(prefix: string, values: number[], dims: number[] = []): string {
    return this.pushInit(this.fresh(prefix), OnnxDataType.FLOAT, Float32Array.from(values), dims);
  }

  /** Int64 constant with a generated name; 1-D unless `dims` is given (`[]` for a scalar). */
  constInt64(prefix: string, values: number[], dims: number[] = [values.length]): string {
    return this.pushInit(this.fresh(prefix), OnnxDataType.INT64, BigInt64Array.from(values.map((v) => BigInt(v))), dims);
  }

  private pushInit(name: string, dataType: OnnxDataType, data: Float32Array | BigInt64Array, dims: number[]): string {
    const expected = dims.reduce((a, b) => a * b, 1);
    if (data.length !== expected) throw new Error(`initializer ${name}: ${data.length} values for dims [${dims}]`);
    this.initializers.push({ name, dataType, dims, rawData: bytesOf(data) });
    return name;
  }

  /** Adds a node and returns its output names (generated unless given). */
  node(
    opType: string,
    inputs: string[],
    attrs: Record<string, OnnxAttr> = {},
    outputs: number | string[] = 1,
  ): string[] {
    const outNames =
      typeof outputs === 'number'
        ? Array.from({ length: outputs }, () => this.fresh(opType.toLowerCase()))
        : outputs.map((o) => this.claim(o));
    this.nodes.push({
      name: this.fresh(`n_${opType}`),
      opType,
      domain: '',
      input: inputs,
      output: outNames,
      attribute: Object.entries(attrs).map(([name, a]) => ({ name, ...a })),
    });
    return outNames;
  }

  /** Single-output node; `outName` names the result (e.g. a graph output). */
  op(opType: string, inputs: string[], attrs: Record<string, OnnxAttr> = {}, outName?: string): string {
    return this.node(opType, inputs, attrs, outName === undefined ? 1 : [outName])[0];
  }

  toModelProto(options: OnnxModelOptions = {}): onnx.IModelProto {
    return {
      irVersion: options.irVersion ?? 8,
      opsetImport: [{ domain: '', version: options.opset ?? 17 }],
      producerName: options.producerName ?? '@assay/forge',
      producerVersion: options.producerVersion ?? '0.1.0',
      metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
      graph: {
        name: this.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    };
  }

  /** Serialized `model.onnx` bytes. */
  toBytes(options: OnnxModelOptions = {}): Uint8Array {
    return onnx.ModelProto.encode(onnx.ModelProto.create(this.toModelProto(options))).finish();
  }
}
