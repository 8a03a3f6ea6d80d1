import { InvalidKeyError } from './errors';

/** S3 allows 1024 bytes; we keep half so prefixes and local cache paths stay well inside limits. */
export const MAX_KEY_BYTES = 512;

const KEY_CHARS = /^[A-Za-z0-9._\-/=+@]*$/;
const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Why `key` is not an acceptable object key, or null when it is. Pure; no I/O. */
export function keyProblem(key: unknown): string | null {
  return pathProblem(key, false);
}

/**
 * Why `prefix` is not an acceptable listing prefix, or null. A prefix follows the key rules
 * except that it may be empty (the whole bucket) and may end with `/`.
 */
export function prefixProblem(prefix: unknown): string | null {
  if (prefix === '') return null;
  return pathProblem(prefix, true);
}

/** Throws InvalidKeyError unless `key` is a valid object key; returns it otherwise. */
export function assertValidKey(key: unknown): string {
  const problem = keyProblem(key);
  if (problem) throw new InvalidKeyError(`invalid object key ${printable(key)}: ${problem}`);
  return key as string;
}

/** Throws InvalidKeyError unless `prefix` is a valid listing prefix; returns it otherwise. */
export function assertValidPrefix(prefix: unknown): string {
  const problem = prefixProblem(prefix);
  if (problem) throw new InvalidKeyError(`invalid key prefix ${printable(prefix)}: ${problem}`);
  return prefix as string;
}

/** Model names and versions: lowercase, start with a letter or digit, at most 64 characters. */
export function isValidName(name: unknown): name is string {
  return typeof name === 'string' && NAME.test(name);
}

export function assertValidName(name: unknown, what = 'name'): string {
  if (!isValidName(name)) {
    throw new InvalidKeyError(`invalid ${what} ${printable(name)}: must match ${NAME.source}`);
  }
  return name;
}

/** Joins already-valid parts with `/` and validates the result as a key. */
export function joinKey(...parts: string[]): string {
  return assertValidKey(parts.join('/'));
}

function pathProblem(value: unknown, trailingSlashAllowed: boolean): string | null {
  if (typeof value !== 'string') return 'must be a string';
  if (value.length === 0) return 'must not be empty';
  if (value.includes('\u0000')) return 'must not contain NUL';
  if (CONTROL.test(value)) return 'must not contain control characters';
  if (value.includes('\\')) return 'must not contain backslashes';
  if (value.startsWith('/')) return 'must not be absolute (leading /)';
  if (Buffer.byteLength(value, 'utf8') > MAX_KEY_BYTES) return `must be at most ${MAX_KEY_BYTES} bytes`;
  if (!KEY_CHARS.test(value)) return 'may only contain A-Z a-z 0-9 . _ - / = + @';
  const segments = value.split('/');
  if (trailingSlashAllowed && segments[segments.length - 1] === '') segments.pop();
  for (const segment of segments) {
    if (segment === '') return 'must not contain empty segments (// or trailing /)';
    if (segment === '..') return 'must not contain .. segments';
    if (segment === '.') return 'must not contain . segments';
  }
  return null;
}

function printable(value: unknown): string {
  if (typeof value !== 'string') return `(${typeof value})`;
  const shown = JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  return shown;
}
