import { missingHiddenStates, RuntimeError } from '../errors';
import { sampleToken } from '../sampling/sampler';
import { qValues, qValuesBatch, RectifySpec, sampleRectifiedToken } from '../sampling/rectified-sampler';
import type { QHeadRunner } from '../executor/q-head-sessions';
import { leftPad } from './batch-layout';
import { GeneratedSequence, GenerateSequenceSpec, RunnableModel, SequenceToken } from './batch-types';
import { assembleCache, CacheRowSource, dropCacheRows } from './kv-batch';
import { decoderRunner, DecoderRunner, ForwardOutputs, PastKeyValues } from './model-runner';
import { SequenceState } from './sequence-state';

/** How the caller follows (and cuts short) one submitted group of sequences. */
export interface DecodeControl {
  /** After each step, the tokens it sampled for rows whose spec has `stream` (never called with none). */
  onTokens?(tokens: SequenceToken[]): void;
  /** Rows the caller gave up on stop at the next step; their results are then meaningless. */
  isCancelled?(row: number): boolean;
  /** Each row's result as soon as that row is finished (before the group's promise resolves). */
  onSequenceDone?(row: number, result: GeneratedSequence): void;
}

export interface DecodeLimits {
  /** Rows decoded together. */
  maxBatchSize: number;
  /** Rows × the longest final length (prompt + maxNewTokens) among them. */
  maxBatchTokens: number;
}

/** One submitted group (one executor call). */
class Job {
  readonly results: (GeneratedSequence | undefined)[];
  remaining: number;
  /** Set after a failure in a forward it shared with other jobs: from then on it runs alone. */
  isolated = false;
  failed = false;

  constructor(
    readonly specs: GenerateSequenceSpec[],
    readonly control: DecodeControl,
    private readonly settle: { resolve(results: GeneratedSequence[]): void; reject(error: unknown): void },
  ) {
    this.results = new Array(specs.length);
    this.remaining = specs.length;
  }

  complete(index: number, result: GeneratedSequence): void {
    if (this.failed || this.results[index] !== undefined) return;
    this.results[index] = result;
    this.control.onSequenceDone?.(index, result);
    if (--this.remaining === 0) this.settle.resolve(this.results as GeneratedSequence[]);
  }

  fail(error: unknown): void {
    if (this.failed || this.remaining === 0) return;
    this.failed = true;
    this.settle.reject(error);
  }
}

interface Pending {
  job: Job;
  index: number;
}

/** A sequence in the running batch. */
interface Row extends Pending {
  state: SequenceState;
  /** Tokens in the cache for this row (models with a cache), or fed so far (models without). */
  length: number;
  /** Prompt + maxNewTokens (+ 1 for an end-of-turn state): the most columns this row can ever need. */
  finalLength: number;
  /** Every token fed so far (prompt, then generated): models without a cache recompute from it each step. */
  fed: number[];
  dropped: boolean;
}

