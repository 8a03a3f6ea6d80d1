import { parentPort } from 'worker_threads';
import { serializeError } from '../errors';
import { GeneratedSequence, SequenceToken } from '../model-runner/batch-types';
import { ExecutorOp, transferablesOf } from './executor';
import { ModelHost } from './model-host';

/**
 * Entry of an executor worker thread. Generate requests join the model's continuously batched decode loop
 * at once (each finished sequence is posted back as soon as it is done, the reply comes when all of the
 * request's are); every other message is handled strictly one after another. Forward passes of all kinds
 * take turns on the thread's run queue, so a scoring pass waits for at most one decoding step.
 */
export interface WorkerRequest {
  id: number;
  /** `cancel` (args: a row) reaches a queued or running generate `id` at once, outside the queue. */
  op: ExecutorOp | 'cancel';
  key: string;
  args: unknown;
}

/**
 * Streamed tokens travel on the same port as the final reply, so they can never overtake it (a separate
 * MessagePort would not keep that order).
 */
export type WorkerReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: ReturnType<typeof serializeError> }
  | { id: number; tokens: SequenceToken[] }
  | { id: number; row: number; sequence: GeneratedSequence };

const host = new ModelHost();
const port = parentPort!;
let queue: Promise<void> = Promise.resolve();
/** Cancelled rows of each generate request, from arrival until it is done. */
const cancelled = new Map<number, Set<number>>();

async function handle(request: WorkerRequest): Promise<unknown> {
  switch (request.op) {
    case 'load':
      return host.load(request.args as never);
    case 'unload':
      return host.unload(request.key);
    case 'generate': {
      const rows = cancelled.get(request.id);
      // Results travel row by row (transferred); the final reply carries none.
      await host.generate(request.key, request.args as never, {
        onTokens: (tokens) => port.postMessage({ id: request.id, tokens } satisfies WorkerReply),
        isCancelled: (row) => rows?.has(row) === true,
        onSequenceDone: (row, sequence) => port.postMessage({ id: request.id, row, sequence } satisfies WorkerReply, transferablesOf(sequence)),
      });
      return null;
    }
    case 'score':
      return host.score(request.key, request.args as never);
    case 'pool':
      return host.pool(request.key, request.args as never);
    case 'classify':
      return host.classify(request.key, request.args as never);
    case 'cancel':
      return undefined;
  }
}

port.on('message', (request: WorkerRequest) => {
  if (request.op === 'cancel') {
    cancelled.get(request.id)?.add(request.args as number);
    return;
  }
  const run = async () => {
    try {
      const value = await handle(request);
      port.postMessage({ id: request.id, ok: true, value } satisfies WorkerReply, transferablesOf(value));
    } catch (error) {
      port.postMessage({ id: request.id, ok: false, error: serializeError(error) } satisfies WorkerReply);
    } finally {
      cancelled.delete(request.id);
    }
  };
  if (request.op === 'generate') {
    cancelled.set(request.id, new Set());
    void run();
    return;
  }
  queue = queue.then(run);
});
