import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PlatformHarness } from '@assay/testing';
import { CertifierModule } from '../services/certifier/src/certifier.module';
import { GenerationModule } from '../services/generation/src/generation.module';
import { LikelihoodModule } from '../services/likelihood/src/likelihood.module';
import { HELM_RENDER, container, named, render } from './fixtures/helm/chart';

/**
 * The chart's `helm test` scripts, exactly as rendered into their Pods, run against a real platform (nats-server,
 * s3rver, generation, likelihood and certifier) with the `assay` CLI on PATH as in the image: what
 * `helm test <release>` does in a cluster, without the cluster.
 */
const REPO = path.resolve(__dirname, '..');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a rendered test container's command without blocking this process, whose event loop serves the platform. */
function runScript(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(args[0], args.slice(1), { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const describeHooks = fs.existsSync(HELM_RENDER) ? describe : describe.skip;

describeHooks('helm test hooks against a running platform', () => {
  const harness = new PlatformHarness('helm-test');
  const pods = render(['--name', 'rel']);
  const testContainer = (name: string) => container(named(pods, 'Pod', `rel-assay-test-${name}`));
  let bin = '';

  beforeAll(async () => {
    await harness.start();
    await harness.startService(GenerationModule, 'generation');
    await harness.startService(LikelihoodModule, 'likelihood');
    await harness.startService(CertifierModule, 'certifier');
    // The image's /usr/local/bin/assay.
    bin = fs.mkdtempSync(path.join(os.tmpdir(), 'assay-bin-'));
    fs.writeFileSync(path.join(bin, 'assay'), `#!/bin/sh\nexec node ${JSON.stringify(path.join(REPO, 'shared/cli/bin/assay.js'))} "$@"\n`, { mode: 0o755 });
  }, 120_000);
  afterAll(async () => {
    await harness.close();
    fs.rmSync(bin, { recursive: true, force: true });
  });

  it('readyz: passes when every Service answers /readyz, fails naming the one that does not', async () => {
    const urls = await Promise.all((['generation', 'likelihood', 'certifier'] as const).map(async (s) => `${await harness.url(s)}/readyz`));
    const ok = await runScript(testContainer('readyz').args, { ASSAY_TEST_URLS: urls.join(' ') });
    expect(ok).toMatchObject({ code: 0 });
    for (const url of urls) expect(ok.stdout).toContain(`${url}: 200`);

    const down = 'http://127.0.0.1:9/readyz';
    const failed = await runScript(testContainer('readyz').args, { ASSAY_TEST_URLS: [...urls, down].join(' '), ASSAY_TEST_WAIT_MS: '1000' });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(`not ready: ${down}`);
  }, 60_000);

  it('certify: forges and registers two tiny models with the assay CLI, then certifies once over HTTP with the API key', async () => {
    const run = await runScript(testContainer('certify').args, {
      PATH: `${bin}${path.delimiter}${process.env.PATH}`,
      ASSAY_TEST_CERTIFIER_URL: await harness.url('certifier'),
    });
    if (run.code !== 0) throw new Error(`the certify test failed:\n${run.stdout}\n${run.stderr.slice(-3000)}`);
    expect(run.stdout).toMatch(/certified with helm-test-l \/ helm-test-g: \d draw\(s\), log2 epsilon -?\d+\.\d\d, \d+ tokens/);
    expect((await harness.registry.list()).map((m: { name: string }) => m.name)).toEqual(expect.arrayContaining(['helm-test-l', 'helm-test-g']));

    const wrongKey = await runScript(testContainer('certify').args, {
      ASSAY_TEST_CERTIFIER_URL: await harness.url('certifier'),
      ASSAY_TEST_MODEL: 'helm-test-l',
      ASSAY_TEST_GUIDE: 'helm-test-g',
      ASSAY_API_KEYS: 'not-the-key',
    });
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toMatch(/POST \/v1\/certify answered 40[01]/);
  }, 120_000);
});
