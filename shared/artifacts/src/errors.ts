import { AssayError, ErrorCode } from '@assay/contracts';

/**
 * The few failure kinds of the artifact layer, each an AssayError with its platform code, so they cross
 * service boundaries as the right envelope without mapping: NotFoundError → NOT_FOUND, IntegrityError →
 * INTERNAL, InvalidKeyError → BAD_REQUEST, UnavailableError → UNAVAILABLE. Anything else escaping this
 * library is a bug (INTERNAL).
 */
export abstract class ArtifactError extends AssayError {
  abstract readonly kind: 'not-found' | 'integrity' | 'invalid-key' | 'unavailable';
  static readonly code: ErrorCode = 'INTERNAL';

  constructor(message: string, options?: { cause?: unknown }) {
    super((new.target as unknown as { code: ErrorCode }).code, message);
    if (options?.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
    this.name = new.target.name;
  }
}

/** The object, model or version does not exist. */
export class NotFoundError extends ArtifactError {
  static override readonly code: ErrorCode = 'NOT_FOUND';
  readonly kind = 'not-found' as const;
}

/** Bytes do not match their recorded sha256/size, or a stored document is malformed. */
export class IntegrityError extends ArtifactError {
  readonly kind = 'integrity' as const;
}

/**
 * An artifact whose signature (ASSAY_SIGNING_KEY, see signing.ts) is missing or wrong: refused, never
 * loaded. UNAVAILABLE: the artifact cannot be used until it is re-pushed or re-signed by the platform.
 */
export class UntrustedArtifactError extends IntegrityError {
  static override readonly code: ErrorCode = 'UNAVAILABLE';
}

/** A key, prefix, name or version was rejected before any I/O. */
export class InvalidKeyError extends ArtifactError {
  static override readonly code: ErrorCode = 'BAD_REQUEST';
  readonly kind = 'invalid-key' as const;
}

/** The object store cannot be reached, refuses our credentials, or is not provisioned. */
export class UnavailableError extends ArtifactError {
  static override readonly code: ErrorCode = 'UNAVAILABLE';
  readonly kind = 'unavailable' as const;
}

/** The name/version is already taken (push never overwrites). A bad request, hence the parent class. */
export class ConflictError extends InvalidKeyError {}
