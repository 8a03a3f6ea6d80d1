import { Command } from 'commander';
import path from 'node:path';
import { startEmbeddedS3, UntrustedArtifactError } from '@assay/artifacts';
import { ENV, loadConfig } from '@assay/platform';
import { freePort, LocalNats, probeTcp } from '@assay/messaging';
import type { ServiceName } from '@assay/contracts';
import { loadOrCreateLocalSecrets } from '../local-stack/secrets';
import { localNats } from '../local-stack/nats';
import { removePlatformFile, runningPlatformPid, writePlatformFile } from '../local-stack/platform-file';
import { availableServices, startService, waitReady } from '../local-stack/services';
import { Supervisor } from '../local-stack/supervisor';
import { InvalidArgumentError, print } from '../output';
import { objectStoreFromEnv } from '../connect';

/** Shutdown budget: services drain first, then the S3 and NATS servers; everything is gone within 10 s. */
const SERVICE_GRACE_MS = 6_000;
const NATS_GRACE_MS = 2_000;
const HARD_DEADLINE_MS = 9_500;
const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** What the registry holds: how many models, and which of them cannot be used because they are not signed. */
async function registryState(env: NodeJS.ProcessEnv): Promise<{ models: number; unsigned: string[] } | undefined> {
  try {
    const { registry } = objectStoreFromEnv(loadConfig(undefined, env));
    const models = await registry.list();
    const unsigned: string[] = [];
    for (const model of models) {
      await registry.show(model.name, model.latestVersion).catch((error: unknown) => {
        if (error instanceof UntrustedArtifactError) unsigned.push(`${model.name}@${model.latestVersion}`);
      });
    }
    return { models: models.length, unsigned };
  } catch {
    return undefined;
  }
}

interface UpOptions {
  data: string;
  only?: string;
  replicas?: string;
  quiet?: boolean;
  json?: boolean;
}

/**
 * `assay up`: the whole platform on this machine with embedded defaults. An S3 server (s3rver) on a
 * local folder, the NATS at NATS_URL or a nats-server of its own (login required), then every service as a
 * supervised child process (restarted with backoff when it dies). SIGINT, SIGTERM or SIGHUP to this
 * process alone (Ctrl-C, `kill`, a process manager) stops all of it within 10 s.
 */
export function upCommand(): Command {
  return new Command('up')
    .option('--data <dir>', 'local data folder (objects, JetStream state, cache, secrets)', process.env.ASSAY_DATA_DIR ?? ENV.ASSAY_DATA_DIR)
    .option('--only <services>', 'comma-separated subset of services to start')
    .option('--replicas <service=n,...>', 'processes per service, e.g. generation=2: the extra replicas join the same NATS queue group (and job consumers), each on a free HTTP port')
    .option('--quiet', 'do not echo service logs')
    .option('--json', 'print the endpoints as JSON once ready')
    .action((options: UpOptions) => up(options));
}

