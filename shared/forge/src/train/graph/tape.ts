import { onnx } from 'onnx-proto';
import { attrInt, attrInts, attrTensor, OnnxAttr, OnnxDataType, OnnxGraphBuilder } from '../../onnx/graph-builder';

/*
 * A recording of a computation as ONNX nodes with static shapes, and reverse-mode differentiation over it.
 * Each differentiable op records a rule that, given the gradient of its outputs, emits the ONNX nodes of the
 * gradients of its inputs (hand-derived per op: matmul, norm, softmax, GELU/SiLU, rotary, gather, ...).
 * `backward` walks the records in reverse; `extract` cuts any set of outputs into a standalone ONNX model,
 * so one tape yields the fused training step, the forward/backward halves for a caller's loss, and evaluation.
 */

export type DType = 'float32' | 'int64';

/** A value of the graph: a name, a static shape, and whether gradients flow to it. */
export interface Val {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly requiresGrad: boolean;
}

type Phase = 'forward' | 'backward';
interface TapeNode {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, OnnxAttr>;
  phase: Phase;
}
type GradRule = (dys: (Val | null)[]) => (Val | null)[];
interface GradRecord {
  inputs: Val[];
  outputs: Val[];
  rule: GradRule;
}

const ONNX_TYPE: Record<DType, OnnxDataType> = { float32: OnnxDataType.FLOAT, int64: OnnxDataType.INT64 };

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Numpy broadcast of two static shapes. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new Error(`shapes [${a}] and [${b}] do not broadcast`);
    out.push(Math.max(x, y));
  }
  return out;
}

export class Tape {
  private readonly nodes: TapeNode[] = [];
  private readonly records: GradRecord[] = [];
  private readonly inputs = new Map<string, Val>();
  private readonly constants = new Map<string, { val: Val; data: Float32Array | BigInt64Array }>();
  private readonly producers = new Map<string, number>();
  /** Every node output by name, so {@link extract} knows the shape of a cut value. */
  private readonly vals = new Map<string, Val>();
  private readonly usedNames = new Set<string>();
  private phase: Phase = 'forward';
  private counter = 0;

  fresh(prefix: string): string {
    let name = `${prefix}_${this.counter++}`;
    while (this.usedNames.has(name)) name = `${prefix}_${this.counter++}`;
    this.usedNames.add(name);
    return name;
  }

  private claim(name: string): string {
    if (this.usedNames.has(name)) throw new Error(`graph value name already used: ${name}`);
    this.usedNames.add(name);
    return name;
  }

  /** A graph input (parameters are inputs that require gradients). */
  input(name: string, shape: readonly number[], dtype: DType = 'float32', requiresGrad = false): Val {
    const val: Val = { name: this.claim(name), shape: [...shape], dtype, requiresGrad };
    this.inputs.set(name, val);
    return val;
  }

  constant(data: Float32Array | number[], shape: readonly number[] = [], prefix = 'c'): Val {
    const values = data instanceof Float32Array ? data : Float32Array.from(data);
    if (values.length !== sizeOf(shape)) throw new Error(`constant of ${values.length} values for shape [${shape}]`);
    const val: Val = { name: this.fresh(prefix), shape: [...shape], dtype: 'float32', requiresGrad: false };
    this.constants.set(val.name, { val, data: values });
    return val;
  }

  constantInt(values: number[], shape: readonly number[] = [values.length], prefix = 'ci'): Val {
    const val: Val = { name: this.fresh(prefix), shape: [...shape], dtype: 'int64', requiresGrad: false };
    this.constants.set(val.name, { val, data: BigInt64Array.from(values.map((v) => BigInt(v))) });
    return val;
  }

  scalar(value: number): Val {
    return this.constant([value], []);
  }

  /** Emits one node; outputs get the given shapes. No gradient is recorded (see {@link record}). */
  emit(op: string, inputs: (Val | string)[], attrs: Record<string, OnnxAttr>, outShapes: (readonly number[])[], dtype: DType = 'float32', requiresGrad = false): Val[] {
    const outs: Val[] = outShapes.map((shape) => ({ name: this.fresh(op.toLowerCase()), shape: [...shape], dtype, requiresGrad }));
    this.nodes.push({ op, inputs: inputs.map((i) => (typeof i === 'string' ? i : i.name)), outputs: outs.map((o) => o.name), attrs, phase: this.phase });
    for (const o of outs) {
      this.producers.set(o.name, this.nodes.length - 1);
      this.vals.set(o.name, o);
    }
    return outs;
  }

