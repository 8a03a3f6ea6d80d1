import fs from 'node:fs';
import path from 'node:path';
import { ErrorEnvelope, GenerateResponse } from '@assay/contracts';
import { ModelHostService } from '@assay/platform';
import { forgeTinyModel, PlatformHarness } from '@assay/testing';
import { GenerationModule } from '../services/generation/src/generation.module';

/** Token streaming over HTTP (Server-Sent Events) against the real generation service. */
const SHAKESPEARE = path.resolve(__dirname, '../../shared/data/tinyshakespeare/input.txt');
const HEADERS = { 'content-type': 'application/json', 'x-api-key': 'test-key' };

interface SseEvent {
  event: string;
  data: unknown;
  /** Which network read completed the event: events of different reads reached the client at different times. */
  read: number;
}

interface TokenEvent {
  promptIndex: number;
  sampleIndex: number;
  index: number;
  id: number;
  text: string;
  logprob: number;
  samplingLogprob: number;
}

/** Reads a text/event-stream body; `onEvent` may cancel the read (the client disconnects) by returning false. */
async function readSse(response: Response, onEvent: (event: SseEvent) => boolean | void = () => undefined): Promise<SseEvent[]> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const events: SseEvent[] = [];
  let buffer = '';
  for (let read = 0; ; read++) {
    const { done, value } = await reader.read();
    if (done) return events;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const lines = block.split('\n').filter((l) => !l.startsWith(':'));
      if (lines.length === 0) continue;
      const field = (name: string) => lines.find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2);
      const event = { event: field('event') ?? 'message', data: JSON.parse(field('data') ?? 'null'), read };
      events.push(event);
      if (onEvent(event) === false) {
        await reader.cancel();
        return events;
      }
    }
  }
}

describe('POST /v1/generate/stream (SSE, real NATS + S3 server + onnxruntime)', () => {
  const harness = new PlatformHarness('streaming');
  let url: string;
  const post = (route: string, body: unknown, init: RequestInit = {}) =>
    fetch(`${url}/v1/${route}`, { method: 'POST', headers: HEADERS, body: JSON.stringify(body), ...init });

  beforeAll(async () => {
    await harness.start();
    const text = fs.readFileSync(SHAKESPEARE, 'utf8').slice(0, 40_000);
    const dir = await forgeTinyModel({ texts: text.split('\n\n'), vocabSize: 300, layers: 2, dim: 64, contextLength: 1024 });
    await harness.registry.push(dir, { name: 'tiny', version: '1', provenance: { kind: 'forged' } });
    await harness.startService(GenerationModule, 'generation');
    url = await harness.url('generation');
  }, 120_000);
  afterAll(() => harness.close());

  it('streams tokens as they are decoded; they add up to the final response, which equals POST /v1/generate with the same seed', async () => {
    const body = { model: 'tiny', prompts: ['ROMEO:', 'First Citizen:'], n: 2, maxNewTokens: 48, seed: 11 };
    const response = await post('generate/stream', body);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = await readSse(response);

    const done = events[events.length - 1];
    expect(done.event).toBe('done');
    expect(events.filter((e) => e.event === 'done')).toHaveLength(1);
    const tokens = events.filter((e) => e.event === 'token');
    expect(tokens.length + 1).toBe(events.length);
    // Streaming, not a burst at the end: tokens reached the client in reads before the one that carried `done`.
    expect(tokens.filter((e) => e.read < done.read).length).toBeGreaterThanOrEqual(2);

    const final = done.data as GenerateResponse;
    const plain = (await (await post('generate', body)).json()) as GenerateResponse;
    expect(final).toEqual(plain);
    for (const completion of final.completions) {
      const mine = tokens.map((e) => e.data as TokenEvent).filter((t) => t.promptIndex === completion.promptIndex && t.sampleIndex === completion.sampleIndex);
      expect(mine.map((t) => t.index)).toEqual(completion.tokens.map((_, i) => i));
      expect(mine.map(({ id, text, logprob, samplingLogprob }) => ({ id, text, logprob, samplingLogprob }))).toEqual(completion.tokens);
      if (completion.finishReason !== 'stop') expect(mine.map((t) => t.text).join('')).toBe(completion.text);
    }
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/assay_time_to_first_token_seconds_count\{model="tiny@1"\} [1-9]/);
  });

  it('reports failures after validation as an `error` event with the envelope; bad bodies and missing keys stay HTTP errors', async () => {
    const missing = await post('generate/stream', { model: 'nope', prompts: ['Hello'] });
    expect(missing.status).toBe(200);
    const events = await readSse(missing);
    expect(events.map((e) => e.event)).toEqual(['error']);
    expect(events[0].data as ErrorEnvelope).toMatchObject({ code: 'NOT_FOUND' });

    const overflow = await readSse(await post('generate/stream', { model: 'tiny', prompts: ['x '.repeat(700)], maxNewTokens: 500 }));
    expect(overflow.map((e) => e.event)).toEqual(['error']);
    expect(overflow[0].data as ErrorEnvelope).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });

    const invalid = await post('generate/stream', { model: 'tiny', prompts: [] });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({ code: 'BAD_REQUEST' });
    const denied = await fetch(`${url}/v1/generate/stream`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(denied.status).toBe(401);
    const docs = (await (await fetch(`${url}/docs/openapi.json`)).json()) as { paths: Record<string, { post?: { responses?: Record<string, unknown> } }> };
    expect(JSON.stringify(docs.paths['/v1/generate/stream']?.post?.responses?.['200'])).toContain('text/event-stream');
  });

  it('a client that disconnects stops the generation: the engine is idle long before the full generation would end', async () => {
    const engine = harness.apps.get('generation')!.get(ModelHostService, { strict: false }).engine;
    const body = { model: 'tiny', prompts: ['KING RICHARD III:'], n: 4, maxNewTokens: 500, seed: 3 };
    let started = performance.now();
    const full = (await (await post('generate', body)).json()) as GenerateResponse;
    const fullMs = performance.now() - started;
    expect(Math.max(...full.completions.map((c) => c.tokens.length))).toBeGreaterThanOrEqual(200); // precondition: a long run

    const controller = new AbortController();
    started = performance.now();
    const response = await post('generate/stream', body, { signal: controller.signal });
    const events = await readSse(response, (e) => (e.event === 'token' ? false : undefined));
    controller.abort();
    expect(events.map((e) => e.event)).toEqual(['token']);
    while ((await engine.health()).executor.inFlight > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const cancelledMs = performance.now() - started;
    expect(cancelledMs).toBeLessThan(fullMs / 2);

    // The service carries on normally.
    const again = await readSse(await post('generate/stream', { ...body, maxNewTokens: 8 }));
    expect(again[again.length - 1].event).toBe('done');
  });
});
