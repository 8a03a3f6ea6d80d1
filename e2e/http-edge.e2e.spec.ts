import net from 'node:net';
import { gzipSync } from 'node:zlib';
import { AssayError } from '@assay/contracts';
import { forgeTinyModel, PlatformHarness } from '@assay/testing';
import { LikelihoodModule } from '../services/likelihood/src/likelihood.module';

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * One request written byte for byte on a TCP socket (no client library to fix it up), the response read until the
 * server closes. `halfClose` ends our side after writing, as a client that sends less than its Content-Length does.
 */
function rawRequest(port: number, head: string, body: Buffer | string = '', options: { halfClose?: boolean } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    socket.setTimeout(15_000, () => socket.destroy(new Error('no response within 15 s')));
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', (error) => (chunks.length ? undefined : reject(error)));
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      if (split < 0) return reject(new Error(`no HTTP response: ${JSON.stringify(text.slice(0, 200))}`));
      const [statusLine, ...lines] = text.slice(0, split).split('\r\n');
      const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: text.slice(split + 4) });
    });
    socket.write(head.replace(/\n/g, '\r\n') + '\r\n');
    socket.write(body);
    if (options.halfClose) socket.end();
  });
}

/** The envelope of a response, checked to be one: code, message, and details as an object. */
function envelopeOf(response: RawResponse): { code: string; message: string; details: Record<string, unknown> } {
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  const body = JSON.parse(response.body);
  expect(AssayError.isEnvelope(body)).toBe(true);
  expect(typeof body.details).toBe('object');
  expect(Array.isArray(body.details)).toBe(false);
  return body;
}

const VALID = JSON.stringify({ model: 'tiny', items: [{ context: 'hello', continuation: ' world' }] });

