/**
 * Merges concurrent requests into batches. The first request of a batch opens a window of `windowMs`;
 * everything submitted before it closes (or until the batch reaches `maxBatchSize` sequences or
 * `maxBatchTokens` tokens) runs together, and each caller gets back its own result.
 *
 * A failed batch of several requests is retried one request at a time, so one request that breaks the
 * executor cannot fail the others it happened to share a batch with.
 */
export interface MicroBatcherOptions<T> {
  windowMs: number;
  maxBatchSize: number;
  maxBatchTokens: number;
  /** Sequences in a request. */
  sizeOf(item: T): number;
  /** Tokens in a request (for the token budget). */
  tokensOf(item: T): number;
}

interface Queued<T, R> {
  item: T;
  resolve(result: R): void;
  reject(error: unknown): void;
}

export class MicroBatcher<T, R> {
  private queue: Queued<T, R>[] = [];
  private queuedSize = 0;
  private queuedTokens = 0;
  private timer?: NodeJS.Timeout | NodeJS.Immediate;
  private requests = 0;
  private batches = 0;

  constructor(
    private readonly options: MicroBatcherOptions<T>,
    private readonly run: (items: T[]) => Promise<R[]>,
  ) {}

  /** `immediate`: run now with whatever is queued, without waiting out the window. */
  submit(item: T, options: { immediate?: boolean } = {}): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.requests++;
      this.queuedSize += this.options.sizeOf(item);
      this.queuedTokens += this.options.tokensOf(item);
      if (options.immediate || this.queuedSize >= this.options.maxBatchSize || this.queuedTokens >= this.options.maxBatchTokens) this.flush();
      // A zero window still merges everything submitted in the same tick (without a timer's 1 ms minimum).
      else if (!this.timer) this.timer = this.options.windowMs > 0 ? setTimeout(() => this.flush(), this.options.windowMs) : setImmediate(() => this.flush());
    });
  }

  stats(): { requests: number; batches: number } {
    return { requests: this.requests, batches: this.batches };
  }

  /** Runs whatever is queued now. */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer as NodeJS.Timeout);
      clearImmediate(this.timer as NodeJS.Immediate);
    }
    this.timer = undefined;
    const batch = this.queue;
    this.queue = [];
    this.queuedSize = 0;
    this.queuedTokens = 0;
    if (batch.length > 0) void this.execute(batch);
  }

  private async execute(batch: Queued<T, R>[]): Promise<void> {
    this.batches++;
    try {
      const results = await this.run(batch.map((q) => q.item));
      batch.forEach((q, i) => q.resolve(results[i]));
    } catch (error) {
      if (batch.length === 1) {
        batch[0].reject(error);
        return;
      }
      await Promise.all(batch.map((q) => this.execute([q])));
    }
  }
}
