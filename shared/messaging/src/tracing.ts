import { context, propagation, trace, SpanStatusCode, type Context, type Span, type TextMapGetter, type TextMapSetter, type Tracer } from '@opentelemetry/api';
import { headers as natsHeaders, type MsgHdrs } from 'nats';
import { AssayError } from './errors';

/** There is no NATS instrumentation for OpenTelemetry: we propagate W3C trace context in NATS headers ourselves. */
/**
 * Looked up per span, not once at import: a tracer taken before the SDK (or a test's provider) registers
 * would stay a no-op forever.
 */
export const tracer: Pick<Tracer, 'startSpan'> = {
  startSpan: (name, options, ctx) => trace.getTracer('@assay/messaging').startSpan(name, options, ctx),
};

export const TRACEPARENT = 'traceparent';

const setter: TextMapSetter<MsgHdrs> = {
  set: (carrier, key, value) => carrier.set(key, value),
};

// MsgHdrs.get matches keys exactly; propagators ask lowercase names, publishers may have written any case.
const getter: TextMapGetter<MsgHdrs | undefined> = {
  keys: (carrier) => (carrier ? carrier.keys() : []),
  get: (carrier, key) => {
    const found = carrier?.keys().find((k) => k.toLowerCase() === key.toLowerCase());
    return found === undefined ? undefined : carrier!.get(found);
  },
};

/** Headers carrying the active (or given) trace context; adds to `into` when given. */
export function injectTraceHeaders(ctx: Context = context.active(), into: MsgHdrs = natsHeaders()): MsgHdrs {
  propagation.inject(ctx, into, setter);
  return into;
}

/** The trace context a message carried (the active context when it carried none). */
export function extractTraceContext(headers: MsgHdrs | undefined, base: Context = context.active()): Context {
  return propagation.extract(base, headers, getter);
}

/** The trace context from a stored `traceparent` string (job records keep the submitter's). */
export function contextFromTraceparent(traceparent: string | undefined, base: Context = context.active()): Context {
  if (!traceparent) return base;
  return propagation.extract(base, { traceparent }, {
    keys: (c) => Object.keys(c),
    get: (c, k) => (c as Record<string, string>)[k],
  });
}

/** The `traceparent` of a context, for storing with a job record. */
export function traceparentOf(ctx: Context = context.active()): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier[TRACEPARENT];
}

export type MessagingOperation = 'publish' | 'receive' | 'process';

/** Semantic-convention attributes for a NATS messaging span. */
export function messagingAttributes(subject: string, operation: MessagingOperation, extra: Record<string, string | number> = {}) {
  return {
    'messaging.system': 'nats',
    'messaging.destination.name': subject,
    'messaging.operation': operation,
    'messaging.operation.type': operation === 'publish' ? 'send' : operation,
    ...extra,
  };
}

export function recordSpanError(span: Span, error: unknown): void {
  const err = AssayError.from(error);
  span.recordException(error instanceof Error ? error : err);
  span.setAttribute('error.type', err.code);
  span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
}
