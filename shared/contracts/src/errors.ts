import { z } from 'zod/v4';

/** Stable error codes: the only ones that cross a service boundary (HTTP body, NATS reply, job record). */
export const ERROR_CODES = ['BAD_REQUEST', 'NOT_FOUND', 'PAYLOAD_TOO_LARGE', 'TIMEOUT', 'UNAVAILABLE', 'INTERNAL'] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export const ErrorEnvelopeSchema = z
  .object({
    code: z.enum(ERROR_CODES),
    message: z.string(),
    details: z.unknown().optional(),
  })
  .meta({ id: 'ErrorEnvelope', description: 'Every error Assay returns, over HTTP and NATS alike.' });
export type ErrorEnvelope = z.infer<typeof ErrorEnvelopeSchema>;

/** HTTP status for each code; NATS carries the envelope itself. */
export const HTTP_STATUS_BY_CODE: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
  TIMEOUT: 504,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

/** The one error type of Assay's own code. Anything else that escapes is reported as INTERNAL. */
export class AssayError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AssayError';
  }

  toEnvelope(): ErrorEnvelope {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }

  static isEnvelope(value: unknown): value is ErrorEnvelope {
    return ErrorEnvelopeSchema.safeParse(value).success;
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
