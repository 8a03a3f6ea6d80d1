/**
 * Runtime throughput on a forged random-weight GPT (4 layers, dim 256, ~2k vocabulary, context 512: big
 * enough that the forward pass dominates), each number against its baseline in the same run:
 *
 * - service_vs_raw: scoring through the likelihood service (NATS request/reply, validation, tokenization,
 *   micro-batcher, worker thread, log-softmax, detokenization, JSON) vs a bare onnxruntime-node
 *   InferenceSession in this process running the same padded batches, same intra-op threads.
 * - kv_cache_speedup: greedy generation of 256 new tokens with the KV cache vs full recomputation.
 * - microbatch_gain: 32 concurrent one-item scoring requests (merged by the micro-batcher) vs the same 32
 *   requests one by one, both through the service.
 *
 * Request subjects are not namespaced, so on the shared nats-server other people's likelihood services would
 * take a share of our requests: the benchmark runs its own nats-server (killed at the end) when one is installed.
 *
 * service_vs_raw_cpu: the same comparison in CPU seconds (this process's threads + the private nats-server),
 * which time-sharing on a busy machine disturbs much less than wall-clock throughput.
 *
 * Flags: --threads N (intra-op threads, both paths; default 1), --rounds N (default 11), --requests N (default 8),
 * --items N (items per request = executor batch, default 16), --concurrency N (requests in flight, default 4).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ScoreResponse } from '@assay/contracts';
import { CPU_MAX_PADDING_FRACTION, LocalEngine, planBatches, readModelBundle, TextTokenizer } from '@assay/runtime';
import type { PlatformHarness } from '@assay/testing';
import { LikelihoodModule } from '../../services/likelihood/src/likelihood.module';
import { forgeModels, natsCpuSeconds, pooled, privateNats, rawSession, SHAKESPEARE, SHAPE } from './runtime-bench-support';


function flag(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

const now = () => performance.now();
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const log = (message: string) => console.error(`[runtime bench] ${message}`);

interface Item {
  context: string;
  continuation: string;
}

/** Scoring pairs cut from the corpus: `words` words of context, 8 of continuation. */
function items(words: string[], count: number, contextWords: number, offset: number): Item[] {
  return Array.from({ length: count }, (_, i) => {
    const start = (offset + i * 37) % (words.length - contextWords - 10);
    return { context: words.slice(start, start + contextWords).join(' '), continuation: ' ' + words.slice(start + contextWords, start + contextWords + 8).join(' ') };
  });
}

