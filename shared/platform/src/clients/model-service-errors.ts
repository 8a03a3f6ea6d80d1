import { AssayError } from '@assay/contracts';

/**
 * The one mapping of the model services' errors, for every caller (certifier, auditor, and the heads' services): the
 * code is kept (an unknown model stays NOT_FOUND, a refused request BAD_REQUEST, a busy or absent service
 * UNAVAILABLE, so a job retries what may pass later and fails at once what cannot), and the message says which
 * service refused which model, since the caller's own user never called that service.
 */
export function modelServiceError(service: 'generation' | 'likelihood' | 'certifier' | 'rectifier' | 'reward-head' | 'calibrator', model: string, error: unknown): AssayError {
  const failure = AssayError.from(error);
  if (failure.message.startsWith(`${service} `)) return failure;
  const details = typeof failure.details === 'object' && failure.details !== null ? { ...failure.details, service, model } : { service, model, ...(failure.details !== undefined ? { cause: failure.details } : {}) };
  return new AssayError(failure.code, `${service} (model ${model}): ${failure.message}`, details);
}
