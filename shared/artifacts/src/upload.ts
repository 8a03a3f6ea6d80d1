import { Readable } from 'stream';
import { InvalidKeyError, UnavailableError } from './errors';
import { SIGNATURE_META } from './signing';

export const SHA256_HEADER = 'x-amz-meta-sha256';
export const USER_META_PREFIX = 'x-amz-meta-';
const META_KEY = /^[a-z0-9][a-z0-9-]{0,63}$/;
const META_VALUE = /^[\x20-\x7e]*$/;
/** S3 caps user metadata at 2 KB; stay under it with room for our sha256 entry. */
const MAX_USER_META_BYTES = 1800;

/** Content-Type and x-amz-meta-* headers for a put, validated (InvalidKeyError) before any I/O. */
export function userHeaders(options: { contentType?: string; metadata?: Record<string, string> }): Record<string, string> {
  const headers: Record<string, string> = { 'Content-Type': options.contentType ?? 'application/octet-stream' };
  let bytes = 0;
  for (const [name, value] of Object.entries(options.metadata ?? {})) {
    if (!META_KEY.test(name) || name === 'sha256' || name === SIGNATURE_META) {
      throw new InvalidKeyError(`metadata key ${JSON.stringify(name)} must match ${META_KEY.source} and not be sha256 or ${SIGNATURE_META}`);
    }
    if (typeof value !== 'string' || !META_VALUE.test(value)) {
      throw new InvalidKeyError(`metadata ${name} must be printable ASCII`);
    }
    bytes += name.length + value.length;
    headers[USER_META_PREFIX + name] = value;
  }
  if (bytes > MAX_USER_META_BYTES) throw new InvalidKeyError(`metadata exceeds ${MAX_USER_META_BYTES} bytes`);
  return headers;
}

/**
 * minio-js retries a request on 5xx by sending the same body again; a file stream cannot be
 * replayed (the retry would hang on a short body), so a second use fails the attempt instead.
 */
export function singleUse(stream: Readable, key: string): Readable {
  let used = false;
  const pipe = stream.pipe.bind(stream);
  stream.pipe = (<T extends NodeJS.WritableStream>(destination: T, options?: { end?: boolean }): T => {
    if (used) {
      const error = new UnavailableError(`put ${key}: the object store failed mid-upload; retry the put`);
      process.nextTick(() => (destination as unknown as { destroy(err: Error): void }).destroy(error));
      return destination;
    }
    used = true;
    return pipe(destination, options);
  }) as typeof stream.pipe;
  return stream;
}
