import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { AssayError, ErrorCode } from '@assay/contracts';

/**
 * What Node's HTTP server answers by itself, before Nest sees a request: a header block over the limit (431), an
 * `Expect` other than 100-continue (417), a malformed or truncated request (400), a request too slow to arrive
 * (408). Node writes those with an empty body; here they carry the envelope like every other error. Nothing of the
 * request body is read for them.
 */
export function installHttpEdge(server: Server): void {
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    const error = AssayError.badRequest(`Expect: ${String(req.headers.expect).slice(0, 100)} is not supported (only 100-continue)`, { header: 'expect' });
    const body = JSON.stringify(error.toEnvelope());
    res.writeHead(417, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' });
    res.end(body);
  });
  server.on('clientError', (failure: NodeJS.ErrnoException, socket: Duplex) => answerClientError(failure, socket));
}

/** Node's own mapping (lib/_http_server.js socketOnError), with the envelope as the body. */
function clientErrorOf(failure: NodeJS.ErrnoException): { status: number; error: AssayError } {
  const code = failure.code ?? '';
  if (code === 'HPE_HEADER_OVERFLOW') return { status: 431, error: envelope('PAYLOAD_TOO_LARGE', 'request headers are too large', code) };
  if (code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW') return { status: 413, error: envelope('PAYLOAD_TOO_LARGE', 'chunk extensions are too large', code) };
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return { status: 408, error: envelope('TIMEOUT', 'the request did not arrive in time', code) };
  if (code === 'HPE_INVALID_EOF_STATE') return { status: 400, error: envelope('BAD_REQUEST', 'the request ended before its body was complete (shorter than its Content-Length)', code) };
  return { status: 400, error: envelope('BAD_REQUEST', `malformed HTTP request (${failure.message.slice(0, 120)})`, code) };
}

function envelope(code: ErrorCode, message: string, parser: string): AssayError {
  return new AssayError(code, message, { reason: parser });
}

const REASONS: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 413: 'Payload Too Large', 431: 'Request Header Fields Too Large' };

function answerClientError(failure: NodeJS.ErrnoException, socket: Duplex): void {
  // Like Node: answer only when the socket can still carry a whole response, never in the middle of one.
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (failure.code !== 'ECONNRESET' && socket.writable && !inFlight?.headersSent) {
    const { status, error } = clientErrorOf(failure);
    const body = JSON.stringify(error.toEnvelope());
    socket.write(
      `HTTP/1.1 ${status} ${REASONS[status] ?? 'Bad Request'}\r\ncontent-type: application/json; charset=utf-8\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(failure);
}

/** What the HTTP server of an `ASSAY_ROLE=worker` process serves: health, readiness and metrics. */
export const WORKER_HTTP_PATHS = ['/healthz', '/readyz', '/metrics'];

/** Express middleware of a worker: every other route answers 404 with the envelope, naming the role. */
export function workerHttpOnly(service: string) {
  return (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    const path = (req.url ?? '/').split('?')[0];
    if (WORKER_HTTP_PATHS.includes(path)) return next();
    const error = new AssayError('NOT_FOUND', `this ${service} process runs its job workers only (ASSAY_ROLE=worker): send requests to its api`, { role: 'worker', path });
    const body = JSON.stringify(error.toEnvelope());
    res.writeHead(404, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
}
