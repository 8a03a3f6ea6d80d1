import { parentPort } from 'worker_threads';
import { serializeError } from '../errors';
import { ExecutorOp, transferablesOf } from './executor';
import { ModelHost } from './model-host';

/**
 * Entry of an executor worker thread. Messages are handled strictly one after another: a batch owns
 * the thread (and its sessions) until it is done, which keeps latency predictable and memory bounded.
 */
export interface WorkerRequest {
  id: number;
  op: ExecutorOp;
  key: string;
  args: unknown;
}

export type WorkerReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: ReturnType<typeof serializeError> };

const host = new ModelHost();
const port = parentPort!;
let queue: Promise<void> = Promise.resolve();

async function handle(request: WorkerRequest): Promise<unknown> {
  switch (request.op) {
    case 'load':
      return host.load(request.args as never);
    case 'unload':
      return host.unload(request.key);
    case 'generate':
      return host.generate(request.key, request.args as never);
    case 'score':
      return host.score(request.key, request.args as never);
    case 'pool':
      return host.pool(request.key, request.args as never);
  }
}

port.on('message', (request: WorkerRequest) => {
  queue = queue.then(async () => {
    try {
      const value = await handle(request);
      port.postMessage({ id: request.id, ok: true, value } satisfies WorkerReply, transferablesOf(value));
    } catch (error) {
      port.postMessage({ id: request.id, ok: false, error: serializeError(error) } satisfies WorkerReply);
    }
  });
});
