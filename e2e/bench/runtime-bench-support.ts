/** Helpers of runtime.bench.ts: the forged models, a bare onnxruntime session, a private nats-server. */
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { END_OF_TEXT, exportGptModelDir, PAD_TOKEN, randomGptWeights, specialTokenId, tokenizerVocabSize, trainBpeTokenizer } from '@assay/forge';
import { leftPad } from '@assay/runtime';

export const SHAKESPEARE = path.resolve(__dirname, '../../../shared/data/tinyshakespeare/input.txt');
export const SHAPE = { layers: 4, heads: 4, dim: 256, contextLength: 512 };

/** The same random-weight GPT exported with a KV cache (`kv`) and without (`full`). */
export async function forgeModels(workDir: string): Promise<{ kv: string; full: string; vocab: number }> {
  const text = fs.readFileSync(SHAKESPEARE, 'utf8').slice(0, 200_000);
  const tokenizer = trainBpeTokenizer({ texts: text.split('\n\n'), vocabSize: 2048 });
  const vocab = tokenizerVocabSize(tokenizer);
  const weights = randomGptWeights({ vocabSize: vocab, ...SHAPE, layerNormEps: 1e-5 }, 1);
  const ids = { bosTokenId: specialTokenId(tokenizer, END_OF_TEXT), eosTokenId: specialTokenId(tokenizer, END_OF_TEXT), padTokenId: specialTokenId(tokenizer, PAD_TOKEN) };
  const kv = path.join(workDir, 'kv');
  const full = path.join(workDir, 'full');
  await exportGptModelDir(weights, tokenizer, kv, { ...ids, withPast: true });
  await exportGptModelDir(weights, tokenizer, full, { ...ids, withPast: false });
  return { kv, full, vocab };
}

/** Bare onnxruntime: one session, the runtime's feeds (empty past), logits fetched, batches run back to back. */
export async function rawSession(modelPath: string, threads: number) {
  const session = await ort.InferenceSession.create(modelPath, { executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: threads });
  const pastNames = session.inputNames.filter((n) => n.startsWith('past_key_values.'));
  const headDim = SHAPE.dim / SHAPE.heads;
  return {
    async run(batches: number[][][], padId: number): Promise<void> {
      for (const rows of batches) {
        const padded = leftPad(rows, padId);
        const dims = [padded.batch, padded.seqLen];
        const feeds: Record<string, ort.Tensor> = {
          input_ids: new ort.Tensor('int64', padded.inputIds, dims),
          attention_mask: new ort.Tensor('int64', padded.attentionMask, dims),
          position_ids: new ort.Tensor('int64', padded.positionIds, dims),
        };
        for (const name of pastNames) feeds[name] = new ort.Tensor('float32', new Float32Array(0), [padded.batch, SHAPE.heads, 0, headDim]);
        await session.run(feeds, ['logits']);
      }
    },
    release: () => session.release(),
  };
}

/** A private nats-server on a free port, or undefined when the binary is not installed. */
export async function privateNats(dataDir: string): Promise<{ url: string; process: ChildProcess } | undefined> {
  const binary = ['/usr/sbin/nats-server', '/usr/local/bin/nats-server', '/usr/bin/nats-server'].find((file) => fs.existsSync(file));
  if (!binary) return undefined;
  const port = await new Promise<number>((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
  const child = spawn(binary, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dataDir], { stdio: 'ignore' });
  for (let attempt = 0; attempt < 100; attempt++) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(true)).on('error', () => resolve(false));
      socket.setTimeout(200, () => resolve(false));
      setTimeout(() => socket.destroy(), 250);
    });
    if (up) return { url: `nats://127.0.0.1:${port}`, process: child };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill();
  return undefined;
}

/** utime + stime of a process from /proc (Linux), in seconds; 0 when unavailable. */
export function natsCpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // fields 14 and 15 of stat, in USER_HZ (100)
  } catch {
    return 0;
  }
}

/** Runs `requests` through `call` with at most `concurrency` in flight. */
export async function pooled<T>(requests: T[], concurrency: number, call: (r: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, requests.length) }, async () => {
      while (next < requests.length) await call(requests[next++]);
    }),
  );
}