  /** Single-output {@link emit}; the output requires grad when any float input does (forward phase only). */
  op(op: string, inputs: Val[], attrs: Record<string, OnnxAttr>, outShape: readonly number[], dtype: DType = 'float32'): Val {
    return this.emit(op, inputs, attrs, [outShape], dtype, this.tracks(inputs))[0];
  }

  /** A composite op's final node: its output requires grad when any of the composite's inputs `from` does. */
  opFrom(from: Val[], op: string, inputs: Val[], attrs: Record<string, OnnxAttr>, outShape: readonly number[]): Val {
    return this.emit(op, inputs, attrs, [outShape], 'float32', this.tracks(from))[0];
  }

  /** Whether an op over `inputs` must record a gradient rule. */
  tracks(inputs: Val[]): boolean {
    return this.phase === 'forward' && inputs.some((i) => i.requiresGrad);
  }

  /** Records how to push gradients from `outputs` back to `inputs`. */
  record(inputs: Val[], outputs: Val[], rule: GradRule): void {
    if (this.tracks(inputs)) this.records.push({ inputs, outputs, rule });
  }

  /**
   * Reverse-mode pass from `seeds` (value, gradient pairs). Returns the summed gradient of every value in
   * `wrt` that the seeds depend on (null otherwise). Each call appends its own nodes, so several backward
   * passes (e.g. from a scalar loss and from a logits-gradient input) can share one tape.
   */
  backward(seeds: [Val, Val][], wrt: Val[]): Map<string, Val | null> {
    const contributions = new Map<string, Val[]>();
    const add = (name: string, g: Val): void => {
      const list = contributions.get(name);
      if (list) list.push(g);
      else contributions.set(name, [g]);
    };
    const total = (v: Val): Val | null => {
      const list = contributions.get(v.name);
      if (!list || list.length === 0) return null;
      const sum = list.length === 1 ? list[0] : this.emit('Sum', list, {}, [v.shape])[0];
      contributions.set(v.name, [sum]);
      return sum;
    };
    for (const [v, g] of seeds) add(v.name, g);
    const previous = this.phase;
    this.phase = 'backward';
    try {
      for (let i = this.records.length - 1; i >= 0; i--) {
        const rec = this.records[i];
        const dys = rec.outputs.map(total);
        if (dys.every((d) => d === null)) continue;
        const dxs = rec.rule(dys);
        rec.inputs.forEach((input, k) => {
          const dx = dxs[k];
          if (!dx || !input.requiresGrad) return;
          if (dx.shape.join() !== input.shape.join()) throw new Error(`gradient of ${input.name} has shape [${dx.shape}], expected [${input.shape}]`);
          add(input.name, dx);
        });
      }
      return new Map(wrt.map((w) => [w.name, total(w)]));
    } finally {
      this.phase = previous;
    }
  }

  /** Names of values computed by forward-phase nodes (the candidates for saved activations). */
  forwardValues(): Set<string> {
    const out = new Set<string>();
    for (const n of this.nodes) if (n.phase === 'forward') n.outputs.forEach((o) => out.add(o));
    return out;
  }

