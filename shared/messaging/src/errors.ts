/**
 * The platform's error envelope lives in @assay/contracts; messaging uses the same class so `instanceof`
 * holds across libraries. `isErrorEnvelope` is kept as the function name the messaging code reads best with.
 */
import { AssayError, ErrorEnvelope } from '@assay/contracts';

export { AssayError, ERROR_CODES } from '@assay/contracts';
export type { ErrorCode, ErrorEnvelope } from '@assay/contracts';

export function isErrorEnvelope(value: unknown): value is ErrorEnvelope {
  return AssayError.isEnvelope(value);
}
