import fs from 'node:fs';
import path from 'node:path';
import { connect, type NatsConnection } from 'nats';
import { LocalArtifactCache, ModelRegistry, ObjectStore } from '@assay/artifacts';
import { AssayError, RpcClient } from '@assay/messaging';
import { forgeTinyModel } from '@assay/testing';
import { LocalPlatformProcess, timeUntilGone, descendants } from './support/local-platform';

const TEXTS = ['the patient should rest and drink fluids', 'take the tablet twice a day with food', 'see a doctor if the fever persists', 'a mild fever usually passes in a few days'];
/** The liveness window the platform and this caller use (ASSAY_RPC_LIVENESS_MS; 0 reproduces the old behaviour). */
const LIVENESS_MS = Number(process.env.ASSAY_RPC_LIVENESS_MS ?? 3000);
const RPC_TIMEOUT_MS = 30_000;

interface Call {
  start: number;
  end?: number;
  code?: string;
}

/**
 * F2 with real processes: `npm start` runs generation, likelihood and the certifier under its supervisor;
 * the likelihood process is SIGKILLed while certifications run. Calls in flight fail fast (within the
 * liveness window, not the 30 s timeout), the certifier's /readyz turns not-ready while no likelihood
 * service answers, `assay up` restarts it, and readiness and certifications come back.
 */
describe('a worker killed under certify load', () => {
  let platform: LocalPlatformProcess;
  let nc: NatsConnection;

  beforeAll(async () => {
    platform = await new LocalPlatformProcess(['generation', 'likelihood', 'certifier'], {
      detached: true,
      extraEnv: { ASSAY_RPC_LIVENESS_MS: String(LIVENESS_MS), ASSAY_RUNTIME_INTRA_OP_THREADS: '1', LOG_LEVEL: 'warn' },
    }).start();
    const file = platform.platformFile();
    const store = new ObjectStore({ endpoint: file.S3_ENDPOINT, accessKey: file.S3_ACCESS_KEY, secretKey: file.S3_SECRET_KEY, bucket: 'assay', region: 'us-east-1', signingKeys: [file.ASSAY_SIGNING_KEY] });
    const registry = new ModelRegistry(store, new LocalArtifactCache(path.join(platform.dataDir, 'test-cache'), 1024 ** 3));
    for (const [name, seed] of [['large', 1], ['guide', 2]] as const) {
      const dir = await forgeTinyModel({ texts: TEXTS, vocabSize: 300, seed });
      await registry.push(dir, { name, version: '1', provenance: { kind: 'forged' } });
      fs.rmSync(dir, { recursive: true, force: true });
    }
    nc = await connect({ servers: file.NATS_URL, user: file.NATS_USER, pass: file.NATS_PASSWORD });
  }, 240_000);

  afterAll(async () => {
    await nc?.close();
    if (platform?.npm.exitCode === null) {
      const pids = descendants(platform.npm.pid!);
      process.kill(platform.npm.pid!, 'SIGTERM');
      await timeUntilGone([platform.npm.pid!, ...pids], 15_000).catch(() => undefined);
    }
    platform?.cleanup();
  });

  async function certifierReadiness(): Promise<{ status: number; checks: Record<string, string> }> {
    const response = await fetch(`${platform.url('certifier')}/readyz`, { signal: AbortSignal.timeout(3000) });
    return { status: response.status, checks: ((await response.json()) as { checks: Record<string, string> }).checks };
  }

  async function waitUntil<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe().catch(() => undefined);
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${platform.output.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('in-flight certifications fail fast, readiness flips to not-ready and back after the supervisor restarts likelihood', async () => {
    const rpc = new RpcClient(nc, { defaultTimeoutMs: RPC_TIMEOUT_MS, livenessMs: LIVENESS_MS });
    // 1-token answers: only draws that are the canonical spelling of their text reach G (likelihood), and a random L
    // rarely draws a long one.
    const certify = () => rpc.request('assay.certifier.certify', { model: 'large', guide: 'guide', prompt: 'how do I treat a fever?', k: -64, T: 12, mode: 'sequential', maxNewTokens: 1 });
    // Warm up: models loaded, everything ready.
    await waitUntil(async () => (await certify()) as object, 120_000, 'a first certification');
    await waitUntil(async () => ((await certifierReadiness()).status === 200 ? true : undefined), 30_000, 'certifier ready');

    const calls: Call[] = [];
    let loading = true;
    const loop = async () => {
      while (loading) {
        const call: Call = { start: Date.now() };
        calls.push(call);
        try {
          await certify();
          call.code = 'OK';
        } catch (error) {
          call.code = AssayError.from(error).code;
        }
        call.end = Date.now();
        // A client backs off after a failure instead of spinning on instant 503s.
        if (call.code !== 'OK') await new Promise((r) => setTimeout(r, 200));
      }
    };
    const loops = Array.from({ length: 6 }, () => loop());
    let killedAt = 0;
    let notReadyAfterMs = 0;
    let readyAgainAfterMs = 0;
    try {
      await new Promise((r) => setTimeout(r, 3000));
      const victim = platform.servicePid('likelihood');
      killedAt = Date.now();
      process.kill(victim, 'SIGKILL');
      const outputBefore = platform.output.length;

      const notReady = await waitUntil(async () => {
        const r = await certifierReadiness();
        return r.status === 503 ? r : undefined;
      }, 15_000, 'certifier not ready');
      notReadyAfterMs = Date.now() - killedAt;
      expect(notReady.checks['service:likelihood']).toMatch(/^(no likelihood service answers|likelihood did not answer within 1000 ms)$/);
      expect(notReady.checks['service:generation']).toBe('ok');

      await platform.waitForLine(/\[assay\] likelihood exited \(signal SIGKILL\) after [\d.]+ s; restarting in 1\.0 s \(restart 1 of at most 5/, 10_000, outputBefore);
      await platform.waitForLine(/\[assay\] likelihood started \(pid \d+\)/, 30_000, outputBefore);
      expect(platform.servicePid('likelihood')).not.toBe(victim);
      await waitUntil(async () => ((await certifierReadiness()).status === 200 ? true : undefined), 120_000, 'certifier ready again');
      readyAgainAfterMs = Date.now() - killedAt;
    } finally {
      loading = false;
      await Promise.all(loops);
    }

    const inFlight = calls.filter((c) => c.start < killedAt && c.end! > killedAt);
    const failedInFlight = inFlight.filter((c) => c.code !== 'OK');
    const slowest = Math.max(...inFlight.map((c) => c.end! - killedAt));
    console.log(JSON.stringify({ livenessMs: LIVENESS_MS, inFlight: inFlight.length, failedInFlight: failedInFlight.length, codes: failedInFlight.map((c) => c.code), slowestInFlightAfterKillMs: slowest, notReadyAfterMs, readyAgainAfterMs, calls: calls.length }));
    expect(inFlight.length).toBeGreaterThan(0);
    expect(failedInFlight.every((c) => c.code === 'UNAVAILABLE')).toBe(true);
    // Every call in flight at the kill ended within the liveness window (plus scheduling slack), never at the 30 s timeout.
    expect(slowest).toBeLessThan(LIVENESS_MS + 2_000);

    // And certifications work again with the restarted likelihood service.
    await expect(certify()).resolves.toMatchObject({ status: expect.stringMatching(/accepted|abstained/) });
  });
});
