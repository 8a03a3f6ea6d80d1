import fs from 'node:fs';
import os from 'node:os';
import { JobAccepted } from '@assay/contracts';
import { demoCorpus } from '@assay/forge';
import { forgeTinyModel } from '@assay/testing';
import { onnxScaleCeiling } from '../support/onnx-ceiling';
import { cpuSeconds, drainJobs, generationLoad, pushModel, startScalePlatform } from '../support/scale-out';

/**
 * `npm run bench -- scale [requests] [jobs] [steps] [--concurrency n] [--max-batch n] [--worker-threads]`: scale-out measured on this machine (issue 14.7), every replica a
 * separate process started by `assay up --replicas <service>=<n>` and pinned to one inference thread, so the figures
 * measure scale-out rather than thread count.
 *  (a) generation request throughput (completions/s) at 1 and 2 replicas, same requests, same model;
 *  (b) a queue of guide-training jobs drained by 1 and 2 workers;
 *  (c) one of 2 generation replicas SIGKILLed a quarter into a load, and one of 2 guide-training workers killed while
 *      jobs run: requests lost beyond the documented retry (one retry on UNAVAILABLE) and jobs lost.
 * The load average before and after is printed with the figures: on a shared machine the ratio means little without it.
 */
const MODEL = { texts: demoCorpus({ seed: 1, inDomainItems: 40, generalItems: 10, heldOutItems: 2, promptItems: 2 }).inDomain, vocabSize: 400, dim: 256, layers: 4, heads: 4, contextLength: 128 };
// A checkpoint every 50 steps (the service's default is 200): a checkpoint every 10 steps added about 0.6 s of
// object-store round trips (through the one server of `assay up`, shared by both workers) to a 0.7 s job.
const TINY_GUIDE = { vocabSize: 320, layers: 1, heads: 2, dim: 32, context: 32, batchSize: 8, evalEvery: 25, progressEvery: 25, checkpointEvery: 50, earlyStoppingPatience: 0 };

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const flag = (name: string, fallback: number) => (args.includes(`--${name}`) ? Number(args[args.indexOf(`--${name}`) + 1]) : fallback);
  const positional = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1].startsWith('--')));
  const requests = Number(positional[0] ?? 768);
  const jobCount = Number(positional[1] ?? 8);
  const steps = Number(positional[2] ?? 400);
  // Enough clients to keep every replica's batch full at both 1 and 2 replicas, and the same batch cap in each
  // replica: the ratio then measures what a second replica adds, not a single replica's batching efficiency (with
  // a 32-row cap, one replica fed 32 clients decodes 32 rows a step where two decode 16 each, and on a small model
  // a step costs nearly the same for 16 rows as for 32: that would measure batching, not scale-out).
  const concurrency = flag('concurrency', 32);
  const maxBatch = flag('max-batch', 8);
  const executor = args.includes('--worker-threads') ? 'worker-threads' : 'in-process';
  const load = () => os.loadavg().map((l) => Math.round(l * 10) / 10);
  const loadBefore = load();
  console.error(`scale bench: ${requests} generation requests, ${jobCount} guide-training jobs of ${steps} steps; load ${loadBefore.join(' ')} on ${os.cpus().length} cores`);

  // (a) generation throughput; (c) a kill under load on the 2-replica platform.
  const throughput: number[] = [];
  const generatorCpuS: number[] = [];
  const cpuMsPerRequest: number[] = [];
  let killLoad: Awaited<ReturnType<typeof generationLoad>> | undefined;
  for (const replicas of [1, 2]) {
    // One thread per replica: the in-process executor runs the decode loop on the thread that serves requests. With
    // the default worker-thread executor a replica keeps two JavaScript threads busy (requests, decode loop): measured
    // here, one replica alone then used 1.3 of the 2 cores, and the ratio would measure thread count, not replicas.
    const scale = await startScalePlatform('generation', replicas, { ASSAY_RUNTIME_MAX_BATCH_SIZE: String(maxBatch), ASSAY_RUNTIME_EXECUTOR: executor });
    try {
      await pushModel(scale.registry, 'bench', () => forgeTinyModel(MODEL));
      const options = { model: 'bench', concurrency, maxNewTokens: 24 };
      await generationLoad(scale.rpc, { ...options, requests: 16 }); // warm-up: sessions loaded in every replica
      const replicaPids = [...scale.pids().values()];
      const replicaCpu = cpuSeconds(replicaPids);
      const cpu = process.cpuUsage();
      const measured = await generationLoad(scale.rpc, { ...options, requests });
      const spent = process.cpuUsage(cpu);
      // CPU the replicas spent per answered request: unlike requests/s, it does not depend on the CPU share other
      // work leaves; equal at 1 and 2 replicas means nothing is lost to running two (≈ 2× on 2 idle cores).
      cpuMsPerRequest.push(((cpuSeconds(replicaPids) - replicaCpu) * 1000) / measured.ok);
      generatorCpuS.push((spent.user + spent.system) / 1e6); // the load generator shares the 2 cores: how much it took
      throughput.push(measured.ok / measured.elapsedS);
      console.error(`  generation, ${replicas} replica(s): ${measured.ok} ok in ${measured.elapsedS.toFixed(1)} s = ${(measured.ok / measured.elapsedS).toFixed(2)} req/s (lost ${measured.lost}); replicas' CPU ${cpuMsPerRequest.at(-1)!.toFixed(1)} ms/request, load generator's ${generatorCpuS.at(-1)!.toFixed(2)} s`);
      if (replicas === 2) {
        const victim = scale.pids().get('generation#2')!;
        killLoad = await generationLoad(scale.rpc, { ...options, requests, during: () => void process.kill(victim, 'SIGKILL') });
        console.error(`  kill: generation#2 (pid ${victim}) SIGKILLed; ${killLoad.ok} ok, ${killLoad.retried} answered on their retry, ${killLoad.lost} lost ${killLoad.errors.slice(0, 3).join(' | ')}`);
      }
    } finally {
      await scale.stop();
    }
  }

  // (b) guide-training jobs drained by 1 and 2 workers; with 2, one worker is killed mid-way.
  const drain: number[] = [];
  const jobsPerWorker: number[][] = [];
  const cpuSPerJob: number[] = [];
  let jobsLost = 0;
  for (const replicas of [1, 2]) {
    const scale = await startScalePlatform('guide-training', replicas, { ASSAY_JOB_ACK_WAIT_MS: '5000' });
    try {
      await scale.store.put('data/scale.txt', Buffer.from(MODEL.texts.join('\n\n')));
      const submit = (i: number, jobSteps = steps) => scale.rpc.call('assay.guide-training.train', { data: 'data/scale.txt', name: `scale-${replicas}-${i}`, ...TINY_GUIDE, steps: jobSteps } as never) as Promise<JobAccepted>;
      // Warm-up, as for generation: one short job per worker (an idle worker takes the next job while the other runs
      // one), so that loading onnxruntime and compiling the trainer, once per process, is not in the drain time.
      const warmIds = (await Promise.all(Array.from({ length: replicas }, (_, i) => submit(50 + i, 25)))).map((a) => a.jobId);
      await drainJobs(scale.jobs, warmIds, Date.now(), 15 * 60_000);
      const workerPids = [...scale.pids().values()];
      const workerCpu = cpuSeconds(workerPids);
      const since = Date.now();
      const ids = (await Promise.all(Array.from({ length: jobCount }, (_, i) => submit(i)))).map((a) => a.jobId);
      const drained = await drainJobs(scale.jobs, ids, since, 15 * 60_000);
      drain.push(drained.seconds);
      cpuSPerJob.push((cpuSeconds(workerPids) - workerCpu) / jobCount);
      const byWorker = new Map<string, number>();
      for (const id of ids) {
        const worker = (await scale.jobs.status(id as never)).worker ?? '?';
        byWorker.set(worker, (byWorker.get(worker) ?? 0) + 1);
      }
      jobsPerWorker.push([...byWorker.values()]);
      console.error(`  guide-training, ${replicas} worker(s): ${drained.succeeded}/${jobCount} jobs in ${drained.seconds.toFixed(1)} s, per worker ${[...byWorker.values()].join(' + ')}, workers' CPU ${cpuSPerJob.at(-1)!.toFixed(2)} s/job ${drained.failed.join(' | ')}`);
      if (replicas === 2) {
        const victim = scale.pids().get('guide-training#2')!;
        const killSince = Date.now();
        const killIds = (await Promise.all(Array.from({ length: jobCount }, (_, i) => submit(100 + i)))).map((a) => a.jobId);
        await new Promise((r) => setTimeout(r, 3000)); // both workers are training by now
        process.kill(victim, 'SIGKILL');
        const afterKill = await drainJobs(scale.jobs, killIds, killSince, 15 * 60_000);
        jobsLost = jobCount - afterKill.succeeded;
        console.error(`  kill: guide-training#2 (pid ${victim}) SIGKILLed mid-job; ${afterKill.succeeded}/${jobCount} jobs succeeded in ${afterKill.seconds.toFixed(1)} s ${afterKill.failed.join(' | ')}`);
      }
    } finally {
      await scale.stop();
    }
  }

  // (d) the ceiling: what two bare onnxruntime processes get from these cores against one, same model, same batch
  // sizes the replicas decode at (see onnx-ceiling.ts). scale_2_over_1 cannot exceed it.
  const ceilingDir = await forgeTinyModel(MODEL);
  const ceiling = await onnxScaleCeiling(ceilingDir, { batch: 8, seconds: 4 });
  fs.rmSync(ceilingDir, { recursive: true, force: true });
  console.error(`  ceiling: bare onnxruntime, one thread per process, batch 8: ${ceiling.alone.toFixed(0)} passes/s alone, ${ceiling.together.toFixed(0)} for two processes together (${ceiling.ratio.toFixed(2)}×)`);

  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    throughput_1: round(throughput[0]),
    throughput_2: round(throughput[1]),
    scale_2_over_1: round(throughput[1] / throughput[0]),
    clients: concurrency,
    executor,
    max_batch_per_replica: maxBatch,
    onnx_ceiling_2_over_1: round(ceiling.ratio),
    scale_vs_ceiling: round(throughput[1] / throughput[0] / ceiling.ratio),
    jobs_drain_1_s: round(drain[0]),
    jobs_drain_2_s: round(drain[1]),
    jobs_per_worker_2: jobsPerWorker[1],
    worker_cpu_s_per_job: cpuSPerJob.map(round),
    replica_cpu_ms_per_request: cpuMsPerRequest.map(round),
    load_generator_cpu_s: generatorCpuS.map(round),
    requests_lost_on_kill: killLoad?.lost ?? null,
    requests_retried_on_kill: killLoad?.retried ?? null,
    jobs_lost_on_kill: jobsLost,
    cores: os.cpus().length,
    load_before: loadBefore,
    load_after: load(),
  };
}
