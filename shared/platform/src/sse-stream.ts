import type { Request, Response } from 'express';

/** How often an idle stream sends a comment, so proxies do not cut a request waiting for its batch. */
const KEEP_ALIVE_MS = 15_000;

/**
 * One Server-Sent Events response: opens it (200, text/event-stream, unbuffered), writes named events
 * with JSON data, and notices when the client goes away (`signal` aborts).
 */
export class SseStream {
  private readonly abort = new AbortController();
  private readonly keepAlive: NodeJS.Timeout;

  constructor(
    request: Request,
    private readonly response: Response,
  ) {
    response.status(200);
    response.setHeader('content-type', 'text/event-stream; charset=utf-8');
    response.setHeader('cache-control', 'no-cache, no-transform');
    response.setHeader('connection', 'keep-alive');
    response.setHeader('x-accel-buffering', 'no');
    response.flushHeaders();
    request.socket.setNoDelay(true);
    const gone = () => {
      if (!response.writableFinished) this.abort.abort();
    };
    response.on('close', gone);
    this.keepAlive = setInterval(() => this.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
    this.keepAlive.unref();
  }

  /** Aborts when the client disconnects before the stream ended. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  send(event: string, data: unknown): void {
    this.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  end(): void {
    clearInterval(this.keepAlive);
    if (!this.response.writableEnded) this.response.end();
  }

  private write(chunk: string): void {
    if (!this.abort.signal.aborted && !this.response.writableEnded) this.response.write(chunk);
  }
}
