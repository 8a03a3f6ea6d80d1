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
export const attrGraph = (g: onnx.IGraphProto): OnnxAttr => ({ type: AttrType.GRAPH, g });

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
  private readonly initializers: onnx.ITensorProto[];
  private readonly inputs: onnx.IValueInfoProto[] = [];
  private readonly outputs: onnx.IValueInfoProto[] = [];
  private readonly names: Set<string>;
  private readonly counter: { next: number };

  constructor(
    readonly graphName: string,
    /** A subgraph shares its parent's names and initializers (outer-scope values are visible inside it). */
    parent?: OnnxGraphBuilder,
  ) {
    this.names = parent ? parent.names : new Set();
    this.initializers = parent ? parent.initializers : [];
    this.counter = parent ? parent.counter : { next: 0 };
  }

  /** A builder for a subgraph (e.g. an `If` branch): its nodes and outputs are its own, names and initializers shared. */
  subgraph(name: string): OnnxGraphBuilder {
    return new OnnxGraphBuilder(name, this);
  }

  /** A value name not used so far, derived from `prefix`. */
  fresh(prefix: string): string {
    let name = `${prefix}_${this.counter.next++}`;
    while (this.names.has(name)) name = `${prefix}_${this.counter.next++}`;
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

  /** Initializer of any element type from its raw little-endian values (float16 as Uint16Array bits, int8, uint8, ...). */
  initRaw(name: string, dataType: OnnxDataType, data: ArrayBufferView & { length: number }, dims: number[]): string {
    return this.pushInit(this.claim(name), dataType, data, dims);
  }

  private pushInit(name: string, dataType: OnnxDataType, data: ArrayBufferView & { length: number }, dims: number[]): string {
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

  /** This graph alone: a subgraph's proto has no initializers of its own (they live in the root graph). */
  toGraphProto(): onnx.IGraphProto {
    return { name: this.graphName, node: this.nodes, input: this.inputs, output: this.outputs };
  }

  toModelProto(options: OnnxModelOptions = {}): onnx.IModelProto {
    return {
      irVersion: options.irVersion ?? 8,
      opsetImport: [{ domain: '', version: options.opset ?? 17 }],
      producerName: options.producerName ?? '@assay/forge',
      producerVersion: options.producerVersion ?? '0.1.0',
      metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
      graph: { ...this.toGraphProto(), initializer: this.initializers },
    };
  }

  /** Serialized `model.onnx` bytes. */
  toBytes(options: OnnxModelOptions = {}): Uint8Array {
    return onnx.ModelProto.encode(onnx.ModelProto.create(this.toModelProto(options))).finish();
  }
}
