import type { Readable } from 'node:stream';
import type { Response } from 'express';

/**
 * Sends one stored report file (HTML, SVG, JSON) over HTTP: the one way every service serves its reports. The CSP lets
 * a report use its inline styles and its own plots and nothing else, so a report can never run script in the browser.
 */
export function sendReportFile(res: Response, file: { stream: Readable; contentType: string }): void {
  res.status(200).setHeader('content-type', file.contentType);
  res.setHeader('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'");
  file.stream.on('error', () => res.destroy());
  file.stream.pipe(res);
}
