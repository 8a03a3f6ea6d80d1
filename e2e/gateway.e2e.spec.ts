import fs from 'node:fs';
import path from 'node:path';
import OpenAI from 'openai';
import { AssayBlock, CertifyResponse, Policy, REFUSAL_TEXT } from '@assay/contracts';
import { derivedSeed } from '@assay/platform';
import { forgeTinyModel, PlatformHarness } from '@assay/testing';
import { main } from '../shared/cli/src/main';
import { CertifierModule } from '../services/certifier/src/certifier.module';
import { GatewayModule } from '../services/gateway/src/gateway.module';
import { GenerationModule } from '../services/generation/src/generation.module';
import { LikelihoodModule } from '../services/likelihood/src/likelihood.module';

const SHAKESPEARE = path.resolve(__dirname, '../../shared/data/tinyshakespeare/input.txt');
const KEY = 'test-key';

/** The certificate in an `assay` block re-derived from its own fields: log2 ε = k·N + log2 T + log2 G, and the ratio test. */
function expectSelfConsistent(assay: AssayBlock) {
  expect(assay.status).toBe('accepted');
  const cert = assay.certificate!;
  expect(cert.log2Epsilon).toBeCloseTo(cert.k * cert.nTokens + Math.log2(cert.T) + cert.log2G, 9);
  expect(cert.log2L - cert.log2G).toBeLessThanOrEqual(cert.k * cert.nTokens + 1e-9);
  expect(cert.vacuous).toBe(cert.log2Epsilon >= 0);
  if (cert.epsilon !== null) expect(cert.epsilon).toBeCloseTo(2 ** cert.log2Epsilon, 12);
  const accepted = assay.attempts!.filter((a) => a.accepted);
  expect(accepted.length).toBeGreaterThan(0);
  expect(accepted.some((a) => a.log2Epsilon === cert.log2Epsilon && a.log2G === cert.log2G && a.nTokens === cert.nTokens)).toBe(true);
}

