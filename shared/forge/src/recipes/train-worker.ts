import { parentPort } from 'worker_threads';
import { trainGpt } from '../train/lm-trainers';
import type { TrainWorkerMessage, TrainWorkerRequest } from './train-in-worker';

/** Worker-thread entry: trains one GPT (one onnxruntime thread by default, so two workers use two cores). */
const port = parentPort;
if (!port) throw new Error('train-worker must run in a worker thread');
const abort = new AbortController();
const send = (message: TrainWorkerMessage) => port.postMessage(message);

port.on('message', (message: TrainWorkerRequest | { type: 'abort' }) => {
  if (message.type === 'abort') {
    abort.abort();
    return;
  }
  const { flat, offsets, options } = message;
  const examples: Int32Array[] = [];
  for (let i = 0; i + 1 < offsets.length; i++) examples.push(flat.subarray(offsets[i], offsets[i + 1]));
  trainGpt({ ...options, examples, signal: abort.signal, onProgress: (progress) => send({ type: 'progress', progress }) })
    .then((result) => send({ type: 'done', result }))
    .catch((err: Error) => send({ type: 'error', message: err.stack ?? err.message }));
});
