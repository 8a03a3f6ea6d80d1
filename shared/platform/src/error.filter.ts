import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Inject } from '@nestjs/common';
import { Logger } from 'pino';
import { throwError } from 'rxjs';
import { AssayError, ErrorCode, HTTP_STATUS_BY_CODE } from '@assay/contracts';
import { ASSAY_LOGGER } from './tokens';

/** The code of each client-error status Nest, body-parser or Node answer with; other 4xx are BAD_REQUEST. */
export const CODE_BY_HTTP_STATUS: Record<number, ErrorCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'UNAUTHORIZED',
  404: 'NOT_FOUND',
  408: 'TIMEOUT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'BAD_REQUEST',
  417: 'BAD_REQUEST',
  422: 'BAD_REQUEST',
  431: 'PAYLOAD_TOO_LARGE',
  503: 'UNAVAILABLE',
  504: 'TIMEOUT',
};

function codeOfStatus(status: number): ErrorCode {
  return CODE_BY_HTTP_STATUS[status] ?? (status >= 500 ? 'INTERNAL' : 'BAD_REQUEST');
}

/** Turns anything thrown into the one envelope `{code,message,details}`: an HTTP body or a NATS error reply. */
@Catch()
export class AssayErrorFilter implements ExceptionFilter {
  constructor(@Inject(ASSAY_LOGGER) private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost) {
    const { error, httpStatus } = normaliseError(exception);
    if (error.code === 'INTERNAL') this.logger.error({ err: exception }, 'unhandled error');
    if (host.getType() === 'rpc') return throwError(() => error.toEnvelope());
    if (host.getType() !== 'http') return undefined;
    const response = host.switchToHttp().getResponse();
    // The client may be gone (a truncated body), or a stream may have started: then there is nobody to answer.
    if (response.headersSent || response.writableEnded || response.destroyed) return undefined;
    response.status(httpStatus).json(error.toEnvelope());
    return undefined;
  }
}

/** Anything thrown as the envelope's error and its HTTP status (AssayError, Nest's HttpException, body-parser's errors). */
export function normaliseError(exception: unknown): { error: AssayError; httpStatus: number } {
  if (exception instanceof AssayError) return { error: exception, httpStatus: HTTP_STATUS_BY_CODE[exception.code] };
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    return { error: new AssayError(codeOfStatus(status), exception.message), httpStatus: status };
  }
  // body-parser's errors carry a status (413 too large, 415 charset or Content-Encoding, 400 bad JSON or a
  // truncated body) and a type; their messages are meant for the client (`expose`).
  const { status, type, expose } = (exception ?? {}) as { status?: unknown; type?: unknown; expose?: unknown };
  if (typeof status === 'number' && status >= 400 && status < 500 && expose !== false) {
    const details = typeof type === 'string' ? { type } : {};
    return { error: new AssayError(codeOfStatus(status), (exception as Error).message, details), httpStatus: status };
  }
  const error = AssayError.from(exception);
  return { error, httpStatus: HTTP_STATUS_BY_CODE[error.code] };
}
