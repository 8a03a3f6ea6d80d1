import type * as Ort from 'onnxruntime-node';
import { gemm, headCrossEntropy, meanAll, mul } from '../graph/ops';
import { Tape, Val } from '../graph/tape';
import { SeededRng } from '../rng';
import type { LmArchitecture, ParamSpec } from '../models/architecture';
import type { LmBatch, LmEngine, LogitsLoss, ParamValues, StepResult } from './engine-types';

export interface OrtEngineOptions {
  arch: LmArchitecture;
  /** Every graph parameter: the architecture's, plus LoRA adapters when present. */
  params: readonly ParamSpec[];
  /** Names of the parameters that get gradients; the rest are frozen (no weight gradient is even computed). */
  trainable: ReadonlySet<string>;
  loraScale?: number;
  dropout?: number;
  /** onnxruntime intra-op threads (default 1: one core per model, so several models train side by side). */
  threads?: number;
}

let ortModule: Promise<typeof Ort> | undefined;
/** onnxruntime-node, loaded on first use so that importing @assay/forge does not load the native binding. */
const loadOrt = (): Promise<typeof Ort> => (ortModule ??= import('onnxruntime-node') as Promise<typeof Ort>);

const IDS = 'input_ids';
const TARGETS = 'targets';
const GRAD_LOGITS = 'grad_logits';
const LOSS = 'loss';
const TOKEN_LOSS = 'token_loss';
const LOGITS = 'logits';
const gradName = (param: string): string => `grad/${param}`;

type Kind = 'step' | 'forward' | 'backward' | 'eval' | 'logits';
interface CompiledGraph {
  session: Ort.InferenceSession;
  inputs: Val[];
  outputNames: string[];
}

/**
 * One batch shape's graphs: a tape holding the forward pass, the cross-entropy, and two backward passes (from
 * the mean loss, and from a logits gradient given as input), from which each kind of graph is cut on demand.
 */
class BatchGraphs {
  readonly tape = new Tape();
  private readonly dropoutMasks: Val[] = [];
  private readonly compiled = new Map<Kind, Promise<CompiledGraph>>();
  private savedNames: string[] = [];

  constructor(private readonly options: OrtEngineOptions, readonly count: number, readonly length: number, readonly training: boolean) {}

  private built?: { logits: Val; tokenLoss: Val; loss: Val; fusedGrads: Val[]; splitGrads: Val[]; trainable: string[] };

  private build(): NonNullable<BatchGraphs['built']> {
    if (this.built) return this.built;
    const t = this.tape;
    const { arch, params, trainable } = this.options;
    const rate = this.training ? this.options.dropout ?? 0 : 0;
    const values = new Map(params.map((p) => [p.name, t.input(p.name, p.shape, 'float32', this.training && trainable.has(p.name))]));
    const ids = t.input(IDS, [this.count, this.length], 'int64');
    const targets = t.input(TARGETS, [this.count * this.length], 'int64');
    const ctx = {
      tape: t,
      params: values,
      batch: this.count,
      length: this.length,
      loraScale: this.options.loraScale ?? 1,
      dropout: (x: Val): Val => {
        if (rate <= 0) return x;
        const mask = t.input(`dropout_mask_${this.dropoutMasks.length}`, x.shape);
        this.dropoutMasks.push(mask);
        return mul(t, x, mask);
      },
    };
    const head = arch.head(ctx, ids);
    // The built-in loss fuses head and cross-entropy (no [N, V] gradient); a caller's loss starts from the logits.
    const logits = gemm(t, head.hidden, head.weight, { transB: true });
    const tokenLoss = headCrossEntropy(t, head.hidden, head.weight, targets);
    const loss = meanAll(t, tokenLoss);
    const wrt = params.filter((p) => trainable.has(p.name)).map((p) => values.get(p.name)!);
    const names = wrt.map((w) => w.name);
    const orZeros = (grads: Map<string, Val | null>): Val[] => wrt.map((w) => grads.get(w.name) ?? t.zeros(w.shape));
    let fusedGrads: Val[] = [];
    let splitGrads: Val[] = [];
    if (this.training) {
      fusedGrads = orZeros(t.backward([[loss, t.scalar(1)]], wrt));
      splitGrads = orZeros(t.backward([[logits, t.input(GRAD_LOGITS, logits.shape)]], wrt));
    }
    this.built = { logits, tokenLoss, loss, fusedGrads, splitGrads, trainable: names };
    return this.built;
  }

