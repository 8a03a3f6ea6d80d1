import { RuntimeError } from '../errors';
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
import { Executor, ExecutorHealth, GenerateHooks, LoadedModelReport, LoadModelTask } from './executor';
import { ModelHost } from './model-host';

/**
 * Runs batches on the calling thread: no message passing, so it is the baseline for benchmarks and
 * fine for CLIs. Each session.run blocks the event loop, so servers use the worker pool instead.
 */
export class InProcessExecutor implements Executor {
  private readonly host = new ModelHost();
  private inFlight = 0;
  private closed = false;

  loadModel(task: LoadModelTask): Promise<LoadedModelReport> {
    return this.track(() => this.host.load(task));
  }
  unloadModel(key: string): Promise<void> {
    return this.host.unload(key);
  }
  generate(key: string, batch: GenerateSequenceSpec[], hooks: GenerateHooks = {}): Promise<GeneratedSequence[]> {
    return this.track(() =>
      this.host.generate(key, batch, { onTokens: hooks.onTokens, isCancelled: (row) => hooks.signals?.[row]?.aborted === true, onSequenceDone: hooks.onSequence }),
    );
  }
  score(key: string, batch: ScoreSequenceSpec[]): Promise<ScoredSequence[]> {
    return this.track(() => this.host.score(key, batch));
  }
  pool(key: string, batch: PoolSequenceSpec[]): Promise<PooledSequence[]> {
    return this.track(() => this.host.pool(key, batch));
  }
  classify(key: string, batch: ClassifySequenceSpec[]): Promise<ClassifiedSequence[]> {
    return this.track(() => this.host.classify(key, batch));
  }

  health(): ExecutorHealth {
    return { kind: 'in-process', workers: 0, aliveWorkers: 0, inFlight: this.inFlight, restarts: 0 };
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.host.close();
  }

  private async track<T>(work: () => Promise<T>): Promise<T> {
    if (this.closed) throw new RuntimeError('EXECUTOR_CLOSED', 'executor is closed');
    this.inFlight++;
    try {
      return await work();
    } finally {
      this.inFlight--;
    }
  }
}
