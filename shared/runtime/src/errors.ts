import { AssayError, ErrorCode } from '@assay/contracts';

/**
 * Why the runtime refused or failed. `kind` is for programs (tests, services mapping to their own
 * messages); the `code` inherited from AssayError is what crosses service boundaries.
 */
export type RuntimeErrorKind =
  | 'MODEL_DIR_INVALID' // missing/unreadable config.json, tokenizer.json or model.onnx, bad JSON
  | 'MODEL_FILE_INVALID' // model.onnx exists but onnxruntime cannot load it (corrupt, truncated, wrong format)
  | 'MODEL_SIGNATURE_INVALID' // loads, but its inputs/outputs are not the layout the runner expects
  | 'VOCAB_MISMATCH' // tokenizer ids beyond the model's vocabulary
  | 'UNKNOWN_ARCHITECTURE' // config.json model_type has no runner in the table
  | 'MODEL_NOT_LOADED'
  | 'MODEL_ALREADY_LOADED'
  | 'UNSUPPORTED' // e.g. hidden states asked of a model without a hidden_states output
  | 'CONTEXT_OVERFLOW'
  | 'INVALID_REQUEST'
  | 'EXECUTOR_FAILED' // a worker died or onnxruntime failed while running
  | 'EXECUTOR_CLOSED'
  | 'CANCELLED'; // the caller stopped listening (e.g. a streaming client went away)

const CODE_BY_KIND: Record<RuntimeErrorKind, ErrorCode> = {
  MODEL_DIR_INVALID: 'BAD_REQUEST',
  MODEL_FILE_INVALID: 'BAD_REQUEST',
  MODEL_SIGNATURE_INVALID: 'BAD_REQUEST',
  VOCAB_MISMATCH: 'BAD_REQUEST',
  UNKNOWN_ARCHITECTURE: 'BAD_REQUEST',
  MODEL_NOT_LOADED: 'NOT_FOUND',
  MODEL_ALREADY_LOADED: 'BAD_REQUEST',
  UNSUPPORTED: 'BAD_REQUEST',
  CONTEXT_OVERFLOW: 'PAYLOAD_TOO_LARGE',
  INVALID_REQUEST: 'BAD_REQUEST',
  EXECUTOR_FAILED: 'INTERNAL',
  EXECUTOR_CLOSED: 'UNAVAILABLE',
  CANCELLED: 'UNAVAILABLE',
};

export class RuntimeError extends AssayError {
  constructor(
    readonly kind: RuntimeErrorKind,
    message: string,
    details?: Record<string, unknown>,
  ) {
    super(CODE_BY_KIND[kind], message, { kind, ...details });
    this.name = 'RuntimeError';
  }
}

/** Errors cross the worker boundary as plain objects; this is their shape. */
export interface SerializedError {
  name: string;
  message: string;
  kind?: RuntimeErrorKind;
  details?: unknown;
  stack?: string;
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof RuntimeError) {
    return { name: error.name, message: error.message, kind: error.kind, details: error.details, stack: error.stack };
  }
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack };
  return { name: 'Error', message: String(error) };
}

/** Rebuilds a RuntimeError thrown inside a worker; anything else becomes EXECUTOR_FAILED. */
export function deserializeError(error: SerializedError): RuntimeError {
  if (error.kind) {
    const { kind: _kind, ...rest } = (error.details ?? {}) as Record<string, unknown>;
    return new RuntimeError(error.kind, error.message, rest);
  }
  return new RuntimeError('EXECUTOR_FAILED', error.message, { cause: error.name });
}

/**
 * What a caller hears when an operation needs the final-norm hidden states and the model's export lacks them
 * (standard Optimum / transformers.js exports do): which operation, and the one command that fixes it.
 */
export function missingHiddenStates(operation: string, architecture?: string): RuntimeError {
  return new RuntimeError(
    'UNSUPPORTED',
    `${operation} needs the model's final-norm hidden states, which this ${architecture ?? ''} export does not output (standard exports do not). ` +
      'Run `assay models prepare <model dir>` to add them as output "hidden_states"; generate (without returnHiddenStates) and score work without them.',
    { operation, needs: 'hidden_states' },
  );
}

export function invalidRequest(message: string, details?: Record<string, unknown>): RuntimeError {
  return new RuntimeError('INVALID_REQUEST', message, details);
}
