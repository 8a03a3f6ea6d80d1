import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { connect } from 'nats';
import { LocalArtifactCache, ModelRegistry, ObjectStore } from '@assay/artifacts';
import { descendants, LocalPlatformProcess, timeUntilGone } from './support/local-platform';

/**
 * `npm start` (assay up) as real processes: one signal to the npm process alone stops every child, the
 * embedded S3 server and nats-server within 10 s, whether it runs in the caller's process group (a terminal)
 * or in a session of its own without a TTY (a process manager); its nats-server refuses anonymous clients.
 */
describe('npm start: lifecycle and a closed NATS', () => {
  let platform: LocalPlatformProcess | undefined;
  afterEach(() => platform?.cleanup());

  it('in the foreground: SIGINT to the npm process alone stops the whole platform within 10 s', async () => {
    platform = await new LocalPlatformProcess(['likelihood'], { detached: false }).start();
    const pids = descendants(platform.npm.pid!);
    const { S3_ENDPOINT } = platform.platformFile();
    // npm, assay up, the service and nats-server (the S3 server runs inside assay up).
    expect(pids.length).toBeGreaterThanOrEqual(2);
    platform.npm.kill('SIGINT');
    const ms = await timeUntilGone([platform.npm.pid!, ...pids], 10_000);
    console.log(`foreground SIGINT: all ${pids.length + 1} processes gone in ${ms} ms`);
    expect(ms).toBeLessThan(10_000);
    await expect(fetch(`${S3_ENDPOINT}/`, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
    expect(fs.existsSync(path.join(platform.dataDir, 'platform.json'))).toBe(false);
  });

  it('under a process manager (own session, no TTY): SIGTERM to the npm process alone stops it within 10 s; NATS needs the generated login', async () => {
    platform = await new LocalPlatformProcess(['likelihood', 'generation'], { detached: true }).start();
    const { NATS_URL, NATS_USER, NATS_PASSWORD } = platform.platformFile();
    expect(NATS_USER).toBeTruthy();
    expect(NATS_PASSWORD).toHaveLength(32);
    const secrets = JSON.parse(fs.readFileSync(path.join(platform.dataDir, 'secrets.json'), 'utf8')) as Record<string, string>;
    expect(secrets.natsPassword).toBe(NATS_PASSWORD);
    expect(fs.statSync(path.join(platform.dataDir, 'nats/nats-server.conf')).mode & 0o077).toBe(0);

    // F5: a plain anonymous client is refused; one with the login (as services and CLI use it) gets in.
    await expect(connect({ servers: NATS_URL, reconnect: false, timeout: 3000 })).rejects.toMatchObject({ code: 'AUTHORIZATION_VIOLATION' });
    await expect(connect({ servers: NATS_URL, user: NATS_USER, pass: 'wrong', reconnect: false, timeout: 3000 })).rejects.toMatchObject({ code: 'AUTHORIZATION_VIOLATION' });
    const nc = await connect({ servers: NATS_URL, user: NATS_USER, pass: NATS_PASSWORD, reconnect: false });
    const health = nc.request('assay.likelihood.health', new TextEncoder().encode('{}'), { timeout: 10_000 });
    expect(JSON.parse(new TextDecoder().decode((await health).data))).toMatchObject({ response: { service: 'likelihood', status: 'ok' } });
    await nc.close();
    const jobs = await platform.cli(['jobs', 'list', '--json']);
    expect(jobs.stderr).toBe('');
    expect(jobs.code).toBe(0);

    // F3: the embedded S3 server refuses anonymous requests; artifacts are signed with the generated key, and
    // a model written without it (as before signing existed) is refused until `assay models sign` signs it.
    const { S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY, ASSAY_SIGNING_KEY } = platform.platformFile();
    expect(ASSAY_SIGNING_KEY).toBe(secrets.signingKey);
    expect((await fetch(`${S3_ENDPOINT}/assay?list-type=2`)).status).toBe(403);
    const legacyStore = new ObjectStore({ endpoint: S3_ENDPOINT, accessKey: S3_ACCESS_KEY, secretKey: S3_SECRET_KEY, bucket: 'assay', region: 'us-east-1' });
    const legacyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'assay-legacy-'));
    fs.writeFileSync(path.join(legacyDir, 'model.onnx'), Buffer.alloc(1000, 1));
    fs.writeFileSync(path.join(legacyDir, 'config.json'), '{"model_type":"gpt2"}');
    await new ModelRegistry(legacyStore, new LocalArtifactCache(path.join(legacyDir, 'cache'), 1e8)).push(legacyDir, { name: 'legacy', version: '1', provenance: { kind: 'uploaded' } });
    fs.rmSync(legacyDir, { recursive: true, force: true });
    const refused = await platform.cli(['models', 'show', 'legacy', '--json']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr + refused.stdout).toMatch(/manifest\.json is refused: it is not signed/);
    const signed = await platform.cli(['models', 'sign', 'legacy', '--json']);
    expect(JSON.parse(signed.stdout)).toMatchObject({ models: ['legacy@1'] });
    const shown = await platform.cli(['models', 'show', 'legacy@1', '--json']);
    expect(JSON.parse(shown.stdout)).toMatchObject({ name: 'legacy', signature: { algorithm: 'hmac-sha256' } });

    const pids = descendants(platform.npm.pid!);
    expect(pids.length).toBeGreaterThanOrEqual(3);
    process.kill(platform.npm.pid!, 'SIGTERM');
    const ms = await timeUntilGone([platform.npm.pid!, ...pids], 10_000);
    console.log(`process manager SIGTERM: all ${pids.length + 1} processes gone in ${ms} ms`);
    expect(ms).toBeLessThan(10_000);
  });
});
