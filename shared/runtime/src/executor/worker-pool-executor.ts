import * as path from 'path';
import { Worker } from 'worker_threads';
import { ExecutorConfig } from '../config';
import { deserializeError, RuntimeError } from '../errors';
import {
  ClassifiedSequence,
  ClassifySequenceSpec,
  GeneratedSequence,
  GenerateSequenceSpec,
  PooledSequence,
  PoolSequenceSpec,
  ScoredSequence,
  ScoreSequenceSpec,
} from '../model-runner/batch-types';
import { Executor, ExecutorHealth, ExecutorOp, GenerateHooks, LoadedModelReport, LoadModelTask, transferablesOf } from './executor';
import type { WorkerReply, WorkerRequest } from './worker-main';

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  onTokens?: GenerateHooks['onTokens'];
  onSequence?: GenerateHooks['onSequence'];
  /** Generate calls: the rows' results as they arrive (the final reply carries none). */
  sequences?: GeneratedSequence[];
}

interface PoolWorker {
  worker: Worker;
  pending: Map<number, Pending>;
  /** Resolves once the worker has (re)loaded every model of the pool. */
  ready: Promise<void>;
  alive: boolean;
}

export interface WorkerPoolLogger {
  warn(obj: object, msg: string): void;
}

/** A worker slot that died this often within the window stops being restarted (a crash loop, not bad luck). */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;

/** A worker running TypeScript sources (tests, dev) needs the swc hook; compiled builds do not. */
function workerEntry(): { file: string; execArgv: string[] } {
  const isTs = __filename.endsWith('.ts');
  const file = path.join(__dirname, isTs ? 'worker-main.ts' : 'worker-main.js');
  return { file, execArgv: isTs ? ['-r', require.resolve('@swc-node/register')] : [] };
}

/**
 * A fixed pool of worker threads, each holding one session per loaded model (loaded once per worker,
 * at loadModel time, so a bad model fails the load and not the first request). Batches go to the worker
 * with the fewest batches in flight; typed arrays travel as transferables both ways.
 *
 * Not piscina: loading and unloading must reach every worker, and piscina offers no way to address a
 * particular worker. A worker that dies fails its in-flight batches (EXECUTOR_FAILED) and is replaced;
 * the replacement reloads the pool's models before taking work.
 */
export class WorkerPoolExecutor implements Executor {
  private readonly workers: PoolWorker[] = [];
  private readonly loaded = new Map<string, LoadModelTask>();
  private readonly restartTimes: number[][] = [];
  private nextId = 1;
  private restarts = 0;
  private closed = false;

  constructor(
    private readonly config: Pick<ExecutorConfig, 'workers'>,
    private readonly logger?: WorkerPoolLogger,
  ) {
    for (let i = 0; i < config.workers; i++) this.workers.push(this.spawn(i));
  }

