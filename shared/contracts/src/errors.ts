import { z } from 'zod/v4';

/** Stable error codes: the only ones that cross a service boundary (HTTP body, NATS reply, job record). */
export const ERROR_CODES = ['BAD_REQUEST', 'UNAUTHORIZED', 'NOT_FOUND', 'PAYLOAD_TOO_LARGE', 'TIMEOUT', 'UNAVAILABLE', 'INTERNAL'] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** What an error says beyond its message (the field that failed, a size and its limit...); `{}` when nothing. */
export type ErrorDetails = Record<string, unknown>;

export const ErrorEnvelopeSchema = z
  .object({
    code: z.enum(ERROR_CODES),
    message: z.string(),
    details: z
      .record(z.string(), z.unknown())
      .default({})
      .meta({ description: 'Always present: an object, possibly empty (e.g. `{subject, size, limit}`, `{issues}`).' }),
  })
  .meta({ id: 'ErrorEnvelope', description: 'Every error Assay returns, over HTTP, NATS and in job records alike.' });
export type ErrorEnvelope = z.output<typeof ErrorEnvelopeSchema>;

/** Code and message decide whether something is an envelope; details are normalised (peers before details were required). */
const EnvelopeShapeSchema = z.object({ code: z.enum(ERROR_CODES), message: z.string() });

/** Details as an object: none → `{}`, an object as it is, anything else (a string, an array) under `value`. */
export function errorDetails(details: unknown): ErrorDetails {
  if (details === undefined || details === null) return {};
  if (typeof details === 'object' && !Array.isArray(details)) return details as ErrorDetails;
  return { value: details };
}

/** HTTP status for each code; NATS carries the envelope itself. */
export const HTTP_STATUS_BY_CODE: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
  TIMEOUT: 504,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

/** The one error type of Assay's own code. Anything else that escapes is reported as INTERNAL. */
export class AssayError extends Error {
  /** Always an object, possibly empty (see errorDetails). */
  readonly details: ErrorDetails;

  constructor(
    readonly code: ErrorCode,
    message: string,
    details?: unknown,
  ) {
    super(message);
    this.name = 'AssayError';
    this.details = errorDetails(details);
  }

  toEnvelope(): ErrorEnvelope {
    return { code: this.code, message: this.message, details: this.details };
  }

  /** A code and a message make an envelope; `details` may be missing or odd (older peers), fromEnvelope normalises it. */
  static isEnvelope(value: unknown): value is ErrorEnvelope {
    return EnvelopeShapeSchema.safeParse(value).success;
  }

  static fromEnvelope(envelope: ErrorEnvelope): AssayError {
    return new AssayError(envelope.code, envelope.message, envelope.details);
  }

  /** Wraps anything thrown into an AssayError without leaking internals (stack traces stay in logs). */
  static from(error: unknown): AssayError {
    if (error instanceof AssayError) return error;
    if (AssayError.isEnvelope(error)) return AssayError.fromEnvelope(error);
    const message = error instanceof Error ? error.message : String(error);
    return new AssayError('INTERNAL', message.slice(0, 500));
  }

  static badRequest(message: string, details?: unknown) {
    return new AssayError('BAD_REQUEST', message, details);
  }
  static unauthorized(message: string, details?: unknown) {
    return new AssayError('UNAUTHORIZED', message, details);
  }
  static notFound(message: string, details?: unknown) {
    return new AssayError('NOT_FOUND', message, details);
  }
  static tooLarge(message: string, details?: unknown) {
    return new AssayError('PAYLOAD_TOO_LARGE', message, details);
  }
  static timeout(message: string, details?: unknown) {
    return new AssayError('TIMEOUT', message, details);
  }
  static unavailable(message: string, details?: unknown) {
    return new AssayError('UNAVAILABLE', message, details);
  }
  static internal(message: string, details?: unknown) {
    return new AssayError('INTERNAL', message, details);
  }
}
