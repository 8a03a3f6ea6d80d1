import { z } from 'zod/v4';
import { AssayError } from './errors';

const MAX_REPORTED_ISSUES = 10;

/**
 * Validates an inbound message or body at the edge. Returns the parsed (defaults applied, unknown keys
 * stripped) value, or throws BAD_REQUEST listing the first issues with their paths, so a caller can fix
 * the request without reading our code.
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what = 'request'): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.slice(0, MAX_REPORTED_ISSUES).map((issue) => ({
    path: issue.path.map(String).join('.') || '(root)',
    message: issue.message.slice(0, 200),
  }));
  const first = issues[0];
  throw AssayError.badRequest(`invalid ${what}: ${first.path}: ${first.message}`, { issues });
}
