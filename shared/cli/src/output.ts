import { CommanderError } from 'commander';
import { AssayError, ErrorEnvelope } from '@assay/contracts/errors';

/** Prints a result: JSON (one object, for scripts) or a readable rendering. */
export function print(value: unknown, json: boolean, human?: (value: any) => string) {
  if (json || !human) console.log(JSON.stringify(value, null, json ? 0 : 2));
  else console.log(human(value));
}

/**
 * Exit codes of every `assay` command (README, "The assay command"): 0 done; 1 an error (the platform refused the
 * request, or a bug); 2 usage (a bad option, argument or input file); 3 the platform cannot be reached (NATS, the
 * object store or a service: code UNAVAILABLE); 4 a job the command waited for failed, died or was cancelled.
 */
export const EXIT = { ok: 0, error: 1, usage: 2, unreachable: 3, jobFailed: 4 } as const;

/** The command line is wrong: exit 2. */
export class UsageError extends AssayError {
  constructor(message: string, details?: unknown) {
    super('BAD_REQUEST', message, details);
    this.name = 'UsageError';
  }
}

/** A job the command waited for ended without a result: exit 4, with the job's own error as the envelope. */
export class JobFailedError extends AssayError {
  constructor(jobId: string, status: string, error?: { code: string; message: string; details?: unknown }) {
    const cause = error && AssayError.isEnvelope(error) ? AssayError.fromEnvelope(error) : undefined;
    super(cause?.code ?? 'INTERNAL', `job ${jobId} ${status}${error ? `: ${error.message}` : ''}`, { ...(cause?.details ?? {}), jobId, status });
    this.name = 'JobFailedError';
  }
}

/** A command-line value that does not parse: commander reports it as a usage error (exit 2). */
export { InvalidArgumentError } from 'commander';

/** Refuses a command line: exit 2. */
export function usage(message: string): never {
  throw new UsageError(message);
}

/** Files the user named that cannot be read are usage errors; a refused connection means the platform is down. */
const FILE_ERRORS = new Set(['ENOENT', 'EACCES', 'EISDIR', 'ENOTDIR', 'EPERM']);
const NETWORK_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/** Input errors found while building a request from the command line become usage errors; platform errors stay as they are. */
export function asUsageError(error: unknown): AssayError {
  if (error instanceof AssayError) return error;
  return new UsageError(error instanceof Error ? error.message : String(error));
}

/** The envelope and exit code of anything a command threw. */
export function classify(error: unknown): { envelope: ErrorEnvelope; exitCode: number } {
  if (error instanceof CommanderError) {
    const message = error.message.replace(/^error: /, '');
    return { envelope: new UsageError(message, { reason: error.code }).toEnvelope(), exitCode: error.exitCode === 0 ? EXIT.ok : EXIT.usage };
  }
  if (error instanceof UsageError) return { envelope: error.toEnvelope(), exitCode: EXIT.usage };
  if (error instanceof JobFailedError) return { envelope: error.toEnvelope(), exitCode: EXIT.jobFailed };
  if (error instanceof AssayError) return { envelope: error.toEnvelope(), exitCode: error.code === 'UNAVAILABLE' ? EXIT.unreachable : EXIT.error };
  const code = String((error as { code?: unknown; cause?: { code?: unknown } })?.code ?? (error as { cause?: { code?: unknown } })?.cause?.code ?? '');
  const message = error instanceof Error ? error.message : String(error);
  if (FILE_ERRORS.has(code)) return { envelope: new UsageError(message, { reason: code }).toEnvelope(), exitCode: EXIT.usage };
  if (NETWORK_ERRORS.has(code)) return { envelope: AssayError.unavailable(message, { reason: code }).toEnvelope(), exitCode: EXIT.unreachable };
  return { envelope: AssayError.internal(message).toEnvelope(), exitCode: EXIT.error };
}

/**
 * Reports what a command threw and returns its exit code: with --json one object `{"error": {code, message,
 * details}}` on stdout (and nothing else), otherwise `assay: <message>` on stderr. Commander has already printed
 * its own usage errors when not in JSON mode.
 */
export function reportError(error: unknown, json: boolean): number {
  const { envelope, exitCode } = classify(error);
  if (exitCode === EXIT.ok) return exitCode;
  if (json) console.log(JSON.stringify({ error: envelope }));
  else if (!(error instanceof CommanderError)) console.error(`assay: ${envelope.message}`);
  return exitCode;
}