  /**
   * A standalone ONNX model computing `outputs` (graph outputs are renamed per `outputNames`). Values in
   * `cut` are not recomputed but become graph inputs; `inputs` lists the graph inputs the model needs, in order.
   */
  extract(outputs: Val[], options: { outputNames?: string[]; cut?: ReadonlySet<string>; name?: string } = {}): { bytes: Uint8Array; inputs: Val[]; outputNames: string[] } {
    const cut = options.cut ?? new Set<string>();
    const outputNames = options.outputNames ?? outputs.map((o) => o.name);
    const needNodes = new Set<number>();
    const needInputs = new Map<string, Val>();
    const needConsts = new Set<string>();
    const stack = outputs.map((o) => o.name);
    const visited = new Set<string>();
    while (stack.length) {
      const name = stack.pop()!;
      if (!name || visited.has(name)) continue;
      visited.add(name);
      if (this.inputs.has(name)) {
        needInputs.set(name, this.inputs.get(name)!);
      } else if (this.constants.has(name)) {
        needConsts.add(name);
      } else if (cut.has(name)) {
        needInputs.set(name, { ...this.vals.get(name)!, requiresGrad: false });
      } else {
        const idx = this.producers.get(name);
        if (idx === undefined) throw new Error(`value ${name} is produced by no node`);
        needNodes.add(idx);
        for (const i of this.nodes[idx].inputs) stack.push(i);
      }
    }
    const g = new OnnxGraphBuilder(options.name ?? 'tape');
    const inputs = [...needInputs.values()];
    for (const v of inputs) g.input(v.name, ONNX_TYPE[v.dtype], [...v.shape]);
    const proto = g.toModelProto();
    const graph = proto.graph!;
    for (const name of needConsts) {
      const { val, data } = this.constants.get(name)!;
      const bytes = new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
      graph.initializer!.push({ name, dataType: ONNX_TYPE[val.dtype], dims: [...val.shape], rawData: bytes });
    }
    const nodes: onnx.INodeProto[] = [];
    [...needNodes].sort((a, b) => a - b).forEach((idx, k) => {
      const n = this.nodes[idx];
      nodes.push({ name: `n${k}_${n.op}`, opType: n.op, domain: '', input: n.inputs, output: n.outputs, attribute: Object.entries(n.attrs).map(([name, a]) => ({ name, ...a })) });
    });
    // Graph outputs under their public names: an Identity per output.
    outputs.forEach((o, k) => {
      nodes.push({ name: `out${k}`, opType: 'Identity', domain: '', input: [o.name], output: [outputNames[k]] });
      graph.output!.push({ name: outputNames[k], type: { tensorType: { elemType: ONNX_TYPE[o.dtype], shape: { dim: o.shape.map((d) => ({ dimValue: d })) } } } });
    });
    graph.node = nodes;
    const bytes = onnx.ModelProto.encode(onnx.ModelProto.create(proto)).finish();
    return { bytes, inputs, outputNames };
  }

  // ---- shape helpers used by the ops -------------------------------------------------------------------------

  /** Sums `dy` over broadcast axes so it has `shape`. */
  unbroadcast(dy: Val, shape: readonly number[]): Val {
    if (dy.shape.join() === shape.join()) return dy;
    const rank = dy.shape.length;
    const padded = [...Array(rank - shape.length).fill(1), ...shape];
    const axes = padded.flatMap((d, i) => (d === 1 && dy.shape[i] !== 1 ? [i] : []));
    let out = dy;
    if (axes.length) {
      const kept = dy.shape.map((d, i) => (axes.includes(i) ? 1 : d));
      out = this.emit('ReduceSum', [dy, this.constantInt(axes)], { keepdims: attrInt(1) }, [kept])[0];
    }
    return out.shape.join() === shape.join() ? out : this.reshape(out, shape);
  }

  reshape(x: Val, shape: readonly number[]): Val {
    if (sizeOf(shape) !== sizeOf(x.shape)) throw new Error(`cannot reshape [${x.shape}] to [${shape}]`);
    if (x.shape.join() === shape.join()) return x;
    const y = this.op('Reshape', [x, this.constantInt([...shape])], {}, shape, x.dtype);
    this.record([x], [y], ([dy]) => [this.reshape(dy!, x.shape)]);
    return y;
  }

  transpose(x: Val, perm: number[]): Val {
    const y = this.op('Transpose', [x], { perm: attrInts(perm) }, perm.map((p) => x.shape[p]), x.dtype);
    const inverse = perm.map((_, i) => perm.indexOf(i));
    this.record([x], [y], ([dy]) => [this.transpose(dy!, inverse)]);
    return y;
  }

  /** Zeros of a static shape (ConstantOfShape, so no initializer of that size is stored). */
  zeros(shape: readonly number[]): Val {
    const value = attrTensor({ dataType: OnnxDataType.FLOAT, dims: [1], floatData: [0] });
    return this.emit('ConstantOfShape', [this.constantInt([...shape])], { value }, [shape])[0];
  }
}