  async loadModel(task: LoadModelTask): Promise<LoadedModelReport> {
    const workers = this.aliveWorkers();
    const results = await Promise.allSettled(workers.map((w) => this.call<LoadedModelReport>(w, 'load', task.key, task)));
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) {
      await Promise.allSettled(workers.map((w) => this.call(w, 'unload', task.key, undefined)));
      throw failure.reason;
    }
    this.loaded.set(task.key, task);
    return (results[0] as PromiseFulfilledResult<LoadedModelReport>).value;
  }

  async unloadModel(key: string): Promise<void> {
    this.loaded.delete(key);
    await Promise.allSettled(this.workers.filter((w) => w.alive).map((w) => this.call(w, 'unload', key, undefined)));
  }

  generate(key: string, batch: GenerateSequenceSpec[], hooks?: GenerateHooks): Promise<GeneratedSequence[]> {
    return this.dispatch('generate', key, batch, hooks);
  }

  score(key: string, batch: ScoreSequenceSpec[]): Promise<ScoredSequence[]> {
    return this.dispatch('score', key, batch);
  }

  pool(key: string, batch: PoolSequenceSpec[]): Promise<PooledSequence[]> {
    return this.dispatch('pool', key, batch);
  }

  classify(key: string, batch: ClassifySequenceSpec[]): Promise<ClassifiedSequence[]> {
    return this.dispatch('classify', key, batch);
  }

  health(): ExecutorHealth {
    return {
      kind: 'worker-threads',
      workers: this.workers.length,
      aliveWorkers: this.workers.filter((w) => w.alive).length,
      inFlight: this.workers.reduce((n, w) => n + w.pending.size, 0),
      restarts: this.restarts,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(
      this.workers.map(async (w) => {
        w.alive = false;
        for (const pending of w.pending.values()) pending.reject(new RuntimeError('EXECUTOR_CLOSED', 'executor closed'));
        w.pending.clear();
        await w.worker.terminate();
      }),
    );
  }

  private dispatch<T>(op: ExecutorOp, key: string, args: unknown, hooks?: GenerateHooks): Promise<T> {
    if (!this.loaded.has(key)) return Promise.reject(new RuntimeError('MODEL_NOT_LOADED', `model ${key} is not loaded`));
    try {
      const target = this.aliveWorkers().reduce((best, w) => (w.pending.size < best.pending.size ? w : best));
      return this.call<T>(target, op, key, args, hooks);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private aliveWorkers(): PoolWorker[] {
    const alive = this.workers.filter((w) => w.alive);
    if (alive.length === 0) throw new RuntimeError('EXECUTOR_FAILED', 'no executor worker is alive (they kept crashing; see the logs)');
    return alive;
  }

  private async call<T>(target: PoolWorker, op: ExecutorOp, key: string, args: unknown, hooks?: GenerateHooks): Promise<T> {
    if (this.closed) throw new RuntimeError('EXECUTOR_CLOSED', 'executor is closed');
    if (op !== 'load') await target.ready;
    return this.send<T>(target, { id: this.nextId++, op, key, args }, hooks);
  }

  private send<T>(target: PoolWorker, request: WorkerRequest, hooks: GenerateHooks = {}): Promise<T> {
    const reply = new Promise<T>((resolve, reject) => {
      const sequences = request.op === 'generate' ? [] : undefined;
      target.pending.set(request.id, { resolve: resolve as (v: unknown) => void, reject, onTokens: hooks.onTokens, onSequence: hooks.onSequence, sequences });
      target.worker.ref(); // keep the process alive while work is in flight (idle workers are unref'd)
      target.worker.postMessage(request, transferablesOf(request.args));
    });
    const signals = hooks.signals ?? [];
    if (!signals.some((s) => s !== undefined)) return reply;
    // Cancellations go to the worker at once; it applies them between decoding steps.
    const cancel = (row: number): void => {
      if (target.pending.has(request.id)) target.worker.postMessage({ id: request.id, op: 'cancel', key: request.key, args: row } satisfies WorkerRequest);
    };
    const listeners = signals.map((signal, row) => {
      if (!signal) return undefined;
      const listener = () => cancel(row);
      if (signal.aborted) listener();
      else signal.addEventListener('abort', listener, { once: true });
      return listener;
    });
    const detach = () => listeners.forEach((listener, row) => listener && signals[row]!.removeEventListener('abort', listener));
    reply.then(detach, detach);
    return reply;
  }

  private spawn(index: number): PoolWorker {
    const { file, execArgv } = workerEntry();
    const worker = new Worker(file, { execArgv, name: `assay-runtime-${index}` });
    const self: PoolWorker = { worker, pending: new Map(), ready: Promise.resolve(), alive: true };
    worker.on('message', (reply: WorkerReply) => {
      const pending = self.pending.get(reply.id);
      if (!pending) return;
      if ('tokens' in reply) {
        pending.onTokens?.(reply.tokens);
        return;
      }
      if ('sequence' in reply) {
        pending.sequences![reply.row] = reply.sequence;
        pending.onSequence?.(reply.row, reply.sequence);
        return;
      }
      self.pending.delete(reply.id);
      if (self.pending.size === 0) worker.unref();
      if (reply.ok) pending.resolve(pending.sequences ?? reply.value);
      else pending.reject(deserializeError(reply.error));
    });
    const die = (reason: string): void => {
      if (!self.alive) return;
      self.alive = false;
      for (const pending of self.pending.values()) pending.reject(new RuntimeError('EXECUTOR_FAILED', `executor worker ${index} died: ${reason}`));
      self.pending.clear();
      if (this.closed) return;
      const now = Date.now();
      const recent = (this.restartTimes[index] = (this.restartTimes[index] ?? []).filter((t) => now - t < RESTART_WINDOW_MS));
      if (recent.length >= MAX_RESTARTS) {
        this.logger?.warn({ worker: index, reason, restarts: recent.length }, 'runtime worker keeps dying; not restarting it');
        return;
      }
      recent.push(now);
      this.restarts++;
      this.logger?.warn({ worker: index, reason }, 'runtime worker died; restarting it');
      const replacement = this.spawn(index);
      replacement.ready = Promise.all([...this.loaded.values()].map((task) => this.send(replacement, { id: this.nextId++, op: 'load', key: task.key, args: task }))).then(
        () => undefined,
      );
      replacement.ready.catch(() => undefined);
      this.workers[this.workers.indexOf(self)] = replacement;
    };
    worker.on('error', (error) => die(error.message));
    worker.on('exit', (code) => die(`exited with code ${code}`));
    worker.unref();
    return self;
  }
}
