import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AssayError } from '@assay/contracts';
import { AssayJobsClient, freePort, JobWorker, registryPayloadParsers } from '@assay/messaging';
import type { AssayJobQueues } from '@assay/contracts';
import { PlatformHarness } from '@assay/testing';

const ROOT = path.resolve(__dirname, '../../..');

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `assay <args>` as a child process, from the sources, with the given environment. */
function assay(args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'shared/cli/bin/run-ts.js'), 'shared/cli/test/support/cli-entry.ts', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** With --json an error is exactly one line on stdout: `{"error": {code, message, details}}`, details an object. */
function jsonError(run: CliRun): { code: string; message: string; details: Record<string, unknown> } {
  const lines = run.stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  const { error } = JSON.parse(lines[0]) as { error: unknown };
  expect(AssayError.isEnvelope(error)).toBe(true);
  expect(typeof (error as { details: unknown }).details).toBe('object');
  return error as { code: string; message: string; details: Record<string, unknown> };
}

/** Issue 16 Operability 1: CLI errors as one JSON object with --json, and exit codes 2 usage, 3 unreachable, 4 failed job. */
describe('assay CLI errors and exit codes (child processes, real nats-server)', () => {
  const harness = new PlatformHarness('cli-errors');
  let env: NodeJS.ProcessEnv;
  let failedJobId: string;
  let worker: JobWorker<AssayJobQueues>;

  beforeAll(async () => {
    await harness.start();
    env = { ...process.env, LOG_LEVEL: 'silent' };
    const jobs = await AssayJobsClient.connect(harness.nc, { namespace: harness.namespace });
    worker = new JobWorker<AssayJobQueues>(harness.nc, { namespace: harness.namespace }, { queues: ['guide-training.train'], parsers: registryPayloadParsers(), logger: { info: () => undefined, warn: () => undefined, error: () => undefined } as never });
    worker.register('guide-training.train', async () => {
      throw AssayError.badRequest('no in-domain text in uploads/empty.txt', { key: 'uploads/empty.txt' });
    });
    await worker.start();
    failedJobId = (await jobs.submit('guide-training.train', { data: 'uploads/empty.txt', name: 'g' })).jobId;
    await expect(jobs.result(failedJobId, { waitMs: 20_000 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  }, 120_000);
  afterAll(async () => {
    await worker?.stop();
    await harness.close();
  });

  it('usage errors exit 2, as one JSON object with --json and as commander text without', async () => {
    const [missing, notANumber, unknown] = await Promise.all([
      assay(['jobs', 'show', '--json'], env),
      assay(['certify', 'a question', '--model', 'l', '--guide', 'g', '--k', 'abc', '--json'], env),
      assay(['jobs', 'frobnicate'], env),
    ]);
    expect(missing.code).toBe(2);
    expect(jsonError(missing)).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('missing required argument') });
    expect(missing.stderr).not.toMatch(/error:/);
    expect(notANumber.code).toBe(2);
    expect(jsonError(notANumber)).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('expected a number, got "abc"') });
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toMatch(/unknown command 'frobnicate'/);
  }, 180_000);

  it('an unreachable platform exits 3 with UNAVAILABLE; a refusal exits 1 with its code; a failed job exits 4', async () => {
    const closedPort = await freePort();
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'assay-cli-'));
    const [unreachable, notFound, notFoundText, failed] = await Promise.all([
      assay(['jobs', 'list', '--json'], { ...env, NATS_URL: `nats://127.0.0.1:${closedPort}`, ASSAY_DATA_DIR: elsewhere }),
      assay(['jobs', 'show', 'no-such-job', '--json'], env),
      assay(['jobs', 'show', 'no-such-job'], env),
      assay(['jobs', 'watch', failedJobId, '--json'], env),
    ]);
    fs.rmSync(elsewhere, { recursive: true, force: true });

    expect(unreachable.code).toBe(3);
    expect(jsonError(unreachable)).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining(`cannot reach NATS at nats://127.0.0.1:${closedPort}`) });

    expect(notFound.code).toBe(1);
    expect(jsonError(notFound)).toEqual({ code: 'NOT_FOUND', message: 'no job no-such-job', details: {} });
    expect(notFoundText.code).toBe(1);
    expect(notFoundText.stdout).toBe('');
    expect(notFoundText.stderr.trim()).toBe('assay: no job no-such-job');

    expect(failed.code).toBe(4);
    const record = JSON.parse(failed.stdout.trim().split('\n').pop()!);
    expect(record).toMatchObject({ id: failedJobId, status: 'failed', error: { code: 'BAD_REQUEST', details: { key: 'uploads/empty.txt' } } });
  }, 180_000);
});
