import { headers as natsHeaders, type MsgHdrs } from 'nats';

/**
 * Keep-alives of long requests. A caller that wants to learn quickly that its responder died sets
 * `Assay-Keepalive-Ms: <interval>` on the request; an Assay responder then sends an empty message with the
 * `Assay-Keepalive` header to the reply inbox at once (the request arrived) and every interval until its
 * answer is sent. Silence for longer than the caller's liveness window means the responder is gone: the
 * caller fails the request as UNAVAILABLE instead of waiting for its full timeout. Callers that do not ask
 * (`nats req`, other clients) never see a keep-alive.
 */
export const KEEPALIVE_REQUEST_HEADER = 'Assay-Keepalive-Ms';
export const KEEPALIVE_HEADER = 'Assay-Keepalive';

/** Intervals a responder accepts; anything else is clamped into this range. */
export const MIN_KEEPALIVE_MS = 100;
export const MAX_KEEPALIVE_MS = 10_000;

/** The interval a caller asks for with a liveness window: three beats per window, so two may be late. */
export function keepaliveInterval(livenessMs: number): number {
  return Math.min(MAX_KEEPALIVE_MS, Math.max(MIN_KEEPALIVE_MS, Math.floor(livenessMs / 3)));
}

/** The interval a request asked for, clamped; undefined when it asked for none. */
export function requestedKeepalive(headers: MsgHdrs | undefined): number | undefined {
  const value = Number(headers?.get(KEEPALIVE_REQUEST_HEADER));
  if (!value || !Number.isFinite(value)) return undefined;
  return Math.min(MAX_KEEPALIVE_MS, Math.max(MIN_KEEPALIVE_MS, Math.floor(value)));
}

export function isKeepalive(headers: MsgHdrs | undefined): boolean {
  return Boolean(headers?.get(KEEPALIVE_HEADER));
}

export function keepaliveHeaders(): MsgHdrs {
  const h = natsHeaders();
  h.set(KEEPALIVE_HEADER, '1');
  return h;
}
