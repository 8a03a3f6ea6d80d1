import * as path from 'path';
import { Worker } from 'worker_threads';
import { trainGpt } from '../train/lm-trainers';
import type { TrainGptOptions, TrainGptResult, TrainProgress } from '../train/train-types';

/** Options that survive structured cloning (no callbacks, checkpoints or resume). */
export type PlainTrainOptions = Omit<TrainGptOptions, 'examples' | 'onProgress' | 'onCheckpoint' | 'signal' | 'resumeFrom' | 'validationExamples'>;

export interface TrainWorkerRequest {
  type: 'train';
  flat: Int32Array;
  offsets: Int32Array;
  options: PlainTrainOptions;
}

export type TrainWorkerMessage =
  | { type: 'progress'; progress: TrainProgress }
  | { type: 'done'; result: TrainGptResult }
  | { type: 'error'; message: string };

export interface TrainJob {
  examples: readonly ArrayLike<number>[];
  options: PlainTrainOptions;
  onProgress?: (progress: TrainProgress) => void;
  signal?: AbortSignal;
}

function workerEntry(): { file: string; execArgv: string[] } {
  const isTs = __filename.endsWith('.ts');
  return { file: path.join(__dirname, isTs ? 'train-worker.ts' : 'train-worker.js'), execArgv: isTs ? ['-r', require.resolve('@swc-node/register')] : [] };
}

/** Trains in a worker thread so that several models can train at once, one core each. */
export function trainGptInWorker(job: TrainJob): Promise<TrainGptResult> {
  const offsets = new Int32Array(job.examples.length + 1);
  job.examples.forEach((e, i) => (offsets[i + 1] = offsets[i] + e.length));
  const flat = new Int32Array(offsets[job.examples.length]);
  job.examples.forEach((e, i) => flat.set(Array.from(e), offsets[i]));
  const { file, execArgv } = workerEntry();
  const worker = new Worker(file, { execArgv, name: 'assay-forge-train' });
  return new Promise<TrainGptResult>((resolve, reject) => {
    const onAbort = () => worker.postMessage({ type: 'abort' });
    job.signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (fn: () => void) => {
      job.signal?.removeEventListener('abort', onAbort);
      void worker.terminate();
      fn();
    };
    worker.on('message', (m: TrainWorkerMessage) => {
      if (m.type === 'progress') job.onProgress?.(m.progress);
      else if (m.type === 'done') finish(() => resolve(m.result));
      else finish(() => reject(new Error(`training worker failed: ${m.message}`)));
    });
    worker.on('error', (err) => finish(() => reject(err)));
    worker.on('exit', (code) => finish(() => reject(new Error(`training worker exited with code ${code}`))));
    const request: TrainWorkerRequest = { type: 'train', flat, offsets, options: job.options };
    worker.postMessage(request, [flat.buffer, offsets.buffer]);
  });
}

/** The same job in this thread (for single-core machines, or when workers are unwanted). */
export function trainGptHere(job: TrainJob): Promise<TrainGptResult> {
  return trainGpt({ ...job.options, examples: job.examples, onProgress: job.onProgress, signal: job.signal });
}
