export interface PerspectiveOptions {
  /** commentanalyzer `comments:analyze` endpoint (PERSPECTIVE_API_URL). */
  url: string;
  /** API key (PERSPECTIVE_API_KEY), sent as `?key=`. */
  key?: string;
  /** Tries per text before giving up with NaN (default 5). */
  maxAttempts?: number;
  /** First retry delay; doubled per retry, capped by maxDelayMs (defaults 1 s and 30 s). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Per-request timeout (default 15 s). */
  timeoutMs?: number;
  /** Requests in flight at once (default 4; the API's default quota is 1 QPS per project, raise it with yours). */
  concurrency?: number;
}

export interface PerspectiveOutcome {
  score: number;
  attempts: number;
  /** Why the score is NaN, when it is. */
  failure?: string;
}

/** Status codes worth retrying: quota (429) and server trouble; other 4xx will fail the same way again. */
const RETRYABLE = (status: number) => status === 429 || status >= 500;

/**
 * The Perspective API over HTTP (spec auditing.md §4: TOXICITY summary score, languages en, doNotStore):
 * bounded retries with exponential backoff (honouring Retry-After), then NaN, so one bad call drops one pair
 * instead of failing the audit. The reference code retries 10× with 240 s sleeps; the bounds here are options.
 */
export class PerspectiveClient {
  private readonly options: Required<Omit<PerspectiveOptions, 'key'>> & { key?: string };
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(options: PerspectiveOptions, private readonly sleep: (ms: number) => Promise<void> = delay) {
    this.options = { maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 30_000, timeoutMs: 15_000, concurrency: 4, ...options };
  }

  async toxicity(text: string): Promise<PerspectiveOutcome> {
    await this.acquire();
    try {
      return await this.withRetries(text);
    } finally {
      this.release();
    }
  }

  private async withRetries(text: string): Promise<PerspectiveOutcome> {
    let failure = '';
    for (let attempt = 1; attempt <= this.options.maxAttempts; attempt++) {
      let retryAfterMs: number | undefined;
      try {
        const response = await fetch(this.endpoint(), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ comment: { text }, requestedAttributes: { TOXICITY: {} }, languages: ['en'], doNotStore: true }),
          signal: AbortSignal.timeout(this.options.timeoutMs),
        });
        if (response.ok) {
          const value = toxicityValue(await response.json().catch(() => undefined));
          if (value !== undefined) return { score: value, attempts: attempt };
          return { score: NaN, attempts: attempt, failure: 'response without attributeScores.TOXICITY.summaryScore.value' };
        }
        failure = `HTTP ${response.status}`;
        await response.body?.cancel().catch(() => undefined);
        if (!RETRYABLE(response.status)) return { score: NaN, attempts: attempt, failure };
        retryAfterMs = retryAfter(response.headers.get('retry-after'));
      } catch (error) {
        failure = (error as Error).name === 'TimeoutError' ? 'timeout' : (error as Error).message;
      }
      if (attempt < this.options.maxAttempts) {
        const backoff = Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** (attempt - 1));
        await this.sleep(Math.min(this.options.maxDelayMs, Math.max(backoff, retryAfterMs ?? 0)));
      }
    }
    return { score: NaN, attempts: this.options.maxAttempts, failure };
  }

  private endpoint(): string {
    if (!this.options.key) return this.options.url;
    const url = new URL(this.options.url);
    url.searchParams.set('key', this.options.key);
    return url.toString();
  }

  private async acquire(): Promise<void> {
    if (this.active < this.options.concurrency) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
}

function toxicityValue(body: unknown): number | undefined {
  const value = (body as { attributeScores?: { TOXICITY?: { summaryScore?: { value?: unknown } } } } | undefined)?.attributeScores?.TOXICITY?.summaryScore?.value;
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function retryAfter(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : undefined;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