  /** Dropout mask inputs, in the order the forward pass draws them. */
  get masks(): readonly Val[] {
    this.build();
    return this.dropoutMasks;
  }

  get trainableNames(): string[] {
    return this.build().trainable;
  }

  get saved(): string[] {
    return this.savedNames;
  }

  graph(kind: Kind): Promise<CompiledGraph> {
    let graph = this.compiled.get(kind);
    if (!graph) {
      graph = this.compile(kind);
      this.compiled.set(kind, graph);
    }
    return graph;
  }

  private async compile(kind: Kind): Promise<CompiledGraph> {
    const b = this.build();
    const t = this.tape;
    const gradNames = b.trainable.map(gradName);
    let extracted: ReturnType<Tape['extract']>;
    if (kind === 'step') extracted = t.extract([b.loss, ...b.fusedGrads], { outputNames: [LOSS, ...gradNames] });
    else if (kind === 'eval') extracted = t.extract([b.tokenLoss], { outputNames: [TOKEN_LOSS] });
    else if (kind === 'logits') extracted = t.extract([b.logits], { outputNames: [LOGITS] });
    else {
      // The backward half takes what it needs of the forward pass as inputs; the forward half outputs exactly that.
      const backward = t.extract(b.splitGrads, { outputNames: gradNames, cut: t.forwardValues() });
      this.savedNames = backward.inputs.map((i) => i.name).filter((n) => t.forwardValues().has(n));
      if (kind === 'backward') extracted = backward;
      else {
        const saved = this.savedNames.map((n) => backward.inputs.find((i) => i.name === n)!);
        extracted = t.extract([b.logits, ...saved], { outputNames: [LOGITS, ...this.savedNames.map((n) => `saved/${n}`)] });
      }
    }
    const threads = this.options.threads ?? 1;
    const ort = await loadOrt();
    const session = await ort.InferenceSession.create(extracted.bytes, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      ...(process.env.ASSAY_FORGE_PROFILE ? { enableProfiling: true, profileFilePrefix: `${process.env.ASSAY_FORGE_PROFILE}-${kind}` } : {}),
    });
    return { session, inputs: extracted.inputs, outputNames: extracted.outputNames };
  }

  dispose(): Promise<void[]> {
    return Promise.all([...this.compiled.values()].map(async (g) => (await g).session.release()));
  }
}

function int64(values: Int32Array): BigInt64Array {
  const out = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = BigInt(values[i]);
  return out;
}

/**
 * Trains a decoder LM with onnxruntime-node executing hand-differentiated ONNX graphs: the forward pass, the
 * loss and every parameter gradient run as one graph (MLAS matmuls, several times faster than tfjs on wasm);
 * the optimizer stays in JS. A caller's own loss over the logits runs between a forward and a backward graph.
 */
export class OrtLmEngine implements LmEngine {
  readonly name = 'onnxruntime';
  private readonly graphs = new Map<string, BatchGraphs>();

  constructor(private readonly options: OrtEngineOptions) {}

  get trainable(): ReadonlySet<string> {
    return this.options.trainable;
  }

  private graphsFor(count: number, length: number, training: boolean): BatchGraphs {
    const key = `${count}x${length}/${training ? 'train' : 'eval'}`;
    let g = this.graphs.get(key);
    if (!g) this.graphs.set(key, (g = new BatchGraphs(this.options, count, length, training)));
    return g;
  }

  private async run(graphs: BatchGraphs, kind: Kind, feeds: Map<string, Ort.Tensor>): Promise<Ort.InferenceSession.ReturnType> {
    const graph = await graphs.graph(kind);
    const inputs: Record<string, Ort.Tensor> = {};
    for (const input of graph.inputs) {
      const tensor = feeds.get(input.name);
      if (!tensor) throw new Error(`no value for graph input ${input.name}`);
      inputs[input.name] = tensor;
    }
    return graph.session.run(inputs);
  }

