import { createHash } from 'crypto';
import { onnx } from 'onnx-proto';
import { qHeadLayout, QHeadLayout } from '@assay/stats';
import { SessionConfig } from '../config';
import { InferenceBackend } from '../model-runner/model-runner';
import type { RectifySpec } from '../sampling/rectified-sampler';
import { OnnxSession } from './onnx-session';

/**
 * The Q heads of rectified decoding (issue 12) run in onnxruntime, beside the LM they read: one session per
 * distinct head, batched over the rows of a decoding step. The graph is the Q artifact's `model.onnx`
 * (Gemm → Relu → Gemm → Sigmoid → Neg, float32), rebuilt here from the parameters a request carries, so Q = −σ(u)
 * lies in [−1, 0] as the JavaScript head's does (σ saturates to exactly 1 from u ≈ 17 in float32, from u ≈ 37 in
 * float64; the caps clamp Q to [−1, 0] either way). The rows' Q values are views of the one output tensor (no
 * copy, no per-value work in JavaScript). Heads cross to worker threads by structured clone (a fresh object per
 * request), so sessions are keyed by a hash of the parameters and the few most recent are kept.
 */
export interface QHeadRunner {
  /** Q(s, ·) of the hidden states at `offsets` (each `inDim` long) in `hidden`, one row of V values per offset. */
  evaluate(head: RectifySpec['head'], hidden: Float32Array, offsets: readonly number[]): Promise<Float32Array[]>;
  release(): Promise<void>;
}

const INPUT = 'hidden_states';
const OUTPUT = 'q_values';
/** Sessions kept (distinct heads in recent use on this thread). */
const MAX_SESSIONS = 4;

function floatInit(name: string, data: Float64Array, dims: number[]): onnx.ITensorProto {
  const f32 = Float32Array.from(data);
  return { name, dataType: onnx.TensorProto.DataType.FLOAT, dims, rawData: new Uint8Array(f32.buffer, f32.byteOffset, f32.byteLength) };
}

function valueInfo(name: string, dims: (number | string)[]): onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

/** The head as the artifact's `model.onnx`: `hidden_states [n, D]` → `q_values [n, V]` = −σ(MLP(h)), float32. */
export function qHeadGraph(layout: QHeadLayout, params: Float64Array): Uint8Array {
  const nodes: onnx.INodeProto[] = [];
  const initializer: onnx.ITensorProto[] = [];
  let x = INPUT;
  layout.layers.forEach((layer, i) => {
    initializer.push(floatInit(`w${i}`, params.subarray(layer.oW, layer.oW + layer.inDim * layer.outDim), [layer.outDim, layer.inDim]));
    initializer.push(floatInit(`b${i}`, params.subarray(layer.oB, layer.oB + layer.outDim), [layer.outDim]));
    const last = i + 1 === layout.layers.length;
    const y = `gemm${i}`;
    nodes.push({ opType: 'Gemm', input: [x, `w${i}`, `b${i}`], output: [y], name: `gemm${i}`, attribute: [{ name: 'transB', type: onnx.AttributeProto.AttributeType.INT, i: 1 }] });
    x = y;
    if (!last) {
      nodes.push({ opType: 'Relu', input: [y], output: [`relu${i}`], name: `relu${i}` });
      x = `relu${i}`;
    }
  });
  nodes.push({ opType: 'Sigmoid', input: [x], output: ['sigmoid'], name: 'sigmoid' });
  nodes.push({ opType: 'Neg', input: ['sigmoid'], output: [OUTPUT], name: 'neg' });
  const model: onnx.IModelProto = {
    irVersion: 8,
    producerName: 'assay-runtime',
    opsetImport: [{ domain: '', version: 17 }],
    graph: { name: 'assay-q-head', node: nodes, initializer, input: [valueInfo(INPUT, ['n', layout.inDim])], output: [valueInfo(OUTPUT, ['n', layout.vocab])] },
  };
  return onnx.ModelProto.encode(model).finish();
}

interface HeadSession {
  layout: QHeadLayout;
  session: OnnxSession;
  backend: InferenceBackend;
}

export class QHeadSessions implements QHeadRunner {
  /** Sessions by parameter hash, least recently used first. */
  private readonly byHash = new Map<string, Promise<HeadSession>>();
  private readonly hashes = new WeakMap<RectifySpec['head'], string>();

  /** `wrap`: how runs are queued on this thread (the host's RunQueue), so a head's pass never overlaps a forward. */
  constructor(
    private readonly config: SessionConfig,
    private readonly wrap: (backend: InferenceBackend) => InferenceBackend = (b) => b,
  ) {}

  /** Heads with a session open (or opening) on this thread. */
  get size(): number {
    return this.byHash.size;
  }

  async evaluate(head: RectifySpec['head'], hidden: Float32Array, offsets: readonly number[]): Promise<Float32Array[]> {
    const { layout, backend } = await this.sessionOf(head);
    const D = layout.inDim;
    const V = layout.vocab;
    const n = offsets.length;
    const input = new Float32Array(n * D);
    offsets.forEach((offset, b) => {
      if (offset < 0 || offset + D > hidden.length) throw new RangeError(`hidden state at ${offset} runs past ${hidden.length} values`);
      input.set(hidden.subarray(offset, offset + D), b * D);
    });
    const out = await backend.run({ [INPUT]: { type: 'float32', data: input, dims: [n, D] } }, [OUTPUT]);
    const q = out[OUTPUT];
    if (q.type !== 'float32' || q.data.length !== n * V) throw new RangeError(`the Q head returned ${q.data.length} values for ${n} rows of ${V}`);
    return offsets.map((_, b) => q.data.subarray(b * V, (b + 1) * V));
  }

  async release(): Promise<void> {
    const sessions = [...this.byHash.values()];
    this.byHash.clear();
    await Promise.all(sessions.map((s) => s.then((h) => h.session.release(), () => undefined)));
  }

  private sessionOf(head: RectifySpec['head']): Promise<HeadSession> {
    let hash = this.hashes.get(head);
    if (hash === undefined) {
      const { params } = head;
      hash = createHash('sha256')
        .update(`${head.inDim}/${head.hidden}/${head.vocab}/`)
        .update(new Uint8Array(params.buffer, params.byteOffset, params.byteLength))
        .digest('hex');
      this.hashes.set(head, hash);
    }
    const found = this.byHash.get(hash);
    if (found) {
      this.byHash.delete(hash);
      this.byHash.set(hash, found);
      return found;
    }
    const opening = this.open(head);
    this.byHash.set(hash, opening);
    // A head that cannot be opened is not cached (the caller falls back and reports the error).
    opening.catch(() => this.byHash.get(hash!) === opening && this.byHash.delete(hash!));
    while (this.byHash.size > MAX_SESSIONS) {
      const [oldest, session] = this.byHash.entries().next().value as [string, Promise<HeadSession>];
      this.byHash.delete(oldest);
      // Released behind the runs already queued on this thread (one may still use it).
      void session.then((s) => this.wrap({ run: async () => (await s.session.release(), {}) }).run({}, []), () => undefined);
    }
    return opening;
  }

  private async open(head: RectifySpec['head']): Promise<HeadSession> {
    const layout = qHeadLayout(head);
    if (head.params.length !== layout.size) throw new RangeError(`Q head has ${head.params.length} parameters, its shape needs ${layout.size}`);
    const opened = await OnnxSession.open('<rectifier Q head>', this.config, qHeadGraph(layout, head.params));
    return { layout, session: opened.session, backend: this.wrap(opened.session) };
  }
}