/** The ids the runtime scores for a pair: [BOS] + context + continuation, each encoded alone. */
function scoredIds(tokenizer: TextTokenizer, bos: number, item: Item): number[] {
  return [bos, ...tokenizer.encode(item.context), ...tokenizer.encode(item.continuation)];
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const threads = flag(args, 'threads', 1);
  const rounds = flag(args, 'rounds', 11);
  const requestCount = flag(args, 'requests', 8);
  const itemsPerRequest = flag(args, 'items', 16);
  const concurrency = flag(args, 'concurrency', 4);
  const loadBefore = os.loadavg();
  process.env.TEST_LOG_LEVEL = 'silent';
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'assay-bench-runtime-'));
  const nats = await privateNats(path.join(workDir, 'nats'));
  if (nats) process.env.NATS_URL = nats.url;
  else log('no nats-server binary: using the shared server (other services on it may answer some requests)');
  // Imported after NATS_URL is set: the harness reads it when its module loads.
  const { PlatformHarness: Harness } = await import('@assay/testing');
  const harness: PlatformHarness = await new Harness('bench-runtime').start();
  try {
    log('forging a 4-layer / dim 256 / vocab ~2k / context 512 model (with and without KV cache) ...');
    const models = await forgeModels(workDir);
    await harness.registry.push(models.kv, { name: 'bench', version: '1', provenance: { kind: 'forged' } });
    // Each request is one executor batch (maxBatchSize = items per request), so both paths run the same tensors.
    Object.assign(process.env, {
      ASSAY_RUNTIME_INTRA_OP_THREADS: String(threads),
      ASSAY_RUNTIME_WORKERS: '1',
      ASSAY_RUNTIME_MAX_BATCH_SIZE: String(itemsPerRequest),
      ASSAY_RUNTIME_MAX_BATCH_TOKENS: '1000000',
      ASSAY_MAX_BATCH: '256',
    });
    await harness.startService(LikelihoodModule, 'likelihood');
    const score = (batch: Item[]) => harness.rpc.request<ScoreResponse>('assay.likelihood.score', { model: 'bench', items: batch }, { timeoutMs: 300_000 });

    // --- service vs raw onnxruntime on the same padded batches -------------------------------------------
    const words = fs.readFileSync(SHAKESPEARE, 'utf8').split(/\s+/).filter(Boolean);
    const requests = Array.from({ length: requestCount }, (_, r) => items(words, itemsPerRequest, 40 + (r % 4) * 12, r * 1013));
    const bundle = await readModelBundle(models.kv);
    const bos = bundle.shape.bosTokenId!;
    // The executor batches the service runs: each request's rows, cut by the runtime's planner (CPU padding limit).
    const limits = { maxBatchSize: itemsPerRequest, maxBatchTokens: 1_000_000, contextLength: SHAPE.contextLength, maxPaddingFraction: CPU_MAX_PADDING_FRACTION };
    const batches = requests.flatMap((request) => {
      const rows = request.map((item) => scoredIds(bundle.tokenizer, bos, item));
      return planBatches(rows.map((row) => ({ length: row.length, newTokens: 0 })), limits).map((group) => group.map((i) => rows[i]));
    });
    const tokens = batches.flat().reduce((n, row) => n + row.length, 0);
    log(`${requests.length} requests → ${batches.length} executor batches, ${tokens} tokens per round`);
    const raw = await rawSession(bundle.modelPath, threads);
    await score(requests[0]); // load + warm up
    await raw.run(batches.slice(0, 1), bundle.shape.padTokenId);
    const rawTps: number[] = [];
    const serviceTps: number[] = [];
    const utilization: number[] = [];
    const cpu = { raw: 0, service: 0 };
    /** CPU seconds of this process (all threads) plus the private nats-server's, around `work`. */
    const cpuSeconds = async (work: () => Promise<void>): Promise<number> => {
      const natsBefore = natsCpuSeconds(nats?.process.pid);
      const before = process.cpuUsage();
      await work();
      const used = process.cpuUsage(before);
      return (used.user + used.system) / 1e6 + natsCpuSeconds(nats?.process.pid) - natsBefore;
    };
    const timeRaw = async () => {
      const started = now();
      cpu.raw += await cpuSeconds(() => raw.run(batches, bundle.shape.padTokenId));
      rawTps.push(tokens / ((now() - started) / 1000));
    };
    const timeService = async () => {
      const started = now();
      const loop = performance.eventLoopUtilization();
      let served = 0;
      cpu.service += await cpuSeconds(() =>
        pooled(requests, concurrency, async (request) => {
          const { usage } = await score(request);
          served += usage.inputTokens;
        }),
      );
      if (served !== tokens) throw new Error(`service scored ${served} tokens, raw ${tokens}: the paths diverged`);
      serviceTps.push(served / ((now() - started) / 1000));
      utilization.push(performance.eventLoopUtilization(loop).utilization);
    };
    // Short paired rounds in alternating order: load on the shared machine drifts, so compare neighbours.
    for (let round = 0; round < rounds; round++) {
      for (const measure of round % 2 === 0 ? [timeRaw, timeService] : [timeService, timeRaw]) await measure();
      log(`round ${round + 1}: raw ${rawTps[round].toFixed(0)} tok/s, service ${serviceTps[round].toFixed(0)} tok/s`);
    }
    await raw.release();

    // --- micro-batching: 32 concurrent one-item requests vs one by one -----------------------------------
    Object.assign(process.env, { ASSAY_RUNTIME_MAX_BATCH_SIZE: '32' });
    await harness.apps.get('likelihood')!.close();
    harness.apps.delete('likelihood');
    await harness.startService(LikelihoodModule, 'likelihood');
    const singles = items(words, 32, 24, 7).map((item) => [item]);
    await score(singles[0]);
    const singleTokens = (await Promise.all(singles.map((request) => score(request)))).reduce((n, r) => n + r.usage.inputTokens, 0);
    const sequentialTps: number[] = [];
    const concurrentTps: number[] = [];
    const timeSequential = async () => {
      const started = now();
      for (const request of singles) await score(request);
      sequentialTps.push(singleTokens / ((now() - started) / 1000));
    };
    const timeConcurrent = async () => {
      const started = now();
      await Promise.all(singles.map((request) => score(request)));
      concurrentTps.push(singleTokens / ((now() - started) / 1000));
    };
    for (let round = 0; round < rounds; round++) {
      for (const measure of round % 2 === 0 ? [timeSequential, timeConcurrent] : [timeConcurrent, timeSequential]) await measure();
      log(`round ${round + 1}: 32 one by one ${sequentialTps[round].toFixed(0)} tok/s, 32 concurrent ${concurrentTps[round].toFixed(0)} tok/s`);
    }

    // --- KV cache vs full recomputation, 256 new tokens, greedy ------------------------------------------
    const engine = new LocalEngine({
      config: { executor: { kind: 'worker-threads', workers: 1 }, session: { intraOpNumThreads: threads } },
      logger: { info: () => undefined, warn: () => undefined },
    });
    let kvSeconds: number;
    let fullSeconds: number;
    try {
      await engine.loadModel('kv', models.kv);
      await engine.loadModel('full', models.full);
      const generate = async (model: string) => {
        const started = now();
        const result = await engine.generate({ model, prompts: ['ROMEO: what light through yonder window breaks'], maxNewTokens: 256, temperature: 0, stopOnEos: false });
        return { seconds: (now() - started) / 1000, ids: result.completions[0].tokens.map((t) => t.id) };
      };
      await generate('kv');
      const kv = [await generate('kv'), await generate('kv'), await generate('kv')];
      const full = await generate('full');
      if (full.ids.join() !== kv[0].ids.join()) log('warning: KV-cached and recomputed greedy generations differ');
      kvSeconds = median(kv.map((r) => r.seconds));
      fullSeconds = full.seconds;
      log(`256 new tokens: KV cache ${kvSeconds.toFixed(2)} s, full recomputation ${fullSeconds.toFixed(2)} s`);
    } finally {
      await engine.close();
    }

    const round3 = (x: number) => Number(x.toFixed(3));
    const ratios = (a: number[], b: number[]) => a.map((x, i) => x / b[i]);
    const serviceRatios = ratios(serviceTps, rawTps);
    const batchRatios = ratios(concurrentTps, sequentialTps);
    return {
      service_vs_raw: round3(median(serviceRatios)),
      service_vs_raw_range: [round3(Math.min(...serviceRatios)), round3(Math.max(...serviceRatios))],
      service_tokens_per_s: Math.round(median(serviceTps)),
      service_vs_raw_cpu: round3(cpu.raw / cpu.service),
      service_main_thread_busy: round3(median(utilization)),
      raw_tokens_per_s: Math.round(median(rawTps)),
      kv_cache_speedup: round3(fullSeconds / kvSeconds),
      kv_cache_tokens_per_s: Math.round(256 / kvSeconds),
      full_recompute_tokens_per_s: Math.round(256 / fullSeconds),
      microbatch_gain: round3(median(batchRatios)),
      microbatch_gain_range: [round3(Math.min(...batchRatios)), round3(Math.max(...batchRatios))],
      microbatch_concurrent_tokens_per_s: Math.round(median(concurrentTps)),
      microbatch_sequential_tokens_per_s: Math.round(median(sequentialTps)),
      model: { ...SHAPE, vocab: models.vocab },
      setup: {
        intra_op_threads: threads,
        workers: 1,
        scoring: `${requestCount} requests × ${itemsPerRequest} items (${tokens} tokens) per round, ${concurrency} in flight, each request one executor batch (cut by the CPU padding limit)`,
        microbatch: '32 one-item requests (~40 tokens each), all at once vs one after another, max batch 32',
        generation: 'greedy, 256 new tokens, batch 1, EOS ignored; KV: median of 3 runs, full recomputation: 1 run',
        rounds,
        statistic: 'ratios: median over rounds of paired (adjacent, alternating order) measurements; tokens/s: median over rounds',
      },
      nats: nats ? 'private nats-server' : 'shared nats-server',
      cpus: os.cpus().length,
      load_average_before: loadBefore.map((x) => Number(x.toFixed(2))),
      load_average_after: os.loadavg().map((x) => Number(x.toFixed(2))),
    };
  } finally {
    await harness.close();
    if (nats) {
      const exited = new Promise((resolve) => nats.process.once('exit', resolve));
      nats.process.kill();
      await exited;
    }
    if (nats) delete process.env.NATS_URL;
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}
