import { SessionConfig } from '../config';
import {
  GeneratedSequence,
  GenerateSequenceSpec,
  PooledSequence,
  PoolSequenceSpec,
  ScoredSequence,
  ScoreSequenceSpec,
} from '../model-runner/batch-types';
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
  session: SessionConfig;
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

export interface Executor {
  loadModel(task: LoadModelTask): Promise<LoadedModelReport>;
  unloadModel(key: string): Promise<void>;
  generate(key: string, batch: GenerateSequenceSpec[]): Promise<GeneratedSequence[]>;
  score(key: string, batch: ScoreSequenceSpec[]): Promise<ScoredSequence[]>;
  pool(key: string, batch: PoolSequenceSpec[]): Promise<PooledSequence[]>;
  health(): ExecutorHealth;
  close(): Promise<void>;
}

export type ExecutorOp = 'load' | 'unload' | 'generate' | 'score' | 'pool';

/** Buffers of every typed array in `value` (two levels deep is all our messages have), for transfer. */
export function transferablesOf(value: unknown, depth = 3, found = new Set<ArrayBuffer>()): ArrayBuffer[] {
  if (ArrayBuffer.isView(value)) {
    if (value.buffer instanceof ArrayBuffer && value.byteLength > 0) found.add(value.buffer);
  } else if (depth > 0 && value !== null && typeof value === 'object') {
    for (const item of Array.isArray(value) ? value : Object.values(value)) transferablesOf(item, depth - 1, found);
  }
  return [...found];
}