/** The gateway end to end: policies as artifacts, and the official OpenAI client against /v1 (real NATS, S3, ONNX). */
describe('gateway: policies and the OpenAI-compatible API', () => {
  const harness = new PlatformHarness('gateway');
  let base: string;
  let client: OpenAI;
  const http = (route: string, init: RequestInit = {}) => fetch(`${base}${route}`, { ...init, headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}`, ...(init.headers ?? {}) } });
  const spec = { name: 'shakespeare', model: 'tiny-l', guide: 'tiny-g', k: 64, T: 8, sampling: { maxNewTokens: 2, temperature: 1 } };

  beforeAll(async () => {
    await harness.start();
    const texts = fs.readFileSync(SHAKESPEARE, 'utf8').slice(0, 40_000).split('\n\n');
    const [large, guide] = await Promise.all([forgeTinyModel({ texts, vocabSize: 300, seed: 1 }), forgeTinyModel({ texts, vocabSize: 300, seed: 2 })]);
    // A chat template, so chat completions render the conversation with L's own template (as any chat model's export has).
    fs.writeFileSync(path.join(large, 'chat_template.jinja'), '{% for message in messages %}{{ message.content }}\n{% endfor %}');
    await harness.registry.push(large, { name: 'tiny-l', version: '1', provenance: { kind: 'forged' } });
    await harness.registry.push(guide, { name: 'tiny-g', version: '1', provenance: { kind: 'forged' } });
    await harness.startService(GenerationModule, 'generation');
    await harness.startService(LikelihoodModule, 'likelihood');
    await harness.startService(CertifierModule, 'certifier');
    await harness.startService(GatewayModule, 'gateway');
    base = await harness.url('gateway');
    client = new OpenAI({ apiKey: KEY, baseURL: `${base}/v1`, maxRetries: 0, timeout: 60_000 });
  }, 180_000);
  afterAll(() => harness.close());

  it('policies are versioned artifacts: create over HTTP and NATS, list, show, delete', async () => {
    const created = await http('/v1/policies', { method: 'POST', body: JSON.stringify(spec) });
    expect(created.status).toBe(201);
    const v1 = (await created.json()) as Policy;
    expect(v1).toMatchObject({ ...spec, version: 1, T: 8, refusalText: REFUSAL_TEXT });
    const v2 = await harness.rpc.request<Policy>('assay.gateway.create', { ...spec, description: 'second' });
    expect(v2.version).toBe(2);
    expect(((await (await http('/v1/policies/shakespeare@1')).json()) as Policy).description).toBe('');
    expect(((await (await http('/v1/policies/shakespeare')).json()) as Policy).version).toBe(2);
    const all = await harness.rpc.request<{ policies: Policy[] }>('assay.gateway.list', { name: 'shakespeare' });
    expect(all.policies.map((p) => p.version)).toEqual([1, 2]);
    expect(await harness.store.exists('policies/shakespeare/000000002.json')).toBe(true);
    await harness.rpc.request('assay.gateway.create', { ...spec, name: 'refuses', k: -64, refusalText: 'Not in my domain.' });
    await harness.rpc.request('assay.gateway.create', { ...spec, name: 'scratch' });
    expect(await (await http('/v1/policies/scratch/delete', { method: 'POST' })).json()).toEqual({ name: 'scratch', deletedVersions: 1 });
    const missing = await http('/v1/policies/scratch');
    expect(missing.status).toBe(404);
    const bad = await http('/v1/policies', { method: 'POST', body: JSON.stringify({ ...spec, k: 'high' }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { code: string }).code).toBe('BAD_REQUEST');
  });

  it('assay policy create|list|show manage the same policies', async () => {
    const out: string[] = [];
    const log = jest.spyOn(console, 'log').mockImplementation((line: unknown) => void out.push(String(line)));
    try {
      expect(await main(['node', 'assay', 'policy', 'create', 'from-cli', '--model', 'tiny-l', '--guide', 'tiny-g', '--k', '-2', '--T', '2', '--reward-head', 'rm', '--json'])).toBe(0);
      expect(JSON.parse(out.pop()!)).toMatchObject({ name: 'from-cli', version: 1, k: -2, T: 2, rewardHead: 'rm' });
      expect(await main(['node', 'assay', 'policy', 'show', 'from-cli@1', '--json'])).toBe(0);
      expect(JSON.parse(out.pop()!)).toMatchObject({ name: 'from-cli', version: 1 });
      expect(await main(['node', 'assay', 'policy', 'list'])).toBe(0);
      expect(out.pop()).toContain('from-cli@1  model tiny-l: L → VALID (G tiny-g, k -2, T 2) → rerank rm');
      expect(await main(['node', 'assay', 'policy', 'show', 'nope', '--json'])).not.toBe(0);
      expect(await main(['node', 'assay', 'policy', 'delete', 'from-cli', '--json'])).toBe(0);
    } finally {
      log.mockRestore();
    }
  });

  it('the OpenAI client lists policies and plain models', async () => {
    const models = [];
    for await (const model of client.models.list()) models.push(model);
    const ids = models.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(['shakespeare', 'refuses', 'tiny-l', 'tiny-g']));
    expect(models.find((m) => m.id === 'shakespeare')).toMatchObject({ object: 'model', assay: { kind: 'policy', version: '2' } });
  });

  it('a chat completion against a policy is the certifier\'s answer, with a certificate that re-derives from its own fields', async () => {
    let accepted = 0;
    for (let seed = 1; seed <= 4; seed++) {
      const messages = [{ role: 'user' as const, content: 'ROMEO:' }];
      const completion = await client.chat.completions.create({ model: 'shakespeare', messages, seed });
      const assay = (completion as unknown as { assay: AssayBlock }).assay;
      const choice = completion.choices[0];
      expect(completion.object).toBe('chat.completion');
      expect(assay.policy).toEqual({ name: 'shakespeare', version: 2 });
      // The trace id is that of the request's trace (null here: no tracing SDK in this test; see gateway-tracing).
      expect(assay.traceId === null || /^[0-9a-f]{32}$/.test(assay.traceId)).toBe(true);
      expect(completion.usage!.total_tokens).toBe(completion.usage!.prompt_tokens + completion.usage!.completion_tokens);
      // The same certification made directly: the gateway adds nothing to the answer.
      const direct = await harness.rpc.request<CertifyResponse>('assay.certifier.certify', { model: 'tiny-l', guide: 'tiny-g', messages, k: 64, T: 8, maxNewTokens: 2, seed: derivedSeed(seed, 0) });
      expect(assay.status).toBe(direct.status);
      expect(assay.certificate ?? undefined).toEqual(direct.certificate);
      if (assay.status === 'accepted') {
        accepted++;
        expect(choice.message.content).toBe(direct.text);
        expect(['stop', 'length']).toContain(choice.finish_reason);
        expectSelfConsistent(assay);
      } else {
        expect(choice.message.content).toBe(REFUSAL_TEXT);
        expect(choice.finish_reason).toBe('content_filter');
      }
    }
    expect(accepted).toBeGreaterThan(0);
  });

  it('a streamed chat completion sends standard chunks ending in [DONE], the accepted text only, and the assay block', async () => {
    const request = { model: 'shakespeare', messages: [{ role: 'user' as const, content: 'ROMEO:' }], seed: 2 };
    const whole = await client.chat.completions.create(request);
    const stream = await client.chat.completions.create({ ...request, stream: true });
    let text = '';
    let finish: string | null = null;
    let assay: AssayBlock | undefined;
    for await (const chunk of stream) {
      expect(chunk.object).toBe('chat.completion.chunk');
      for (const choice of chunk.choices) {
        text += choice.delta.content ?? '';
        finish = choice.finish_reason ?? finish;
      }
      assay = (chunk as unknown as { assay?: AssayBlock }).assay ?? assay;
    }
    expect(text).toBe(whole.choices[0].message.content);
    expect(finish).toBe(whole.choices[0].finish_reason);
    expect(assay!.status).toBe((whole as unknown as { assay: AssayBlock }).assay.status);
    expect(assay!.certificate).toEqual((whole as unknown as { assay: AssayBlock }).assay.certificate);
    // The raw stream: SSE `data:` lines, the last one [DONE].
    const raw = await (await http('/v1/chat/completions', { method: 'POST', body: JSON.stringify({ ...request, stream: true }) })).text();
    const lines = raw.split('\n\n').filter(Boolean);
    expect(lines.every((l) => l.startsWith('data: '))).toBe(true);
    expect(lines[lines.length - 1]).toBe('data: [DONE]');
  });

  it('an abstention is a normal completion: the policy\'s refusal text with finish_reason content_filter', async () => {
    const completion = await client.chat.completions.create({ model: 'refuses', messages: [{ role: 'user', content: 'ROMEO:' }], seed: 3 });
    expect(completion.choices[0].message.content).toBe('Not in my domain.');
    expect(completion.choices[0].finish_reason).toBe('content_filter');
    const assay = (completion as unknown as { assay: AssayBlock }).assay;
    expect(assay.status).toBe('abstained');
    expect(assay.certificate).toBeNull();
    expect(assay.attempts!.every((a) => !a.accepted)).toBe(true);
  });

  it('text completions and n choices against a policy; a plain model is served without assurance', async () => {
    const text = await client.completions.create({ model: 'shakespeare', prompt: 'ROMEO:', n: 2, seed: 5 });
    expect(text.choices).toHaveLength(2);
    for (const choice of text.choices) {
      const assay = (choice as unknown as { assay: AssayBlock }).assay;
      if (assay.status === 'accepted') expectSelfConsistent(assay);
      else expect(choice.finish_reason).toBe('content_filter');
    }
    const plain = await client.completions.create({ model: 'tiny-l', prompt: 'ROMEO:', max_tokens: 3, seed: 1 });
    expect((plain as unknown as { assay: AssayBlock }).assay).toMatchObject({ status: 'unassured', policy: null, certificate: null });
  });

  it('bad input gets OpenAI-shaped errors with Assay\'s codes', async () => {
    const fail = async (call: Promise<unknown>) => {
      try {
        await call;
      } catch (error) {
        return error as InstanceType<typeof OpenAI.APIError>;
      }
      throw new Error('expected an error');
    };
    const unknown = await fail(client.chat.completions.create({ model: 'no-such-policy', messages: [{ role: 'user', content: 'hi' }] }));
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError);
    expect(unknown.status).toBe(404);
    expect(unknown.code).toBe('NOT_FOUND');
    const tooMany = await fail(client.chat.completions.create({ model: 'shakespeare', messages: [{ role: 'user', content: 'hi' }], n: 9 }));
    expect(tooMany).toBeInstanceOf(OpenAI.BadRequestError);
    expect(tooMany.code).toBe('BAD_REQUEST');
    expect(tooMany.param).toBe('n');
    const nonString = await http('/v1/chat/completions', { method: 'POST', body: JSON.stringify({ model: 'shakespeare', messages: [{ role: 'user', content: 42 }] }) });
    expect(nonString.status).toBe(400);
    expect(await nonString.json()).toEqual({ error: { message: expect.stringContaining('string'), type: 'invalid_request_error', param: 'messages.0.content', code: 'BAD_REQUEST' } });
    const oversized = await http('/v1/chat/completions', { method: 'POST', body: JSON.stringify({ model: 'shakespeare', messages: [{ role: 'user', content: 'x'.repeat(2 * 1024 * 1024) }] }) });
    expect(oversized.status).toBe(413);
    expect(((await oversized.json()) as { error: { code: string; type: string } }).error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', type: 'invalid_request_error' });
    const noKey = await fail(new OpenAI({ apiKey: 'wrong', baseURL: `${base}/v1`, maxRetries: 0 }).models.list());
    expect(noKey).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(noKey.code).toBe('UNAUTHORIZED');
  });
});
