import { SessionConfig } from '../config';
import {
  ClassifiedSequence,
  ClassifySequenceSpec,
  GeneratedSequence,
  GenerateSequenceSpec,
  PooledSequence,
  PoolSequenceSpec,
  ScoredSequence,
  ScoreSequenceSpec,
  SequenceToken,
} from '../model-runner/batch-types';
import { DecodeLimits } from '../model-runner/decode-scheduler';
import { ModelIo, ModelSignature } from '../model-runner/model-runner';

/**
 * Where batches run. The engine hands an executor whole batches (a generate batch is one call: the
 * entire decode loop with sampling runs where the session lives), so per-token overhead never crosses
 * a thread boundary.
 */
export interface LoadModelTask {
  /** Unique per load: reloading a name after unload gets a fresh key. */
  key: string;
  dir: string;
  /** The weight variant the engine resolved, so every worker loads the same file (default: fp32, else any). */
  variant?: string;
  session: SessionConfig;
  /** Continuous batching limits of the model's decode loop (default: the runtime's batching defaults). */
  limits?: DecodeLimits;
}

export interface LoadedModelReport {
  key: string;
  io: ModelIo;
  signature: ModelSignature;
  executionProviders: string[];
  warnings: string[];
}

export interface ExecutorHealth {
  kind: 'worker-threads' | 'in-process';
  workers: number;
  aliveWorkers: number;
  inFlight: number;
  restarts: number;
}

/** How the engine follows a generate batch while it runs. */
export interface GenerateHooks {
  /**
   * Tokens of the rows whose spec has `stream`, after every decoding step that sampled any. Calls arrive in
   * step order and all of them before the batch's result.
   */
  onTokens?(tokens: SequenceToken[]): void;
  /** Per row: aborting stops that row at the next step (its result is then meaningless). */
  signals?: (AbortSignal | undefined)[];
  /**
   * Each row's result as soon as it is finished: sequences of one call decode in a shared, continuously
   * batched loop, so a short one need not wait for the call's longest.
   */
  onSequence?(row: number, result: GeneratedSequence): void;
}

export interface Executor {
  loadModel(task: LoadModelTask): Promise<LoadedModelReport>;
  unloadModel(key: string): Promise<void>;
  generate(key: string, batch: GenerateSequenceSpec[], hooks?: GenerateHooks): Promise<GeneratedSequence[]>;
  score(key: string, batch: ScoreSequenceSpec[]): Promise<ScoredSequence[]>;
  pool(key: string, batch: PoolSequenceSpec[]): Promise<PooledSequence[]>;
  classify(key: string, batch: ClassifySequenceSpec[]): Promise<ClassifiedSequence[]>;
  health(): ExecutorHealth;
  close(): Promise<void>;
}

export type ExecutorOp = 'load' | 'unload' | 'generate' | 'score' | 'pool' | 'classify';

/** Buffers of every typed array in `value` (two levels deep is all our messages have), for transfer. */
export function transferablesOf(value: unknown, depth = 3, found = new Set<ArrayBuffer>()): ArrayBuffer[] {
  if (ArrayBuffer.isView(value)) {
    if (value.buffer instanceof ArrayBuffer && value.byteLength > 0) found.add(value.buffer);
  } else if (depth > 0 && value !== null && typeof value === 'object') {
    for (const item of Array.isArray(value) ? value : Object.values(value)) transferablesOf(item, depth - 1, found);
  }
  return [...found];
}
