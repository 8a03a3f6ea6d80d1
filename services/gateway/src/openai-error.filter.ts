import { ArgumentsHost, Catch, ExceptionFilter, Inject } from '@nestjs/common';
import { Logger } from 'pino';
import { AssayError, OpenAiError } from '@assay/contracts';
import { ASSAY_LOGGER, normaliseError } from '@assay/platform';

const TYPE_BY_STATUS: Record<number, string> = { 400: 'invalid_request_error', 401: 'authentication_error', 404: 'invalid_request_error', 413: 'invalid_request_error', 415: 'invalid_request_error', 429: 'rate_limit_error' };

/** OpenAI's error body for an Assay error: `code` is Assay's code, `param` the first invalid field when known. */
export function openAiError(error: AssayError, httpStatus: number): OpenAiError {
  const issues = (error.details as { issues?: Array<{ path: string }> } | undefined)?.issues;
  const field = (error.details as { field?: unknown } | undefined)?.field;
  const param = issues?.[0]?.path && issues[0].path !== '(root)' ? issues[0].path : typeof field === 'string' ? field : null;
  return { error: { message: error.message, type: TYPE_BY_STATUS[httpStatus] ?? (httpStatus >= 500 ? 'server_error' : 'invalid_request_error'), param, code: error.code } };
}

/**
 * The OpenAI-compatible routes answer errors in OpenAI's shape (`{error: {message, type, param, code}}`, with the
 * same HTTP statuses as the rest of Assay), so OpenAI clients raise their usual typed errors (NotFoundError, ...).
 * Bound to those routes' controller, it also catches what the guard (401) and the body reader (413, 400) throw.
 */
@Catch()
export class OpenAiErrorFilter implements ExceptionFilter {
  constructor(@Inject(ASSAY_LOGGER) private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost) {
    const { error, httpStatus } = normaliseError(exception);
    if (error.code === 'INTERNAL') this.logger.error({ err: exception }, 'unhandled error');
    const response = host.switchToHttp().getResponse();
    if (response.headersSent || response.writableEnded || response.destroyed) return;
    response.status(httpStatus).json(openAiError(error, httpStatus));
  }
}