  private async feeds(graphs: BatchGraphs, values: ParamValues, batch: LmBatch, dropoutSeed?: number): Promise<Map<string, Ort.Tensor>> {
    const ort = await loadOrt();
    const feeds = new Map<string, Ort.Tensor>();
    for (const p of this.options.params) {
      const data = values.get(p.name);
      if (!data) throw new Error(`no value for parameter ${p.name}`);
      feeds.set(p.name, new ort.Tensor('float32', data, p.shape));
    }
    const { count, length } = batch;
    if (batch.inputs.length !== count * length) throw new Error(`batch inputs hold ${batch.inputs.length} ids, expected ${count}×${length}`);
    feeds.set(IDS, new ort.Tensor('int64', int64(batch.inputs), [count, length]));
    if (batch.targets) feeds.set(TARGETS, new ort.Tensor('int64', int64(batch.targets), [count * length]));
    if (graphs.masks.length) {
      const rate = this.options.dropout ?? 0;
      const rng = new SeededRng(dropoutSeed ?? 0);
      const keep = 1 / (1 - rate);
      for (const mask of graphs.masks) {
        const data = new Float32Array(mask.shape.reduce((a, b) => a * b, 1));
        for (let i = 0; i < data.length; i++) data[i] = rng.next() < rate ? 0 : keep;
        feeds.set(mask.name, new ort.Tensor('float32', data, [...mask.shape]));
      }
    }
    return feeds;
  }

  private grads(graphs: BatchGraphs, out: Ort.InferenceSession.ReturnType): Map<string, Float32Array> {
    return new Map(graphs.trainableNames.map((n) => [n, out[gradName(n)].data as Float32Array]));
  }

  async lossAndGrads(values: ParamValues, batch: LmBatch, dropoutSeed: number): Promise<StepResult> {
    if (!batch.targets) throw new Error('the cross-entropy step needs batch.targets');
    const graphs = this.graphsFor(batch.count, batch.length, true);
    const out = await this.run(graphs, 'step', await this.feeds(graphs, values, batch, dropoutSeed));
    return { loss: (out[LOSS].data as Float32Array)[0], grads: this.grads(graphs, out) };
  }

  async customStep(values: ParamValues, batch: LmBatch, dropoutSeed: number, loss: LogitsLoss): Promise<StepResult> {
    const graphs = this.graphsFor(batch.count, batch.length, true);
    const feeds = await this.feeds(graphs, values, batch, dropoutSeed);
    const forward = await this.run(graphs, 'forward', feeds);
    const logits = forward[LOGITS].data as Float32Array;
    const result = loss(logits, batch);
    if (result.gradLogits.length !== logits.length) throw new Error(`loss gradient has ${result.gradLogits.length} values, logits ${logits.length}`);
    for (const name of graphs.saved) feeds.set(name, forward[`saved/${name}`]);
    const ort = await loadOrt();
    feeds.set(GRAD_LOGITS, new ort.Tensor('float32', result.gradLogits, [batch.count * batch.length, this.options.arch.vocabSize]));
    const backward = await this.run(graphs, 'backward', feeds);
    return { loss: result.loss, grads: this.grads(graphs, backward) };
  }

  async tokenLosses(values: ParamValues, batch: LmBatch): Promise<Float32Array> {
    const graphs = this.graphsFor(batch.count, batch.length, false);
    const out = await this.run(graphs, 'eval', await this.feeds(graphs, values, batch));
    return out[TOKEN_LOSS].data as Float32Array;
  }

  async logits(values: ParamValues, batch: LmBatch): Promise<Float32Array> {
    const graphs = this.graphsFor(batch.count, batch.length, false);
    const out = await this.run(graphs, 'logits', await this.feeds(graphs, values, batch));
    return out[LOGITS].data as Float32Array;
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.graphs.values()].map((g) => g.dispose()));
    this.graphs.clear();
  }
}