/** Issue 16 F4 and Operability 1: the HTTP edge of a real service (likelihood) answers every refusal with the envelope. */
describe('HTTP edge of a service (raw requests, real NATS and S3 server)', () => {
  const harness = new PlatformHarness('http-edge');
  let port: number;
  const post = (headers: string[], length: number) => [`POST /v1/score HTTP/1.1`, 'host: localhost', 'connection: close', ...headers, `content-length: ${length}`, ''].join('\n');

  beforeAll(async () => {
    await harness.start();
    const dir = await forgeTinyModel({ texts: ['hello world, hello there'], vocabSize: 270 });
    await harness.registry.push(dir, { name: 'tiny', version: '1', provenance: { kind: 'forged' } });
    await harness.startService(LikelihoodModule, 'likelihood');
    port = Number(new URL(await harness.url('likelihood')).port);
  }, 120_000);
  afterAll(() => harness.close());

  it('answers a request without a key 401 UNAUTHORIZED before reading, inflating or parsing its body', async () => {
    const cases: Array<[string, string[], Buffer | string, number?]> = [
      ['plain', ['content-type: application/json'], VALID],
      ['bad charset', ['content-type: application/json; charset=latin1'], VALID],
      ['bad encoding', ['content-type: application/json', 'content-encoding: compress'], VALID],
      ['not gzip', ['content-type: application/json', 'content-encoding: gzip'], 'this is not gzip'],
      ['over the body limit', ['content-type: application/json'], '{"model":', 50_000_000],
      ['wrong key', ['content-type: application/json', 'x-api-key: nope'], VALID],
    ];
    for (const [label, headers, body, length] of cases) {
      const response = await rawRequest(port, post(headers, length ?? Buffer.byteLength(body)), body);
      expect({ label, status: response.status }).toEqual({ label, status: 401 });
      const envelope = envelopeOf(response);
      expect(envelope.code).toBe('UNAUTHORIZED');
      expect(envelope.details).toEqual({});
    }
  });

  it('answers an unsupported charset or Content-Encoding 415 with the envelope, and still inflates gzip', async () => {
    for (const headers of [
      ['content-type: application/json; charset=latin1'],
      ['content-type: application/json; charset=utf-16'],
      ['content-type: application/json; charset=klingon'],
      ['content-type: application/json', 'content-encoding: compress'],
    ]) {
      const response = await rawRequest(port, post([...headers, 'x-api-key: test-key'], VALID.length), VALID);
      expect({ headers, status: response.status }).toEqual({ headers, status: 415 });
      const envelope = envelopeOf(response);
      expect(envelope.code).toBe('BAD_REQUEST');
      expect(envelope.message).toMatch(/unsupported (charset|content encoding)/);
    }
    const gzipped = gzipSync(VALID);
    const ok = await rawRequest(port, post(['content-type: application/json', 'content-encoding: gzip', 'x-api-key: test-key'], gzipped.length), gzipped);
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body).results[0].numTokens).toBeGreaterThan(0);
  });

  it('refuses invalid UTF-8 in a JSON body over HTTP as over NATS', async () => {
    const bytes = Buffer.concat([Buffer.from('{"model":"tiny","items":[{"context":"'), Buffer.from([0xff, 0xfe, 0x81]), Buffer.from('","continuation":" x"}]}')]);
    const http = await rawRequest(port, post(['content-type: application/json', 'x-api-key: test-key'], bytes.length), bytes);
    expect(http.status).toBe(400);
    expect(envelopeOf(http)).toMatchObject({ code: 'BAD_REQUEST', message: 'request body is not valid UTF-8' });
    const nats = await harness.nc.request(harness.subject('assay.likelihood.score'), bytes, { timeout: 5000 });
    expect(JSON.parse(new TextDecoder().decode(nats.data)).err).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('UTF-8'), details: {} });
  });

  it('answers 417, 431 and a body shorter than its Content-Length with the envelope', async () => {
    const expectation = await rawRequest(port, post(['content-type: application/json', 'x-api-key: test-key', 'expect: teapot'], VALID.length), VALID);
    expect(expectation.status).toBe(417);
    expect(envelopeOf(expectation).code).toBe('BAD_REQUEST');

    const huge = await rawRequest(port, post(['content-type: application/json', `x-padding: ${'a'.repeat(20_000)}`], VALID.length), VALID);
    expect(huge.status).toBe(431);
    expect(envelopeOf(huge).code).toBe('PAYLOAD_TOO_LARGE');

    const short = await rawRequest(port, post(['content-type: application/json', 'x-api-key: test-key'], 1000), VALID.slice(0, 20), { halfClose: true });
    expect(short.status).toBe(400);
    expect(envelopeOf(short)).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('Content-Length') });

    const garbage = await rawRequest(port, 'NOT-HTTP at all\n', '', { halfClose: true });
    expect(garbage.status).toBe(400);
    expect(envelopeOf(garbage).code).toBe('BAD_REQUEST');

    // The service is still there and answers a good request.
    const ok = await rawRequest(port, post(['content-type: application/json', 'x-api-key: test-key'], VALID.length), VALID);
    expect(ok.status).toBe(200);
  });

  it('gives every error details, an object: bad JSON, a schema violation, an unknown model, a missing route', async () => {
    const cases: Array<[string, string, number, string]> = [
      ['/v1/score', '{"model": ', 400, 'BAD_REQUEST'],
      ['/v1/score', JSON.stringify({ model: 'tiny', items: [] }), 400, 'BAD_REQUEST'],
      ['/v1/score', JSON.stringify({ model: 'nope', items: [{ context: 'a', continuation: 'b' }] }), 404, 'NOT_FOUND'],
      ['/v1/nowhere', VALID, 404, 'NOT_FOUND'],
    ];
    for (const [path, body, status, code] of cases) {
      const head = [`POST ${path} HTTP/1.1`, 'host: localhost', 'connection: close', 'content-type: application/json', 'x-api-key: test-key', `content-length: ${Buffer.byteLength(body)}`, ''].join('\n');
      const response = await rawRequest(port, head, body);
      expect({ path, body, status: response.status }).toEqual({ path, body, status });
      expect(envelopeOf(response).code).toBe(code);
    }
  });
});
