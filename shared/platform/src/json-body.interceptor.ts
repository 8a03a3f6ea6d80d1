import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import bodyParser from 'body-parser';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { from, Observable, switchMap } from 'rxjs';
import type { AssayConfig } from './config';
import { ASSAY_CONFIG } from './tokens';

type Middleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/** An error body-parser passes on with its own status (it keeps `status` from errors thrown in `verify`). */
function bodyError(status: number, message: string, type: string): Error {
  return Object.assign(new Error(message), { status, type, expose: true });
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * JSON is UTF-8 (RFC 8259 §8.1): another charset is 415, and bytes that are not UTF-8 are 400, as over NATS (the
 * NATS deserializer decodes with `fatal: true` too). Without this, body-parser would turn bad bytes into U+FFFD.
 */
function verifyUtf8(_req: IncomingMessage, _res: ServerResponse, body: Buffer, encoding: string): void {
  if (encoding.toLowerCase() !== 'utf-8') throw bodyError(415, `unsupported charset "${encoding.toUpperCase()}": JSON bodies are UTF-8`, 'charset.unsupported');
  try {
    strictUtf8.decode(body);
  } catch {
    throw bodyError(400, 'request body is not valid UTF-8', 'entity.verify.failed');
  }
}

/**
 * Reads JSON request bodies after the guards, not before them as Express middleware would: an unauthenticated
 * request is answered 401 without its body being read, inflated or parsed (issue 16 F4). Interceptors run after guards
 * and before Nest resolves `@Body()`, so handlers see `req.body` as usual. body-parser's failures (bad JSON 400,
 * too large 413, unsupported charset or Content-Encoding 415, truncated body 400) reach the exception filter, which
 * answers each with the envelope.
 */
@Injectable()
export class JsonBodyInterceptor implements NestInterceptor {
  private readonly parse: Middleware;

  constructor(@Inject(ASSAY_CONFIG) config: AssayConfig) {
    this.parse = bodyParser.json({ limit: config.http.maxBody, verify: verifyUtf8 }) as unknown as Middleware;
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const http = context.switchToHttp();
    const req = http.getRequest<IncomingMessage & { body?: unknown }>();
    if (req.body !== undefined || req.readableEnded) return next.handle();
    const parsed = new Promise<void>((resolve, reject) => this.parse(req, http.getResponse<ServerResponse>(), (error) => (error ? reject(error) : resolve())));
    return from(parsed).pipe(switchMap(() => next.handle()));
  }
}