async function up(options: UpOptions): Promise<void> {
  const dataDir = path.resolve(options.data);
  const log = (line: string) => !options.json && console.log(`[assay] ${line}`);
  const running = runningPlatformPid(dataDir);
  if (running !== undefined && running !== process.pid) {
    throw new Error(`the platform of ${dataDir} is already running (assay up, pid ${running}); stop it first, or use --data <another folder>`);
  }
  const wanted = options.only ? options.only.split(',').map((s) => s.trim()) : undefined;
  const services = availableServices().filter((s) => !wanted || wanted.includes(s));
  const replicas = parseReplicas(options.replicas, services);
  const env: NodeJS.ProcessEnv = { ...process.env, ASSAY_DATA_DIR: dataDir };
  const secrets = loadOrCreateLocalSecrets(dataDir);
  const supervisors: Supervisor[] = [];
  let nats: LocalNats | undefined;
  let closeS3 = async () => undefined as void;

  let stopping = false;
  const stopAll = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    // Whatever hangs, the process (and with it the embedded S3 server) is gone by the deadline.
    setTimeout(() => process.exit(1), HARD_DEADLINE_MS).unref();
    log(`${reason}: stopping services...`);
    await Promise.all(supervisors.map((s) => s.stop(SERVICE_GRACE_MS)));
    await closeS3().catch(() => undefined);
    await nats?.stop(NATS_GRACE_MS);
    removePlatformFile(dataDir);
    log('stopped');
    process.exit(0);
  };
  for (const signal of STOP_SIGNALS) process.on(signal, () => void stopAll(`received ${signal}`));
  watchParent(() => void stopAll('parent process exited'));

  nats = await localNats(process.env.NATS_URL, dataDir, { user: secrets.natsUser, password: secrets.natsPassword }, log);
  env.NATS_URL = nats.url;
  if (nats.started) {
    Object.assign(env, { NATS_USER: secrets.natsUser, NATS_PASSWORD: secrets.natsPassword });
    delete env.NATS_TOKEN;
  } else {
    log(`using NATS at ${nats.url}`);
  }

  if (!process.env.S3_ENDPOINT) {
    const preferred = Number(new URL(ENV.S3_ENDPOINT).port);
    const options = { directory: path.join(dataDir, 's3'), accessKey: secrets.s3AccessKey, secretKey: secrets.s3SecretKey, buckets: [env.S3_BUCKET ?? ENV.S3_BUCKET] };
    // The usual port when it is free; another one when it is taken (also by a platform starting at the same moment).
    const s3 = (await probeTcp('127.0.0.1', preferred))
      ? await startEmbeddedS3({ ...options, port: 0 })
      : await startEmbeddedS3({ ...options, port: preferred }).catch(() => startEmbeddedS3({ ...options, port: 0 }));
    closeS3 = () => s3.close();
    Object.assign(env, { S3_ENDPOINT: s3.endpoint, S3_ACCESS_KEY: secrets.s3AccessKey, S3_SECRET_KEY: secrets.s3SecretKey });
    log(`embedded S3 server (s3rver) on ${s3.endpoint}, objects in ${path.join(dataDir, 's3')}`);
  }
  if (!env.ASSAY_API_KEYS) {
    env.ASSAY_API_KEYS = secrets.apiKey;
    log(`HTTP API key (ASSAY_API_KEYS was unset): ${secrets.apiKey}`);
  }
  env.ASSAY_SIGNING_KEY ||= secrets.signingKey;
  // Recorded in the platform file as resolved, so `assay status` and the demo reach this platform's ports and subjects.
  const resolved = loadConfig(undefined, env);
  Object.assign(env, { ASSAY_NAMESPACE: resolved.namespace, ASSAY_PORT_BASE: String(env.ASSAY_PORT_BASE ?? ENV.ASSAY_PORT_BASE), ASSAY_HOST: resolved.http.host });
  if (stopping) return;

  writePlatformFile(dataDir, env);
  const echo = (name: string, line: string) => {
    if (!options.quiet && !options.json) console.log(`${name.padEnd(15)}| ${line}`);
  };
  const processes: Array<{ service: ServiceName; name: string; env: NodeJS.ProcessEnv }> = [];
  for (const service of services) {
    processes.push({ service, name: service, env });
    // Extra replicas: the same environment (queue group, job consumers), their own HTTP port.
    for (let replica = 2; replica <= (replicas.get(service) ?? 1); replica++) {
      processes.push({ service, name: `${service}#${replica}`, env: { ...env, [portVariable(service)]: String(await freePort()) } });
    }
  }
  for (const { service, name, env: processEnv } of processes) {
    const supervisor = new Supervisor(name, () => startService(service, processEnv, (_service, line) => echo(name, line)), log);
    supervisor.onLaunch((child) => log(`${name} started (pid ${child.pid})`));
    supervisors.push(supervisor);
    supervisor.start();
  }

  const endpoints = processes.map(({ service, name, env: processEnv }) => {
    const { host, port } = loadConfig(service, processEnv).http;
    const base = `http://${host}:${port}`;
    return { service: name, url: base, docs: `${base}/docs`, ready: false };
  });
  await Promise.all(endpoints.map(async (e) => (e.ready = await waitReady(`${e.url}/readyz`, 120_000))));
  if (stopping) return;
  if (options.json) {
    print({ nats: nats.url, s3: env.S3_ENDPOINT, apiKey: env.ASSAY_API_KEYS, services: endpoints }, true);
    return;
  }
  log('Assay is up:');
  for (const e of endpoints) log(`  ${e.service.padEnd(15)} ${e.url}  docs ${e.docs}  ${e.ready ? 'ready' : 'NOT READY (see its logs)'}`);
  log(`  NATS ${nats.url}   S3 ${env.S3_ENDPOINT}`);
  const registry = await registryState(env);
  if (registry?.models === 0) log('The model registry is empty. Forge a small model pair and certify two prompts with: npx assay demo');
  if (registry?.unsigned.length) {
    log(`${registry.unsigned.length} model(s) are not signed with the platform key and will be refused (${registry.unsigned.slice(0, 3).join(', ')}${registry.unsigned.length > 3 ? ', ...' : ''}).`);
    log('If they were written before signing existed and you trust them, sign them: npx assay models sign  (and npx assay models sign --prefix reports/)');
  }
  log('Try: npx assay status   |   npx assay demo   |   npx assay jobs list   |   Ctrl-C to stop');
}

const portVariable = (service: string) => `ASSAY_${service.toUpperCase().replace(/-/g, '_')}_PORT`;

/** `generation=2,likelihood=3` → processes per service; a service not started, or a count below 1, is a usage error. */
export function parseReplicas(spec: string | undefined, services: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const part of (spec ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
    const match = /^([a-z-]+)=(\d+)$/.exec(part);
    if (!match) throw new InvalidArgumentError(`--replicas: "${part}" is not <service>=<count>`);
    const [, service, count] = match;
    if (!services.includes(service)) throw new InvalidArgumentError(`--replicas: ${service} is not among the services started (${services.join(', ')})`);
    if (Number(count) < 1 || Number(count) > 16) throw new InvalidArgumentError(`--replicas: ${service} needs 1 to 16 processes, got ${count}`);
    out.set(service, Number(count));
  }
  return out;
}

/**
 * Calls `onOrphaned` when the process that started this one exits (e.g. `npm start` killed without passing
 * the signal on): this process is then re-parented, and it stops the platform instead of running on unseen.
 */
function watchParent(onOrphaned: () => void): void {
  const parent = process.ppid;
  if (parent <= 1) return;
  setInterval(() => {
    if (process.ppid !== parent) onOrphaned();
  }, 1000).unref();
}
