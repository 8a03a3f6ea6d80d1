import { ArtifactError, InvalidKeyError, NotFoundError, UnavailableError } from './errors';

const NOT_FOUND_CODES = new Set(['NoSuchKey', 'NotFound']);
/** The store is down, overloaded, unprovisioned or refuses our credentials: not the caller's fault. */
const UNAVAILABLE_CODES = new Set([
  'NoSuchBucket',
  'AccessDenied',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'RequestTimeTooSkewed',
  'ExpiredToken',
  'SlowDown',
  'ServiceUnavailable',
  'InternalError',
  'RequestTimeout',
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ERR_STREAM_PREMATURE_CLOSE',
]);
const INVALID_KEY_ERRORS = new Set(['InvalidObjectNameError', 'InvalidPrefixError', 'KeyTooLongError']);

/** Maps a minio/network error to the library's error kinds; unknown errors pass through as they are. */
export function toArtifactError(err: Error, key?: string): Error;
export function toArtifactError(err: unknown, key?: string): unknown;
export function toArtifactError(err: unknown, key?: string): unknown {
  // Duck-typed, not instanceof Error: errors from Node internals come from another realm under jest.
  if (err instanceof ArtifactError || typeof err !== 'object' || err === null || !('message' in err)) return err;
  const code = String((err as { code?: unknown }).code ?? '');
  const where = key ? ` (${key})` : '';
  if (NOT_FOUND_CODES.has(code)) return new NotFoundError(`not found${where}`, { cause: err });
  if (code === 'NoSuchBucket') return new UnavailableError(`bucket does not exist${where}`, { cause: err });
  if (UNAVAILABLE_CODES.has(code) || /^Request failed after \d+ retries/.test(String(err.message)) || err.message === 'aborted') {
    return new UnavailableError(`object store unavailable${where}: ${code || String(err.message)}`, { cause: err });
  }
  if (INVALID_KEY_ERRORS.has(err.constructor.name)) return new InvalidKeyError(String(err.message), { cause: err });
  return err;
}
