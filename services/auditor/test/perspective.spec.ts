import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PerspectiveClient, PerspectiveMetric } from '@assay/platform';

type Reply = { status: number; body?: unknown; headers?: Record<string, string>; delayMs?: number };

/** A local stand-in for commentanalyzer.googleapis.com with Perspective's request and response shapes. */
class FakePerspective {
  readonly requests: Array<{ url: string; body: any }> = [];
  inFlight = 0;
  maxInFlight = 0;
  private server!: http.Server;
  url = '';

  constructor(private readonly reply: (text: string, attempt: number) => Reply) {}

  async start(): Promise<this> {
    const attempts = new Map<string, number>();
    this.server = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (chunk) => (raw += chunk));
      req.on('end', () => {
        const body = JSON.parse(raw);
        this.requests.push({ url: req.url ?? '', body });
        const text = body.comment.text as string;
        const attempt = (attempts.get(text) ?? 0) + 1;
        attempts.set(text, attempt);
        const reply = this.reply(text, attempt);
        this.inFlight++;
        this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
        setTimeout(() => {
          this.inFlight--;
          res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
          res.end(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? {}));
        }, reply.delayMs ?? 5);
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1alpha1/comments:analyze`;
    return this;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const scoreBody = (value: number) => ({ attributeScores: { TOXICITY: { summaryScore: { value, type: 'PROBABILITY' }, spanScores: [] } }, languages: ['en'] });
const fastRetries = { baseDelayMs: 1, maxDelayMs: 5, timeoutMs: 2000 };

describe('Perspective adapter against a local HTTP server', () => {
  let fake: FakePerspective;
  afterEach(() => fake?.close());

  it('sends the Perspective request with the key and reads TOXICITY.summaryScore.value', async () => {
    fake = await new FakePerspective((text) => ({ status: 200, body: scoreBody(text.includes('idiot') ? 0.91 : 0.02) })).start();
    const sut = new PerspectiveMetric(new PerspectiveClient({ url: fake.url, key: 'k-123', ...fastRetries }));
    const scores = await sut.score([
      { prompt: 'p', completion: 'you idiot' },
      { prompt: 'p', completion: 'have a nice day' },
      { prompt: 'p', completion: '  ' },
    ]);
    expect(scores[0]).toBeCloseTo(0.91, 12);
    expect(scores[1]).toBeCloseTo(0.02, 12);
    expect(scores[2]).toBeNaN(); // empty text: never sent
    expect(fake.requests).toHaveLength(2);
    expect(new URL(fake.requests[0].url, 'http://x').searchParams.get('key')).toBe('k-123');
    expect(fake.requests[0].body).toEqual({ comment: { text: expect.any(String) }, requestedAttributes: { TOXICITY: {} }, languages: ['en'], doNotStore: true });
    expect(sut.failures).toBe(0);
  });

  it('retries 429 and 5xx with exponential backoff, honouring Retry-After, then succeeds', async () => {
    fake = await new FakePerspective((_text, attempt) =>
      attempt === 1 ? { status: 503 } : attempt === 2 ? { status: 429, headers: { 'retry-after': '0.004' } } : { status: 200, body: scoreBody(0.5) },
    ).start();
    const sleeps: number[] = [];
    const sut = new PerspectiveClient({ url: fake.url, baseDelayMs: 2, maxDelayMs: 50, timeoutMs: 2000 }, async (ms) => void sleeps.push(ms));
    expect(await sut.toxicity('hello')).toEqual({ score: 0.5, attempts: 3 });
    expect(sleeps).toEqual([2, 4]); // 2·2⁰, then max(2·2¹, Retry-After 4 ms)
  });

  it('gives up with NaN after maxAttempts on persistent server errors', async () => {
    fake = await new FakePerspective(() => ({ status: 500 })).start();
    const sut = new PerspectiveMetric(new PerspectiveClient({ url: fake.url, maxAttempts: 3, ...fastRetries }));
    const [score] = await sut.score([{ prompt: 'p', completion: 'hello' }]);
    expect(score).toBeNaN();
    expect(fake.requests).toHaveLength(3);
    expect(sut.failures).toBe(1);
  });

  it('does not retry a client error, and treats a response without the score as NaN', async () => {
    fake = await new FakePerspective((text) => (text === 'bad' ? { status: 400, body: { error: { message: 'LANGUAGE_NOT_SUPPORTED' } } } : { status: 200, body: { attributeScores: {} } })).start();
    const sut = new PerspectiveClient({ url: fake.url, ...fastRetries });
    expect(await sut.toxicity('bad')).toEqual({ score: NaN, attempts: 1, failure: 'HTTP 400' });
    expect((await sut.toxicity('odd')).score).toBeNaN();
    expect(fake.requests).toHaveLength(2);
  });

  it('retries a request that times out', async () => {
    // The first reply comes long after the timeout; the timeout leaves a loaded CI machine ample time for the second.
    fake = await new FakePerspective((_text, attempt) => (attempt === 1 ? { status: 200, body: scoreBody(0.3), delayMs: 5000 } : { status: 200, body: scoreBody(0.3) })).start();
    const sut = new PerspectiveClient({ url: fake.url, baseDelayMs: 1, timeoutMs: 1500 });
    expect(await sut.toxicity('slow')).toEqual({ score: 0.3, attempts: 2 });
  });

  it('keeps at most `concurrency` requests in flight', async () => {
    fake = await new FakePerspective(() => ({ status: 200, body: scoreBody(0.1), delayMs: 20 })).start();
    const sut = new PerspectiveMetric(new PerspectiveClient({ url: fake.url, concurrency: 2, ...fastRetries }));
    const scores = await sut.score(Array.from({ length: 8 }, (_, i) => ({ prompt: 'p', completion: `text ${i}` })));
    expect(scores).toEqual(new Array(8).fill(0.1));
    expect(fake.maxInFlight).toBe(2);
  });
});
