import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Inject } from '@nestjs/common';
import { Logger } from 'pino';
import { throwError } from 'rxjs';
import { AssayError, ErrorCode, HTTP_STATUS_BY_CODE } from '@assay/contracts';
import { ASSAY_LOGGER } from './tokens';

const CODE_BY_HTTP_STATUS: Record<number, ErrorCode> = {
  400: 'BAD_REQUEST',
  401: 'BAD_REQUEST',
  403: 'BAD_REQUEST',
  404: 'NOT_FOUND',
  408: 'TIMEOUT',
  413: 'PAYLOAD_TOO_LARGE',
  422: 'BAD_REQUEST',
  503: 'UNAVAILABLE',
  504: 'TIMEOUT',
};

/** Turns anything thrown into the one envelope `{code,message,details}`: an HTTP body or a NATS error reply. */
@Catch()
export class AssayErrorFilter implements ExceptionFilter {
  constructor(@Inject(ASSAY_LOGGER) private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost) {
    const { error, httpStatus } = this.normalise(exception);
    if (error.code === 'INTERNAL') this.logger.error({ err: exception }, 'unhandled error');
    if (host.getType() === 'rpc') return throwError(() => error.toEnvelope());
    if (host.getType() !== 'http') return undefined;
    const response = host.switchToHttp().getResponse();
    response.status(httpStatus).json(error.toEnvelope());
    return undefined;
  }

  private normalise(exception: unknown): { error: AssayError; httpStatus: number } {
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const code = CODE_BY_HTTP_STATUS[status] ?? (status >= 500 ? 'INTERNAL' : 'BAD_REQUEST');
      return { error: new AssayError(code, exception.message), httpStatus: status };
    }
    // body-parser's errors carry a status (413 for oversized bodies, 400 for bad JSON).
    const status = (exception as { status?: number; type?: string })?.status;
    if (typeof status === 'number' && CODE_BY_HTTP_STATUS[status]) {
      return { error: new AssayError(CODE_BY_HTTP_STATUS[status], (exception as Error).message), httpStatus: status };
    }
    const error = AssayError.from(exception);
    return { error, httpStatus: HTTP_STATUS_BY_CODE[error.code] };
  }
}
