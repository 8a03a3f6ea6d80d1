import { createHash } from 'crypto';
import { onnx } from 'onnx-proto';
import { qHeadLayout, QHeadLayout } from '@assay/stats';
import { SessionConfig } from '../config';
import { InferenceBackend } from '../model-runner/model-runner';
import type { RectifySpec } from '../sampling/rectified-sampler';
import { OnnxSession } from './onnx-session';

/**
 * The Q heads of rectified decoding (issue 12) run in onnxruntime, beside the LM they read: one session per
 * distinct head (the artifact's `model.onnx` graph, rebuilt here from the parameters a request carries), batched
 * over the rows of a decoding step. The graph stops at the pre-bound output u (Gemm → Relu → Gemm, float32); the
 * bound Q = −σ(u) is applied in float64 exactly as the JavaScript head does, so Q stays in [−1, 0] whatever the
 * float32 products. Heads cross to worker threads by structured clone (a fresh object per request), so sessions are
 * keyed by a hash of the parameters and the few most recent are kept.
 */
export interface QHeadRunner {
  /** Q(s, ·) of the hidden states at `offsets` (each `inDim` long) in `hidden`, one Float64Array per offset. */
  evaluate(head: RectifySpec['head'], hidden: Float32Array, offsets: readonly number[]): Promise<Float64Array[]>;
  release(): Promise<void>;
}

const INPUT = 'hidden_states';
const OUTPUT = 'q_logits';
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

/** The head up to its pre-bound output: `hidden_states [n, D]` → `q_logits [n, V]` (Gemm → Relu → Gemm, float32). */
export function qHeadLogitsGraph(layout: QHeadLayout, params: Float64Array): Uint8Array {
  const nodes: onnx.INodeProto[] = [];
  const initializer: onnx.ITensorProto[] = [];
  let x = INPUT;
  layout.layers.forEach((layer, i) => {
    initializer.push(floatInit(`w${i}`, params.subarray(layer.oW, layer.oW + layer.inDim * layer.outDim), [layer.outDim, layer.inDim]));
    initializer.push(floatInit(`b${i}`, params.subarray(layer.oB, layer.oB + layer.outDim), [layer.outDim]));
    const last = i + 1 === layout.layers.length;
    const y = last ? OUTPUT : `gemm${i}`;
    nodes.push({ opType: 'Gemm', input: [x, `w${i}`, `b${i}`], output: [y], name: `gemm${i}`, attribute: [{ name: 'transB', type: onnx.AttributeProto.AttributeType.INT, i: 1 }] });
    x = y;
    if (!last) {
      nodes.push({ opType: 'Relu', input: [y], output: [`relu${i}`], name: `relu${i}` });
      x = `relu${i}`;
    }
  });
  const model: onnx.IModelProto = {
    irVersion: 8,
    producerName: 'assay-runtime',
    opsetImport: [{ domain: '', version: 17 }],
    graph: { name: 'assay-q-head-logits', node: nodes, initializer, input: [valueInfo(INPUT, ['n', layout.inDim])], output: [valueInfo(OUTPUT, ['n', layout.vocab])] },
  };
  return onnx.ModelProto.encode(model).finish();
}

/** −σ(u) in float64, the JavaScript head's bound (stable for any finite u). */
function negSigmoid(u: number): number {
  if (u >= 0) return -1 / (1 + Math.exp(-u));
  const e = Math.exp(u);
  return -e / (1 + e);
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

  async evaluate(head: RectifySpec['head'], hidden: Float32Array, offsets: readonly number[]): Promise<Float64Array[]> {
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
    const u = out[OUTPUT];
    if (u.type !== 'float32' || u.data.length !== n * V) throw new RangeError(`the Q head returned ${u.data.length} values for ${n} rows of ${V}`);
    return offsets.map((_, b) => {
      const q = new Float64Array(V);
      for (let a = 0; a < V; a++) q[a] = negSigmoid(u.data[b * V + a]);
      return q;
    });
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
    const opened = await OnnxSession.open('<rectifier Q head>', this.config, qHeadLogitsGraph(layout, head.params));
    return { layout, session: opened.session, backend: this.wrap(opened.session) };
  }
}