/** Positions a sequence can take: prompt, generated tokens and, when asked for, the end-of-turn token after them. */
function positionsNeeded(spec: GenerateSequenceSpec): number {
  return spec.promptIds.length + spec.maxNewTokens + (spec.endOfTurnToken !== undefined ? 1 : 0);
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Iteration-level (continuous) batching of one model's generation, inside the executor: sequences submitted
 * while a batch decodes are prefilled and join it at the next step, finished sequences leave it (their
 * results reported at once), up to `maxBatchSize` rows and `maxBatchTokens` padded tokens. Between steps it
 * yields to the event loop, so submissions, cancellations and other passes on the same thread get in.
 *
 * A row's output does not depend on its batch-mates: each row has its own random stream, its own positions
 * and mask, and right-aligned cache columns the mask hides from the others. Rows sharing a prompt (n samples)
 * share one prefill. A forward that fails takes down only its own group when it ran alone; a failure in a
 * shared forward re-runs each group's unfinished rows alone (same streams, same tokens).
 */
export class DecodeScheduler {
  private readonly runner: DecoderRunner;
  private readonly waiting: Pending[] = [];
  private active: Row[] = [];
  private cache?: PastKeyValues;
  private running = false;
  private readonly eos: ReadonlySet<number>;

  constructor(
    private readonly model: RunnableModel,
    private readonly limits: DecodeLimits,
    /** Runs Q heads in onnxruntime (batched per step); without it (or when it fails) the JavaScript head runs. */
    private readonly qHeads?: QHeadRunner,
  ) {
    this.runner = decoderRunner(model.runner);
    this.eos = new Set(model.shape.eosTokenIds);
  }

  /** Rows decoding now and rows waiting to join (for load balancing and tests). */
  get load(): { active: number; waiting: number } {
    return { active: this.active.length, waiting: this.waiting.length };
  }

  submit(specs: GenerateSequenceSpec[], control: DecodeControl = {}): Promise<GeneratedSequence[]> {
    const { io, shape } = this.model;
    if (specs.length === 0) return Promise.resolve([]);
    if (specs.some((s) => s.returnHiddenStates) && !io.hiddenStates) return Promise.reject(missingHiddenStates('generate with returnHiddenStates', shape.architecture));
    if (specs.some((s) => s.rectify) && !io.hiddenStates) return Promise.reject(missingHiddenStates('rectified generation', shape.architecture));
    if (specs.some((s) => s.endOfTurnToken !== undefined) && !io.hiddenStates) return Promise.reject(missingHiddenStates('generate with an end-of-turn state', shape.architecture));
    const tooLong = specs.find((s) => positionsNeeded(s) > shape.contextLength);
    if (tooLong) {
      return Promise.reject(new RuntimeError('CONTEXT_OVERFLOW', `a sequence needs ${positionsNeeded(tooLong)} positions, the model has ${shape.contextLength}`));
    }
    return new Promise<GeneratedSequence[]>((resolve, reject) => {
      const job = new Job(specs, control, { resolve, reject });
      specs.forEach((_, index) => this.waiting.push({ job, index }));
      if (!this.running) {
        this.running = true;
        void this.loop();
      }
    });
  }

  private async loop(): Promise<void> {
    try {
      while (this.active.length > 0 || this.waiting.length > 0) {
        await yieldToEventLoop();
        this.cancelRequested();
        this.retire();
        await this.admit();
        this.retire();
        if (this.active.length > 0) await this.step();
      }
    } catch (error) {
      // Only a bug gets here (forward failures are handled per group): fail everything rather than hang.
      for (const { job } of [...this.active, ...this.waiting]) job.fail(error);
      this.active = [];
      this.waiting.length = 0;
      this.cache = undefined;
    } finally {
      this.running = false;
    }
  }

  private cancelRequested(): void {
    for (const row of this.active) if (!row.state.finished && row.job.control.isCancelled?.(row.index)) row.state.cancel();
  }

  /** Reports finished rows (and drops those of failed groups), then compacts the cache to the rows left. */
  private retire(): void {
    const keep: Row[] = [];
    for (const row of this.active) {
      if (row.dropped || row.job.failed) continue;
      if (row.state.finished && !row.state.owesStates) row.job.complete(row.index, row.state.result(this.model.shape.hiddenSize));
      else keep.push(row);
    }
    if (keep.length === this.active.length) return;
    if (keep.length === 0 || !this.cache) return this.rebuild(keep, this.active, this.cache);
    // Leaving rows need no rebuild: rows from the end fill their slots (the cache's columns stay as they are).
    const kept = new Set(keep);
    const { cache, order } = dropCacheRows(this.cache, this.active.map((row) => kept.has(row)));
    this.active = order.map((i) => this.active[i]);
    this.cache = cache;
  }

  /** Makes `rows` the running batch, assembling its cache from `rows`' current sources. */
  private rebuild(rows: Row[], previous: Row[], previousCache: PastKeyValues | undefined, joined?: { rows: Row[]; cache: PastKeyValues; sourceRow: number[] }): void {
    this.active = rows;
    if (!this.usesCache() || rows.length === 0) {
      this.cache = undefined;
      return;
    }
    const position = new Map(previous.map((row, i) => [row, i]));
    const sources: CacheRowSource[] = rows.map((row) => {
      const old = position.get(row);
      if (old !== undefined && previousCache) return { cache: previousCache, row: old };
      const j = joined!.rows.indexOf(row);
      return { cache: joined!.cache, row: joined!.sourceRow[j] };
    });
    const length = Math.max(...rows.map((r) => r.length));
    this.cache = assembleCache(sources, length, this.model.io);
  }

  private usesCache(): boolean {
    return this.model.io.pastInputs.length > 0;
  }

  /** Waiting rows that fit, in arrival order (an isolated group only joins an empty batch, and alone). */
  private takeAdmissible(): Pending[] {
    const taken: Pending[] = [];
    if (this.active.some((r) => r.job.isolated)) return taken;
    let longest = Math.max(0, ...this.active.map((r) => r.finalLength));
    while (this.waiting.length > 0) {
      const next = this.waiting[0];
      if (next.job.failed) {
        this.waiting.shift();
        continue;
      }
      const rows = this.active.length + taken.length;
      if (next.job.isolated && (rows > 0 || taken.some((t) => t.job !== next.job))) break;
      if (!next.job.isolated && taken.some((t) => t.job.isolated)) break;
      const spec = next.job.specs[next.index];
      const nextLongest = Math.max(longest, positionsNeeded(spec));
      const fits = rows + 1 <= this.limits.maxBatchSize && (rows + 1) * nextLongest <= this.limits.maxBatchTokens;
      if (!fits && rows > 0) break;
      longest = nextLongest;
      taken.push(this.waiting.shift()!);
    }
    return taken;
  }

  /** Prefills the rows that may join (one pass per distinct prompt), samples their first tokens, merges caches. */
  private async admit(): Promise<void> {
    const taken = this.takeAdmissible();
    if (taken.length === 0) return;
    const { shape, io } = this.model;
    const joining: Row[] = [];
    for (const pending of taken) {
      const spec = pending.job.specs[pending.index];
      const state = new SequenceState(spec, this.model, this.eos);
      if (pending.job.control.isCancelled?.(pending.index)) {
        state.cancel();
        pending.job.complete(pending.index, state.result(shape.hiddenSize));
        continue;
      }
      joining.push({ ...pending, state, length: spec.promptIds.length, finalLength: positionsNeeded(spec), fed: Array.from(spec.promptIds), dropped: false });
    }
    if (joining.length === 0) return;
    const distinct = new Map<string, number>();
    const sourceRow = joining.map((row) => {
      const key = row.fed.join(',');
      if (!distinct.has(key)) distinct.set(key, distinct.size);
      return distinct.get(key)!;
    });
    const prompts = [...distinct.keys()].map((key) => key.split(',').map(Number));
    const padded = leftPad(prompts, shape.padTokenId);
    // Rectified rows need the last prompt position's hidden state for their first Q(s, ·).
    const rectifying = joining.some((row) => row.state.spec.rectify !== undefined);
    let out: ForwardOutputs;
    try {
      out = await this.runner.forward(this.model.backend, io, { ...padded, wantHiddenStates: rectifying, wantPresent: this.usesCache(), logitsFrom: padded.seqLen - 1 });
    } catch (error) {
      this.recover(joining, error);
      return;
    }
    const streamed = new Map<Job, SequenceToken[]>();
    joining.forEach((row, i) => {
      const last = (sourceRow[i] + 1) * out.logitsPositions - 1;
      const hiddenAt = ((sourceRow[i] + 1) * padded.seqLen - 1) * shape.hiddenSize;
      this.sampleInto(row, out.logits, last * out.vocab, out.vocab, streamed, out.hiddenStates, hiddenAt);
    });
    this.report(streamed);
    const previous = this.active;
    this.rebuild([...previous, ...joining], previous, this.cache, out.present ? { rows: joining, cache: out.present, sourceRow } : undefined);
  }

  /** One decoding step for every running row: feeds each row's newest token, samples the next. */
  private async step(): Promise<void> {
    const rows = this.active;
    const { shape, io } = this.model;
    const batch = rows.length;
    const wantHidden = rows.some((r) => r.state.wantsHidden || r.state.spec.rectify !== undefined);
    const tokens = rows.map((r) => r.state.nextInput);
    let out: ForwardOutputs;
    let seqLen: number;
    try {
      if (this.usesCache()) {
        const total = this.cache!.length + 1;
        const attentionMask = new BigInt64Array(batch * total);
        rows.forEach((row, b) => attentionMask.fill(1n, b * total + (total - row.length - 1), (b + 1) * total));
        const positionIds = BigInt64Array.from(rows, (row) => BigInt(Math.min(shape.contextLength - 1, row.length)));
        out = await this.runner.forward(this.model.backend, io, {
          batch,
          seqLen: 1,
          inputIds: BigInt64Array.from(tokens, (id) => BigInt(id)),
          attentionMask,
          positionIds,
          past: this.cache,
          wantHiddenStates: wantHidden,
        });
        seqLen = 1;
      } else {
        const padded = leftPad(rows.map((row, b) => [...row.fed, tokens[b]]), shape.padTokenId);
        out = await this.runner.forward(this.model.backend, io, { ...padded, wantHiddenStates: wantHidden, logitsFrom: padded.seqLen - 1 });
        seqLen = padded.seqLen;
      }
    } catch (error) {
      this.recover(rows, error);
      return;
    }
    this.cache = out.present;
    const streamed = new Map<Job, SequenceToken[]>();
    const qs = out.hiddenStates ? await this.batchedQ(rows, out.hiddenStates, seqLen) : undefined;
    rows.forEach((row, b) => {
      row.length++;
      row.fed.push(tokens[b]);
      if (row.state.wantsHidden && out.hiddenStates) {
        const D = shape.hiddenSize;
        const lastHidden = (b + 1) * seqLen - 1;
        row.state.fed(out.hiddenStates.slice(lastHidden * D, (lastHidden + 1) * D));
      } else row.state.fed(undefined);
      const last = (b + 1) * out.logitsPositions - 1;
      if (!row.state.finished && row.job.control.isCancelled?.(row.index)) row.state.cancel();
      if (!row.state.finished) this.sampleInto(row, out.logits, last * out.vocab, out.vocab, streamed, out.hiddenStates, ((b + 1) * seqLen - 1) * shape.hiddenSize, qs?.get(row));
    });
    this.report(streamed);
  }

  /** Q(s, ·) of every unfinished rectified row of a step, one batched head pass per distinct head (a request's rows share one). */
  private async batchedQ(rows: Row[], hidden: Float32Array, seqLen: number): Promise<Map<Row, ArrayLike<number>> | undefined> {
    const byHead = new Map<RectifySpec['head'], { rows: Row[]; offsets: number[] }>();
    rows.forEach((row, b) => {
      const rectify = row.state.spec.rectify;
      if (!rectify || row.state.finished) return;
      const group = byHead.get(rectify.head) ?? { rows: [], offsets: [] };
      group.rows.push(row);
      group.offsets.push(((b + 1) * seqLen - 1) * this.model.shape.hiddenSize);
      byHead.set(rectify.head, group);
    });
    if (byHead.size === 0) return undefined;
    const qs = new Map<Row, ArrayLike<number>>();
    for (const [head, group] of byHead) {
      try {
        const values: ArrayLike<number>[] = this.qHeads ? await this.qHeads.evaluate(head, hidden, group.offsets).catch(() => qValuesBatch(head, hidden, group.offsets)) : qValuesBatch(head, hidden, group.offsets);
        values.forEach((q, i) => qs.set(group.rows[i], q));
      } catch {
        // A bad head fails its rows one by one in sampleInto (with the error), not the whole step.
      }
    }
    return qs;
  }

  /**
   * Samples a row's next token from its logits; a rectified row (spec.rectify) first evaluates its Q head on the
   * final hidden state of the same position (so the Q model rides on L's KV cache: no prefix recomputation).
   */
  private sampleInto(row: Row, logits: Float32Array, offset: number, vocab: number, streamed: Map<Job, SequenceToken[]>, hidden?: Float32Array, hiddenOffset = 0, qBatched?: ArrayLike<number>): void {
    const { spec } = row.state;
    try {
      if (spec.rectify) {
        if (!hidden) throw new RuntimeError('EXECUTOR_FAILED', 'rectified decoding: the forward pass returned no hidden states');
        const q = qBatched ?? qValues(spec.rectify.head, hidden, hiddenOffset);
        row.state.accept(sampleRectifiedToken(logits, offset, vocab, q, spec.sampling, spec.rectify, row.state.rng));
      } else row.state.accept(sampleToken(logits, spec.sampling, row.state.rng, offset, vocab));
    } catch (error) {
      row.job.fail(error);
      row.dropped = true;
      return;
    }
    if (!row.state.spec.stream) return;
    const list = streamed.get(row.job) ?? [];
    list.push(row.state.newestToken(row.index));
    streamed.set(row.job, list);
  }

  private report(streamed: Map<Job, SequenceToken[]>): void {
    for (const [job, tokens] of streamed) {
      try {
        job.control.onTokens?.(tokens);
      } catch (error) {
        job.fail(error);
      }
    }
  }

  /**
   * A forward over `rows` failed. One group involved: it fails. Several: none is blamed; each group's
   * unfinished rows go back to the front of the queue to run alone, from scratch (same streams, same tokens).
   */
  private recover(rows: Row[], error: unknown): void {
    const jobs = [...new Set(rows.map((r) => r.job))];
    const inBatch = new Set(this.active);
    const involvedActive = rows.some((r) => inBatch.has(r));
    if (involvedActive) {
      // The step's cache is gone with it: every running row restarts (or fails with its group).
      this.active = [];
      this.cache = undefined;
    }
    if (jobs.length === 1) {
      jobs[0].fail(error);
      if (involvedActive) this.requeue(rows.filter((r) => r.job !== jobs[0]));
      return;
    }
    for (const job of jobs) job.isolated = true;
    this.requeue(rows);
  }

  /** Puts rows back at the front of the queue (their groups' order kept), to start over. */
  private requeue(rows: Row[]): void {
    const back = rows.filter((r) => !r.job.failed && r.job.results[r.index] === undefined).map(({ job, index }) => ({ job, index }));
    back.sort((a, b) => (a.job === b.job ? a.index - b.index : 0));
    this.waiting.unshift(...back);
  }
}
