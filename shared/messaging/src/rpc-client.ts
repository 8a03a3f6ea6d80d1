import { randomUUID } from 'node:crypto';
import { SpanKind, context, trace } from '@opentelemetry/api';
import { createInbox, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from 'nats';
import { parseOrThrow, subjectContract, type Subject, type SubjectReply, type SubjectRequest } from '@assay/contracts';
import { assertFitsPayload, decodeJson, encodeJson, encodeNestEvent } from './codec';
import { DEFAULT_REQUEST_TIMEOUT_MS } from './config';
import { maxPayload } from './connection';
import { AssayError, isErrorEnvelope } from './errors';
import { isKeepalive, KEEPALIVE_REQUEST_HEADER, keepaliveInterval } from './keepalive';
import { requestSubject } from './subjects';
import { injectTraceHeaders, messagingAttributes, recordSpanError, tracer } from './tracing';

export interface RpcClientOptions {
  /** Used when a request names no timeout; every request has one. */
  defaultTimeoutMs?: number;
  /**
   * Ask responders for keep-alives (keepalive.ts) and fail a request as UNAVAILABLE when nothing (reply or
   * keep-alive) arrived for this long: a responder that died mid-request is noticed in about this time, not
   * at the timeout. For Assay services only (they send keep-alives); 0 or unset: off.
   */
  livenessMs?: number;
  /** Platform namespace of the services called (subjects.ts); default `assay`. */
  namespace?: string;
}

export interface RequestOptions {
  timeoutMs?: number;
  /**
   * Times to send the request again when it fails as UNAVAILABLE: no responder, or the responder went silent (it died
   * mid-request; see livenessMs). Another replica of the queue group answers the retry. Only for idempotent requests
   * (generation and scoring with their seeds, reads); default 0.
   */
  retryUnavailable?: number;
}

/** Pause before a retry: the NATS server drops a dead replica's subscription when its connection closes. */
const RETRY_DELAY_MS = 200;

/** What Nest's NATS server replies (server-nats.js `getPublisher` + server.js `send`). */
interface NestReply {
  id?: string;
  response?: unknown;
  err?: unknown;
  isDisposed?: boolean;
}

/** Nest's ServerNats answers this when no @MessagePattern matches (constants.js NO_MESSAGE_HANDLER). */
const NEST_NO_HANDLER = 'There is no matching message handler defined in the remote service.';

/**
 * Request/reply and events over one NATS connection, in Nest's NATS wire format, so the other side can be a
 * Nest microservice (`@MessagePattern(subject)` / `@EventPattern(subject)`):
 *   request `{ pattern, data, id }` on subject = pattern, reply to an inbox;
 *   replies `{ id, response?, err?, isDisposed? }` (one or more; the stream ends at isDisposed or err);
 *   events `{ pattern, data }` with no reply subject.
 * Unlike Nest's ClientProxy.send, every request has a timeout and errors come back as AssayError codes.
 */
export class RpcClient {
  private readonly defaultTimeoutMs: number;
  private readonly livenessMs: number;
  private readonly namespace: string | undefined;

  constructor(
    private readonly nc: NatsConnection,
    options: RpcClientOptions = {},
  ) {
    this.defaultTimeoutMs = options.defaultTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.livenessMs = options.livenessMs ?? 0;
    this.namespace = options.namespace;
    requestSubject(this.namespace, 'assay.check'); // a bad namespace fails here, not on the first request
  }

  /**
   * A request on a registered subject, typed and checked both ways: the request is validated against the subject's
   * schema before anything is sent (BAD_REQUEST at the caller, naming the field), and the reply on receipt (INTERNAL
   * naming the subject when the service answered something else). Defaults of the request schema are applied.
   */
  async call<S extends Subject>(subject: S, request: SubjectRequest<S>, options: RequestOptions = {}): Promise<SubjectReply<S>> {
    const contract = subjectContract(subject);
    const data = parseOrThrow(contract.request, request, `request for ${subject}`);
    const raw = await this.request(subject, data, options);
    const reply = contract.reply.safeParse(raw);
    if (reply.success) return reply.data as SubjectReply<S>;
    const issue = reply.error.issues[0];
    throw new AssayError('INTERNAL', `reply from ${subject} does not match its contract: ${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`, {
      subject,
      issues: reply.error.issues.slice(0, 10).map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
    });
  }

  /**
   * The untyped transport under `call`: sends `data` as it is and returns the reply unchecked. For subjects outside the
   * registry (tests, tools) and for tests of a service's own validation; services and the CLI use `call`.
   */
  async request<T = unknown>(subject: string, data: unknown, options: RequestOptions = {}): Promise<T> {
    for (let retries = options.retryUnavailable ?? 0; ; retries--) {
      try {
        return await this.attempt<T>(subject, data, options);
      } catch (error) {
        if (retries <= 0 || !(error instanceof AssayError) || error.code !== 'UNAVAILABLE') throw error;
        await new Promise((r) => setTimeout(r, RETRY_DELAY_MS));
      }
    }
  }

  /** One send of a request and its reply stream. */
  private attempt<T>(subject: string, data: unknown, options: RequestOptions): Promise<T> {
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    if (!(timeoutMs > 0)) throw new AssayError('BAD_REQUEST', `request timeout must be positive, got ${timeoutMs}`);
    const id = randomUUID();
    const span = tracer.startSpan(`${subject} send`, {
      kind: SpanKind.CLIENT,
      attributes: messagingAttributes(subject, 'publish', { 'messaging.message.id': id }),
    });
    const spanContext = trace.setSpan(context.active(), span);
    return context.with(spanContext, async () => {
      try {
        const body = encodeJson({ pattern: subject, data, id });
        const headers = injectTraceHeaders(spanContext);
        if (this.livenessMs > 0) headers.set(KEEPALIVE_REQUEST_HEADER, String(keepaliveInterval(this.livenessMs)));
        assertFitsPayload(subject, body, headers, maxPayload(this.nc));
        span.setAttribute('messaging.message.body.size', body.length);
        return (await this.exchange(subject, requestSubject(this.namespace, subject), id, body, headers, timeoutMs)) as T;
      } catch (error) {
        recordSpanError(span, error);
        throw error;
      } finally {
        span.end();
      }
    });
  }

  /** Fire-and-forget event in Nest's event format; `@EventPattern(subject)` handlers receive `data`. */
  emit(subject: string, data: unknown): void {
    const span = tracer.startSpan(`${subject} send`, {
      kind: SpanKind.PRODUCER,
      attributes: messagingAttributes(subject, 'publish'),
    });
    try {
      const body = encodeNestEvent(subject, data);
      const headers = injectTraceHeaders(trace.setSpan(context.active(), span));
      assertFitsPayload(subject, body, headers, maxPayload(this.nc));
      this.nc.publish(requestSubject(this.namespace, subject), body, { headers });
    } catch (error) {
      recordSpanError(span, error);
      throw error;
    } finally {
      span.end();
    }
  }

  /** One inbox per request, like Nest's ClientNats; resolves with the last `response` once the reply stream ends. */
  private exchange(subject: string, wireSubject: string, id: string, body: Uint8Array, headers: MsgHdrs, timeoutMs: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const inbox = createInbox();
      let last: unknown;
      let settled = false;
      let subscription: Subscription | undefined;
      let timer: NodeJS.Timeout | undefined;
      let silence: NodeJS.Timeout | undefined;
      const finish = (error: AssayError | undefined, value?: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearTimeout(silence);
        subscription?.unsubscribe();
        if (error) reject(error);
        else resolve(value);
      };
      // Restarted by every message from the responder; fires when it has been silent for the liveness window.
      const expectLife = () => {
        if (this.livenessMs <= 0) return;
        clearTimeout(silence);
        silence = setTimeout(
          () =>
            finish(
              new AssayError('UNAVAILABLE', `the responder to ${subject} went silent (no reply or keep-alive for ${this.livenessMs} ms): it stopped or died`, {
                subject,
                livenessMs: this.livenessMs,
              }),
            ),
          this.livenessMs,
        );
      };
      const onReply = (err: Error | null, msg: Msg) => {
        if (err) return finish(new AssayError('UNAVAILABLE', `request to ${subject} failed: ${err.message}`));
        expectLife();
        if (isKeepalive(msg.headers)) return;
        // No subscriber on the subject: the server answers with a 503 status message and no payload.
        if (msg.headers?.code === 503) return finish(new AssayError('UNAVAILABLE', `no service is listening on ${subject}`));
        if (msg.data.length === 0) return finish(new AssayError('INTERNAL', `empty reply from ${subject}`));
        let reply: NestReply;
        try {
          reply = decodeJson<NestReply>(msg.data);
        } catch {
          return finish(new AssayError('INTERNAL', `reply from ${subject} is not JSON`));
        }
        if (!isNestReply(reply)) return finish(undefined, reply); // a plain (non-Nest) responder
        if (reply.id && reply.id !== id) return;
        if (reply.err !== undefined && reply.err !== null) return finish(toAssayError(subject, reply.err));
        if (reply.response !== undefined) last = reply.response;
        if (reply.isDisposed) finish(undefined, last);
      };
      timer = setTimeout(
        () => finish(new AssayError('TIMEOUT', `no reply from ${subject} within ${timeoutMs} ms`, { subject, timeoutMs })),
        timeoutMs,
      );
      try {
        subscription = this.nc.subscribe(inbox, { callback: onReply });
        this.nc.publish(wireSubject, body, { reply: inbox, headers });
        expectLife();
      } catch (error) {
        finish(new AssayError('UNAVAILABLE', `request to ${subject} failed: ${(error as Error).message}`));
      }
    });
  }
}

/** Nest's IncomingResponseDeserializer treats a reply without err/response/isDisposed as external (the whole body). */
function isNestReply(value: unknown): value is NestReply {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as NestReply;
  return v.err !== undefined || v.response !== undefined || v.isDisposed !== undefined;
}

function toAssayError(subject: string, err: unknown): AssayError {
  if (isErrorEnvelope(err)) return AssayError.fromEnvelope(err);
  if (err === NEST_NO_HANDLER) return new AssayError('UNAVAILABLE', `no handler for ${subject} in the remote service`);
  const message =
    typeof err === 'string' ? err : typeof (err as { message?: unknown }).message === 'string' ? (err as { message: string }).message : 'remote error';
  return new AssayError('INTERNAL', `${subject}: ${message}`, { remote: err });
}
