import { randomBytes } from 'node:crypto';
import { AssayError, ScoreResponse } from '@assay/contracts';
import { forgeTinyModel, PlatformHarness } from '@assay/testing';
import { LikelihoodModule } from '../services/likelihood/src/likelihood.module';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** 1,000 malformed or hostile messages, each answered with the error envelope, then a valid request. */
function hostileMessages(count: number): Array<{ kind: string; body: Uint8Array }> {
  const valid = { model: 'tiny', items: [{ context: 'a', continuation: 'b' }] };
  const makers: Array<[string, (i: number) => Uint8Array]> = [
    ['bad-json', (i) => enc.encode(`{"model": "tiny", "items": [${'{'.repeat(i % 7)}`)],
    ['not-utf8', () => Uint8Array.from([0xff, 0xfe, 0xfd, 0x00, 0x81])],
    ['random-bytes', () => randomBytes(64)],
    ['wrong-types', (i) => enc.encode(JSON.stringify({ ...valid, items: i % 2 ? 'x' : [{ context: 5, continuation: [] }] }))],
    ['missing-fields', () => enc.encode(JSON.stringify({ items: valid.items }))],
    ['empty-items', () => enc.encode(JSON.stringify({ model: 'tiny', items: [] }))],
    ['huge-string', () => enc.encode(JSON.stringify({ model: 'tiny', items: [{ context: 'x'.repeat(40_000), continuation: 'y' }] }))],
    ['nan-and-nulls', () => enc.encode('{"model": null, "items": [NaN]}')],
    ['bad-model-ref', () => enc.encode(JSON.stringify({ ...valid, model: '../../etc/passwd' }))],
    ['prototype-pollution', () => enc.encode('{"__proto__": {"admin": true}, "constructor": {"prototype": {}}}')],
    ['nest-packet-garbage', () => enc.encode(JSON.stringify({ pattern: 'assay.likelihood.score', id: 'x', data: { model: 7 } }))],
    ['over-app-limit', () => enc.encode(JSON.stringify({ model: 'tiny', items: [{ context: 'z'.repeat(950_000), continuation: 'y' }] }))],
    ['empty', () => new Uint8Array(0)],
    ['json-scalar', () => enc.encode('42')],
  ];
  return Array.from({ length: count }, (_, i) => {
    const [kind, make] = makers[i % makers.length];
    return { kind, body: make(i) };
  });
}

describe('hostile input on NATS (real nats-server)', () => {
  const harness = new PlatformHarness('hostile');

  beforeAll(async () => {
    await harness.start();
    const dir = await forgeTinyModel({ texts: ['hello world, hello there, general kenobi'], vocabSize: 280 });
    await harness.registry.push(dir, { name: 'tiny', version: '1', provenance: { kind: 'forged' } });
    await harness.startService(LikelihoodModule, 'likelihood');
  }, 120_000);
  afterAll(() => harness.close());

  it('answers 1,000 malformed messages with the error envelope and keeps serving', async () => {
    const messages = hostileMessages(1000);
    const outcomes: Record<string, number> = {};
    const concurrency = 50;
    for (let start = 0; start < messages.length; start += concurrency) {
      await Promise.all(
        messages.slice(start, start + concurrency).map(async ({ kind, body }) => {
          const reply = await harness.nc.request(harness.subject('assay.likelihood.score'), body, { timeout: 5000 });
          const packet = JSON.parse(dec.decode(reply.data)) as { err?: unknown; response?: unknown };
          expect(packet.response).toBeUndefined();
          expect(AssayError.isEnvelope(packet.err)).toBe(true);
          const code = (packet.err as { code: string }).code;
          outcomes[`${kind}:${code}`] = (outcomes[`${kind}:${code}`] ?? 0) + 1;
        }),
      );
    }
    expect(Object.values(outcomes).reduce((a, b) => a + b, 0)).toBe(1000);
    for (const key of Object.keys(outcomes)) {
      expect(key.endsWith(':BAD_REQUEST') || key === 'over-app-limit:PAYLOAD_TOO_LARGE').toBe(true);
    }
    expect(outcomes['over-app-limit:PAYLOAD_TOO_LARGE']).toBeGreaterThan(0);

    // Over NATS's own max_payload the client refuses before sending, with the same envelope code.
    await expect(
      harness.rpc.request('assay.likelihood.score', { model: 'tiny', items: [{ context: 'q'.repeat(1_200_000), continuation: 'y' }] }),
    ).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });

    const ok = await harness.rpc.request<ScoreResponse>('assay.likelihood.score', { model: 'tiny', items: [{ context: 'hello', continuation: ' world' }] });
    expect(ok.results[0].numTokens).toBeGreaterThan(0);
    expect(Number.isFinite(ok.results[0].sumLogprob)).toBe(true);
  });

  it('rejects oversized and malformed HTTP bodies with the envelope', async () => {
    const url = await harness.url('likelihood');
    const headers = { 'content-type': 'application/json', 'x-api-key': 'test-key' };
    const big = await fetch(`${url}/v1/score`, { method: 'POST', headers, body: JSON.stringify({ model: 'tiny', items: [{ context: 'x'.repeat(1_100_000), continuation: 'y' }] }) });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    const bad = await fetch(`${url}/v1/score`, { method: 'POST', headers, body: '{"model": ' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'BAD_REQUEST' });
    const nan = await fetch(`${url}/v1/score`, { method: 'POST', headers, body: JSON.stringify({ model: 'tiny', items: [{ context: 'a' }] }) });
    expect(nan.status).toBe(400);
  });
});
