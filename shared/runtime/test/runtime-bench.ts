/**
 * Throughput of the runtime on a tiny random model (not a test; run by hand):
 *   node -r @swc-node/register shared/runtime/test/runtime-bench.ts [in-process|worker-threads]
 * Scoring batched vs one request at a time, generation batched vs one at a time, and KV cache vs full
 * recomputation at 256 new tokens.
 */
import { GenerateRequest, LocalEngine } from '@assay/runtime';
import { captureLogger, newTestModel, removeTestModels } from './fixtures';

const WORDS = 'the cat sat on a mat then in the end we went home and slept until the sun came up again'.split(' ');
const text = (i: number, words: number) => Array.from({ length: words }, (_, k) => WORDS[(i * 7 + k * 3) % WORDS.length]).join(' ');

/** Best of three runs (the machine is shared; the minimum is the least disturbed), after one warm-up run. */
async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  let value = await work();
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const start = process.hrtime.bigint();
    value = await work();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e9);
  }
  return [value, best];
}

async function main(): Promise<void> {
  const kind = (process.argv[2] ?? 'worker-threads') as 'in-process' | 'worker-threads';
  const shape = { layers: 4, heads: 4, dim: 128, contextLength: 512 };
  const kv = await newTestModel({ ...shape, seed: 1 });
  const full = await newTestModel({ ...shape, seed: 1, withPast: false });
  const engine = new LocalEngine({
    config: { executor: { kind, workers: 1 }, session: { intraOpNumThreads: 1 }, batching: { windowMs: 2, maxBatchSize: 32, maxBatchTokens: 32768 } },
    logger: captureLogger(),
  });
  await engine.loadModel('kv', kv.dir);
  await engine.loadModel('full', full.dir);
  console.log(`executor=${kind} model: ${shape.layers} layers, dim ${shape.dim}, vocab 105, intraOpNumThreads=1`);

  // Scoring: 64 pairs of ~60-token contexts and ~20-token continuations.
  const items = Array.from({ length: 64 }, (_, i) => ({ context: text(i, 14), continuation: ' ' + text(i + 1, 5) }));
  const [batched, tBatched] = await timed(() => engine.score({ model: 'kv', items }));
  const scoredTokens = batched.usage.inputTokens;
  const [, tOne] = await timed(async () => {
    for (const item of items) await engine.score({ model: 'kv', items: [item] });
  });
  const [, tConcurrent] = await timed(() => Promise.all(items.map((item) => engine.score({ model: 'kv', items: [item] }))));
  console.log(`score: ${scoredTokens} tokens | one request ×64: ${(scoredTokens / tBatched).toFixed(0)} tok/s | 64 sequential: ${(scoredTokens / tOne).toFixed(0)} tok/s | 64 concurrent (micro-batched): ${(scoredTokens / tConcurrent).toFixed(0)} tok/s`);

  // Generation: 8 prompts × 64 new tokens, greedy, EOS ignored so every sequence runs to the end.
  const prompts = Array.from({ length: 8 }, (_, i) => text(i, 6));
  const request = (model: string, maxNewTokens: number, p = prompts): GenerateRequest => ({ model, prompts: p, maxNewTokens, temperature: 1, seed: 1, stopOnEos: false });
  const [gen, tGen] = await timed(() => engine.generate(request('kv', 64)));
  const [, tGenOne] = await timed(async () => {
    for (const p of prompts) await engine.generate(request('kv', 64, [p]));
  });
  const [, tGenConc] = await timed(() => Promise.all(prompts.map((p) => engine.generate(request('kv', 64, [p])))));
  const genTokens = gen.usage.outputTokens;
  console.log(`generate 8×64: batched ${(genTokens / tGen).toFixed(0)} tok/s | sequential ${(genTokens / tGenOne).toFixed(0)} tok/s | concurrent (micro-batched) ${(genTokens / tGenConc).toFixed(0)} tok/s`);

  for (const batch of [1, 8]) {
    const p = prompts.slice(0, batch);
    const [withKv, tKv] = await timed(() => engine.generate(request('kv', 256, p)));
    const [, tFull] = await timed(() => engine.generate(request('full', 256, p)));
    const n = withKv.usage.outputTokens;
    console.log(`generate ${batch}×256: KV cache ${(n / tKv).toFixed(0)} tok/s | full recomputation ${(n / tFull).toFixed(0)} tok/s (${(tFull / tKv).toFixed(1)}× slower)`);
  }
  await engine.close();
  await removeTestModels();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
