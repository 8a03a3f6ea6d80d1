import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { AssayError, GenerateResponse } from '@assay/contracts';
import { forgeTinyModel, PlatformHarness } from '@assay/testing';

const ROOT = path.resolve(__dirname, '..');
const dec = new TextDecoder();

/**
 * Issue 16 F1, end to end: the generation service runs as its own process (as `assay up` runs it), and one request
 * whose reply is far over NATS's max_payload (64 prompts × 90 tokens with hidden states: a 398-byte request, a reply
 * of megabytes) must come back as the PAYLOAD_TOO_LARGE envelope, with the process alive and answering the next request.
 */
describe('a reply over the NATS limit (generation service in its own process)', () => {
  const harness = new PlatformHarness('oversized-reply');
  let service: ChildProcess;
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let log = '';

  beforeAll(async () => {
    await harness.start();
    // dim 64: each hidden state is 64 numbers, so 64 × 90 of them make a reply of several MB.
    const dir = await forgeTinyModel({ texts: ['the quick brown fox jumps over the lazy dog, again and again'], vocabSize: 280, dim: 64, contextLength: 128 });
    await harness.registry.push(dir, { name: 'tiny', version: '1', provenance: { kind: 'forged' } });
    service = spawn(process.execPath, [path.join(ROOT, 'shared/cli/bin/run-ts.js'), 'services/generation/src/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, ASSAY_GENERATION_PORT: '0', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    service.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    service.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    service.once('exit', (code, signal) => (exited = { code, signal }));
    for (let attempt = 0; ; attempt++) {
      if (exited) throw new Error(`generation service exited at boot: ${log.slice(-2000)}`);
      const health = await harness.rpc.call('assay.generation.health', {}, { timeoutMs: 1000 }).catch(() => undefined);
      if (health) break;
      if (attempt > 120) throw new Error(`generation service did not answer: ${log.slice(-2000)}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }, 180_000);

  afterAll(async () => {
    if (service && !exited) {
      service.kill('SIGTERM');
      await new Promise((resolve) => service.once('exit', resolve));
    }
    await harness.close();
  });

  it('answers the envelope, says how to get the data, and keeps serving', async () => {
    const request = { model: 'tiny', prompts: Array.from({ length: 64 }, (_, i) => `prompt ${i}`), maxNewTokens: 90, returnHiddenStates: true, seed: 1 };
    const body = new TextEncoder().encode(JSON.stringify(request));
    expect(body.length).toBeLessThan(1000);

    const started = Date.now();
    const died = new Promise<never>((_, reject) => {
      const report = () => reject(new Error(`generation service died (${JSON.stringify(exited)}) after ${(Date.now() - started) / 1000} s: ${log.slice(-1500)}`));
      if (exited) report();
      else service.once('exit', () => setImmediate(report));
    });
    const reply = await Promise.race([harness.nc.request(harness.subject('assay.generation.generate'), body, { timeout: 120_000 }), died]);
    const packet = JSON.parse(dec.decode(reply.data)) as { err?: unknown; response?: unknown };
    const seconds = (Date.now() - started) / 1000;
    expect(AssayError.isEnvelope(packet.err)).toBe(true);
    const envelope = packet.err as { code: string; message: string; details: { subject: string; size: number; limit: number } };
    expect(envelope.code).toBe('PAYLOAD_TOO_LARGE');
    expect(envelope.message).toMatch(/smaller batch|fewer/);
    expect(envelope.message).toMatch(/POST \/v1\/generate/);
    expect(envelope.details.size).toBeGreaterThan(envelope.details.limit);
    expect(reply.data.length).toBeLessThan(4096);
    console.log(JSON.stringify({ f1: 'after', replyBytesRefused: envelope.details.size, limit: envelope.details.limit, answeredInS: seconds }));

    // The same process still answers, both the next generation and its health.
    expect(exited).toBeUndefined();
    const small = await harness.rpc.call('assay.generation.generate', { model: 'tiny', prompts: ['the quick'], maxNewTokens: 4, seed: 1 }, { timeoutMs: 60_000 });
    expect((small as GenerateResponse).completions).toHaveLength(1);
    await expect(harness.rpc.call('assay.generation.health', {}, { timeoutMs: 5000 })).resolves.toMatchObject({ status: 'ok' });
    expect(exited).toBeUndefined();
  }, 240_000);
});
