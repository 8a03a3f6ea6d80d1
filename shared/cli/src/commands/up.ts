import { Command } from 'commander';
import path from 'node:path';
import { startEmbeddedS3 } from '@assay/artifacts';
import { ENV, loadConfig } from '@assay/platform';
import { ensureNats, freePort, probeTcp } from '@assay/messaging';
import { loadOrCreateLocalSecrets } from '../local-stack/secrets';
import { removePlatformFile, writePlatformFile } from '../local-stack/platform-file';
import { availableServices, RunningService, startService, stopService, waitReady } from '../local-stack/services';
import { print } from '../output';
import { objectStoreFromEnv } from '../connect';

async function registryIsEmpty(env: NodeJS.ProcessEnv): Promise<boolean> {
  try {
    const { registry } = objectStoreFromEnv(loadConfig(undefined, env));
    return (await registry.list()).length === 0;
  } catch {
    return false;
  }
}

/**
 * `assay up`: the whole platform on this machine with embedded defaults. An S3 server (s3rver) on a
 * local folder, the NATS at NATS_URL or a nats-server started from PATH, then every service as a child
 * process. Ctrl-C stops all of it.
 */
export function upCommand(): Command {
  return new Command('up')
    .description('run the whole platform locally (embedded S3 server, nats-server, all services)')
    .option('--data <dir>', 'local data folder (objects, JetStream state, cache, secrets)', process.env.ASSAY_DATA_DIR ?? ENV.ASSAY_DATA_DIR)
    .option('--only <services>', 'comma-separated subset of services to start')
    .option('--quiet', 'do not echo service logs')
    .option('--json', 'print the endpoints as JSON once ready')
    .action(async (options: { data: string; only?: string; quiet?: boolean; json?: boolean }) => {
      const dataDir = path.resolve(options.data);
      const log = (line: string) => !options.json && console.log(`[assay] ${line}`);
      const env: NodeJS.ProcessEnv = { ...process.env, ASSAY_DATA_DIR: dataDir };
      const secrets = loadOrCreateLocalSecrets(dataDir);

      const nats = await ensureNats(env.NATS_URL ?? ENV.NATS_URL, dataDir, log);
      env.NATS_URL = nats.url;
      if (!nats.started) log(`using NATS at ${nats.url}`);

      let closeS3 = async () => undefined as void;
      if (!process.env.S3_ENDPOINT) {
        const preferred = Number(new URL(ENV.S3_ENDPOINT).port);
        const port = (await probeTcp('127.0.0.1', preferred)) ? await freePort() : preferred;
        const s3 = await startEmbeddedS3({
          directory: path.join(dataDir, 's3'),
          port,
          accessKey: secrets.s3AccessKey,
          secretKey: secrets.s3SecretKey,
          buckets: [env.S3_BUCKET ?? ENV.S3_BUCKET],
        });
        closeS3 = () => s3.close();
        Object.assign(env, { S3_ENDPOINT: s3.endpoint, S3_ACCESS_KEY: secrets.s3AccessKey, S3_SECRET_KEY: secrets.s3SecretKey });
        log(`embedded S3 server (s3rver) on ${s3.endpoint}, objects in ${path.join(dataDir, 's3')}`);
      }
      if (!env.ASSAY_API_KEYS) {
        env.ASSAY_API_KEYS = secrets.apiKey;
        log(`HTTP API key (ASSAY_API_KEYS was unset): ${secrets.apiKey}`);
      }

      writePlatformFile(dataDir, env);
      const wanted = options.only ? options.only.split(',').map((s) => s.trim()) : undefined;
      const services = availableServices().filter((s) => !wanted || wanted.includes(s));
      const running: RunningService[] = services.map((service) =>
        startService(service, env, (name, line) => {
          if (!options.quiet && !options.json) console.log(`${name.padEnd(15)}| ${line}`);
        }),
      );
      let stopping = false;
      const stopAll = async (code: number) => {
        if (stopping) return;
        stopping = true;
        log('stopping services...');
        await Promise.all(running.map((r) => stopService(r)));
        await closeS3();
        await nats.stop();
        removePlatformFile(dataDir);
        log('stopped');
        process.exit(code);
      };
      process.on('SIGINT', () => void stopAll(0));
      process.on('SIGTERM', () => void stopAll(0));
      for (const r of running) {
        r.child.once('exit', (code, signal) => {
          if (!stopping) log(`${r.service} exited (code ${code}, signal ${signal}); Ctrl-C to stop the rest`);
        });
      }

      const endpoints = services.map((service) => {
        const { host, port } = loadConfig(service, env).http;
        const base = `http://${host}:${port}`;
        return { service, url: base, docs: `${base}/docs`, ready: false };
      });
      await Promise.all(endpoints.map(async (e) => (e.ready = await waitReady(`${e.url}/readyz`, 120_000))));
      if (options.json) {
        print({ nats: nats.url, s3: env.S3_ENDPOINT, apiKey: env.ASSAY_API_KEYS, services: endpoints }, true);
      } else {
        log('Assay is up:');
        for (const e of endpoints) log(`  ${e.service.padEnd(15)} ${e.url}  docs ${e.docs}  ${e.ready ? 'ready' : 'NOT READY (see its logs)'}`);
        log(`  NATS ${nats.url}   S3 ${env.S3_ENDPOINT}`);
        const empty = await registryIsEmpty(env);
        if (empty) log('The model registry is empty. Forge a small model pair and certify two prompts with: npx assay demo');
        log('Try: npx assay status   |   npx assay demo   |   npx assay jobs list   |   Ctrl-C to stop');
      }
    });
}
