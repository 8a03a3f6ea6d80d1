import fs from 'node:fs';
import path from 'node:path';
import { LocalArtifactCache, ModelRegistry, ObjectStore } from '@assay/artifacts';
import { AssayJobsClient, connectNats, RpcClient } from '@assay/messaging';
import type { NatsConnection } from 'nats';
import { descendants, LocalPlatformProcess, timeUntilGone } from './local-platform';

/**
 * Scale-out with real processes (issue 14.7), shared by `npm run bench -- scale` and scale-out.e2e.spec.ts:
 * `assay up --only <service> --replicas <service>=<n>`, each replica pinned to one inference thread, and clients
 * that reach it through the platform file.
 */
export const PINNED_ENV = { ASSAY_RUNTIME_INTRA_OP_THREADS: '1', ASSAY_RUNTIME_INTER_OP_THREADS: '1', ASSAY_RUNTIME_WORKERS: '1', LOG_LEVEL: 'warn' };

export interface ScalePlatform {
  platform: LocalPlatformProcess;
  nc: NatsConnection;
  rpc: RpcClient;
  jobs: AssayJobsClient;
  store: ObjectStore;
  registry: ModelRegistry;
  /** The pid of each process of the service, by its `assay up` name (`generation`, `generation#2`, ...). */
  pids(): Map<string, number>;
  stop(): Promise<void>;
}

export async function startScalePlatform(service: string, replicas: number, extraEnv: NodeJS.ProcessEnv = {}): Promise<ScalePlatform> {
  const platform = await new LocalPlatformProcess([service], { detached: true, extraEnv: { ...PINNED_ENV, ...extraEnv }, args: ['--quiet', '--replicas', `${service}=${replicas}`] }).start();
  const file = platform.platformFile();
  const store = new ObjectStore({ endpoint: file.S3_ENDPOINT, accessKey: file.S3_ACCESS_KEY, secretKey: file.S3_SECRET_KEY, bucket: 'assay', region: 'us-east-1', signingKeys: [file.ASSAY_SIGNING_KEY] });
  const registry = new ModelRegistry(store, new LocalArtifactCache(path.join(platform.dataDir, 'client-cache'), 1024 ** 3));
  const nc = await connectNats({ servers: file.NATS_URL, user: file.NATS_USER, pass: file.NATS_PASSWORD, name: 'scale-client' });
  const rpc = new RpcClient(nc, { defaultTimeoutMs: 120_000, livenessMs: 3000, namespace: file.ASSAY_NAMESPACE });
  const jobs = await AssayJobsClient.connect(nc, { namespace: file.ASSAY_NAMESPACE });
  const names = [service, ...Array.from({ length: replicas - 1 }, (_, i) => `${service}#${i + 2}`)];
  return {
    platform,
    nc,
    rpc,
    jobs,
    store,
    registry,
    pids: () => new Map(names.map((name) => [name, platform.servicePid(name)])),
    stop: async () => {
      await nc.drain().catch(() => undefined);
      const pids = descendants(platform.npm.pid!);
      if (platform.npm.exitCode === null) process.kill(platform.npm.pid!, 'SIGTERM');
      await timeUntilGone(pids, 20_000).catch(() => undefined);
      platform.cleanup();
    },
  };
}

/** CPU seconds (user + system, all threads) the processes `pids` have used so far (Linux /proc; 0 for one gone). */
export function cpuSeconds(pids: number[]): number {
  const tick = 100; // USER_HZ, 100 on Linux
  let total = 0;
  for (const pid of pids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields[11], [12]: utime, stime
      total += (Number(fields[11]) + Number(fields[12])) / tick;
    } catch {
      // exited
    }
  }
  return total;
}

/** Pushes a model directory forged by `forge` and removes the directory. */
export async function pushModel(registry: ModelRegistry, name: string, forge: () => Promise<string>): Promise<void> {
  const dir = await forge();
  await registry.push(dir, { name, version: '1', provenance: { kind: 'forged' } });
  fs.rmSync(dir, { recursive: true, force: true });
}

export interface LoadResult {
  ok: number;
  /** Requests that failed even after the documented retry (one retry on UNAVAILABLE). */
  lost: number;
  /** Requests whose first attempt failed as UNAVAILABLE and whose retry succeeded. */
  retried: number;
  elapsedS: number;
  errors: string[];
}

/**
 * `requests` generation requests from `concurrency` callers, each with the documented retry (RequestOptions
 * retryUnavailable: 1, what GenerationClient does). `during` runs once a quarter of the requests have completed
 * (e.g. a kill).
 */
export async function generationLoad(
  rpc: RpcClient,
  options: { model: string; requests: number; concurrency: number; maxNewTokens: number; during?: () => void | Promise<void> },
): Promise<LoadResult> {
  const result: LoadResult = { ok: 0, lost: 0, retried: 0, elapsedS: 0, errors: [] };
  let next = 0;
  let done = 0;
  let fired = false;
  const started = Date.now();
  const caller = async () => {
    for (let i = next++; i < options.requests; i = next++) {
      const request = { model: options.model, prompts: [`request ${i}: the patient`], maxNewTokens: options.maxNewTokens, temperature: 1, seed: i };
      try {
        await rpc.call('assay.generation.generate', request, { timeoutMs: 120_000 });
        result.ok++;
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code !== 'UNAVAILABLE') {
          result.lost++;
          result.errors.push(`${code}: ${(error as Error).message}`);
        } else {
          try {
            await rpc.call('assay.generation.generate', request, { timeoutMs: 120_000, retryUnavailable: 1 });
            result.ok++;
            result.retried++;
          } catch (retryError) {
            result.lost++;
            result.errors.push(`after retry: ${(retryError as Error).message}`);
          }
        }
      }
      done++;
      if (!fired && options.during && done >= options.requests / 4) {
        fired = true;
        await options.during();
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, caller));
  result.elapsedS = (Date.now() - started) / 1000;
  return result;
}

/** Waits for every job to end; returns how many succeeded and the seconds from `since`. */
export async function drainJobs(jobs: AssayJobsClient, jobIds: string[], since: number, timeoutMs: number): Promise<{ succeeded: number; failed: string[]; seconds: number }> {
  const deadline = Date.now() + timeoutMs;
  const failed: string[] = [];
  let succeeded = 0;
  for (const id of jobIds) {
    try {
      await jobs.result(id as never, { waitMs: Math.max(1000, deadline - Date.now()) });
      succeeded++;
    } catch (error) {
      failed.push(`${id}: ${(error as Error).message}`);
    }
  }
  return { succeeded, failed, seconds: (Date.now() - since) / 1000 };
}
