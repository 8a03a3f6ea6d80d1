import type { MsgHdrs } from 'nats';
import { AssayError } from './errors';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

export function decodeJson<T = unknown>(bytes: Uint8Array): T {
  return JSON.parse(decoder.decode(bytes)) as T;
}

/** Bytes NATS counts for headers: `NATS/1.0\r\n`, one `key: value\r\n` per value, a closing `\r\n`. */
export function headersSize(headers: MsgHdrs | undefined): number {
  if (!headers) return 0;
  let size = 'NATS/1.0\r\n'.length + 2;
  for (const key of headers.keys()) {
    for (const value of headers.values(key)) size += encoder.encode(`${key}: ${value}\r\n`).length;
  }
  return size;
}

/**
 * NATS refuses messages over the server's max_payload (1 MiB by default) and closes nothing, but the caller
 * learns late and vaguely; we fail early with a code. Big things go to the object store; messages carry keys.
 */
export function assertFitsPayload(subject: string, data: Uint8Array, headers: MsgHdrs | undefined, limit: number): void {
  const size = data.length + headersSize(headers);
  if (size > limit) {
    throw new AssayError(
      'PAYLOAD_TOO_LARGE',
      `message for ${subject} is ${size} bytes, over the ${limit}-byte NATS limit: put large data in the object store and send its key`,
      { subject, size, limit },
    );
  }
}

/** Nest's NATS event body (`ClientProxy.emit`): `@EventPattern(subject)` handlers receive `data`. */
export function encodeNestEvent(subject: string, data: unknown): Uint8Array {
  return encodeJson({ pattern: subject, data });
}

/** The `data` of a Nest event body (a plain JSON body is taken whole, as Nest's deserializer does). */
export function decodeNestEvent<T>(bytes: Uint8Array): T {
  const body = decodeJson<{ pattern?: unknown; data?: unknown }>(bytes);
  const isNest = typeof body === 'object' && body !== null && (body.pattern !== undefined || body.data !== undefined);
  return (isNest ? body.data : body) as T;
}
