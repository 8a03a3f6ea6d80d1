import { createHash, createHmac, timingSafeEqual } from 'crypto';

/**
 * Verification of AWS Signature Version 4 on S3 requests, header-signed and presigned (query), as the
 * embedded S3 server's gatekeeper (s3rver parses v4 signatures but never checks them). Pure: the request is
 * given as method, raw target (path and query, as sent), headers and the time.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-authenticating-requests.html
 */

export interface SignedRequest {
  method: string;
  /** The request target as received: `/bucket/key%20name?list-type=2&prefix=a`. */
  url: string;
  /** Lowercase names (as Node gives them). */
  headers: Record<string, string | string[] | undefined>;
}

export type SigV4Verdict =
  | { ok: true; accessKey: string }
  | { ok: false; code: 'AccessDenied' | 'InvalidAccessKeyId' | 'SignatureDoesNotMatch' | 'RequestTimeTooSkewed' | 'AuthorizationHeaderMalformed'; message: string };

const ALGORITHM = 'AWS4-HMAC-SHA256';
/** How far a header-signed request's time may be from ours (S3's rule). */
const MAX_SKEW_MS = 15 * 60_000;
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

/** S3's URI encoding: everything but A-Z a-z 0-9 - _ . ~ is percent-encoded (UTF-8, upper-case hex). */
export function awsUriEncode(value: string, keepSlash = false): string {
  const encoded = encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return keepSlash ? encoded.replace(/%2F/g, '/') : encoded;
}

/** Percent-decoding only: in S3 paths and SigV4 queries `+` is a plus sign, not a space. */
function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function sha256Hex(data: string): string {
  return createHash('sha256').update(data, 'utf8').digest('hex');
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/** `20130524T000000Z` → ms since the epoch; NaN when malformed. */
function parseAmzDate(value: string | undefined): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value ?? '');
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : Number.NaN;
}

function headerValue(headers: SignedRequest['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

interface Credential {
  accessKey: string;
  date: string;
  region: string;
  service: string;
  terminator: string;
}

function parseCredential(value: string): Credential | undefined {
  const parts = value.split('/');
  if (parts.length !== 5) return undefined;
  const [accessKey, date, region, service, terminator] = parts;
  return { accessKey, date, region, service, terminator };
}

/** The canonical request of SigV4 for these signed headers and payload hash. */
export function canonicalRequest(request: SignedRequest, signedHeaders: string[], payloadHash: string, dropQuery?: string): string {
  const [rawPath, rawQuery = ''] = request.url.split(/\?(.*)/s);
  const path = rawPath.split('/').map((segment) => awsUriEncode(decode(segment))).join('/');
  const params = rawQuery
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const at = pair.indexOf('=');
      const name = decode(at < 0 ? pair : pair.slice(0, at));
      const value = at < 0 ? '' : decode(pair.slice(at + 1));
      return [awsUriEncode(name), awsUriEncode(value)] as const;
    })
    .filter(([name]) => name !== dropQuery)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  const headers = signedHeaders.map((name) => `${name}:${(headerValue(request.headers, name) ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  return [request.method.toUpperCase(), path || '/', params.map(([k, v]) => `${k}=${v}`).join('&'), headers, signedHeaders.join(';'), payloadHash].join('\n');
}

/** The SigV4 signature of a canonical request (hex). */
export function sigV4Signature(secretKey: string, credential: Credential, amzDate: string, canonical: string): string {
  const scope = `${credential.date}/${credential.region}/${credential.service}/${credential.terminator}`;
  const stringToSign = [ALGORITHM, amzDate, scope, sha256Hex(canonical)].join('\n');
  let key: Buffer = hmac(`AWS4${secretKey}`, credential.date);
  key = hmac(key, credential.region);
  key = hmac(key, credential.service);
  key = hmac(key, credential.terminator);
  return createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
}

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Whether `request` carries a valid SigV4 signature by one of `secrets` (access key → secret key). Unsigned
 * requests, unknown keys, wrong signatures, stale or future dates and expired presigned URLs are refused.
 */
export function verifySigV4(request: SignedRequest, secrets: ReadonlyMap<string, string>, now = Date.now()): SigV4Verdict {
  const authorization = headerValue(request.headers, 'authorization');
  const query = new URLSearchParams(request.url.split(/\?(.*)/s)[1] ?? '');
  const presigned = query.get('X-Amz-Algorithm') !== null;
  if (!authorization && !presigned) return { ok: false, code: 'AccessDenied', message: 'anonymous requests are refused: sign them with AWS Signature Version 4' };
  if (authorization && presigned) return { ok: false, code: 'AuthorizationHeaderMalformed', message: 'only one authentication mechanism is allowed' };

  let credential: Credential | undefined;
  let signedHeaders: string[];
  let provided: string;
  let amzDate: string;
  let payloadHash: string;
  if (authorization) {
    const match = /^AWS4-HMAC-SHA256\s+Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/.exec(authorization.trim());
    if (!match) return { ok: false, code: 'AuthorizationHeaderMalformed', message: 'the Authorization header is not AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…' };
    credential = parseCredential(match[1]);
    signedHeaders = match[2].split(';');
    provided = match[3];
    amzDate = headerValue(request.headers, 'x-amz-date') ?? '';
    payloadHash = headerValue(request.headers, 'x-amz-content-sha256') ?? '';
    if (!payloadHash) return { ok: false, code: 'AuthorizationHeaderMalformed', message: 'x-amz-content-sha256 is required' };
    const at = parseAmzDate(amzDate);
    if (Number.isNaN(at)) return { ok: false, code: 'AccessDenied', message: 'x-amz-date is missing or malformed' };
    if (Math.abs(now - at) > MAX_SKEW_MS) return { ok: false, code: 'RequestTimeTooSkewed', message: 'the request time is more than 15 minutes from the server time' };
  } else {
    if (query.get('X-Amz-Algorithm') !== ALGORITHM) return { ok: false, code: 'AuthorizationHeaderMalformed', message: `X-Amz-Algorithm must be ${ALGORITHM}` };
    credential = parseCredential(query.get('X-Amz-Credential') ?? '');
    signedHeaders = (query.get('X-Amz-SignedHeaders') ?? '').split(';');
    provided = query.get('X-Amz-Signature') ?? '';
    amzDate = query.get('X-Amz-Date') ?? '';
    payloadHash = query.get('X-Amz-Content-Sha256') ?? 'UNSIGNED-PAYLOAD';
    const at = parseAmzDate(amzDate);
    const expires = Number(query.get('X-Amz-Expires'));
    if (Number.isNaN(at) || !Number.isInteger(expires) || expires < 1 || expires > MAX_PRESIGN_SECONDS) {
      return { ok: false, code: 'AccessDenied', message: 'X-Amz-Date or X-Amz-Expires is missing or malformed' };
    }
    if (at - now > MAX_SKEW_MS) return { ok: false, code: 'AccessDenied', message: 'the presigned URL is dated in the future' };
    if (now > at + expires * 1000) return { ok: false, code: 'AccessDenied', message: 'the presigned URL has expired' };
  }
  if (!credential || credential.terminator !== 'aws4_request' || credential.service !== 's3' || credential.date !== amzDate.slice(0, 8)) {
    return { ok: false, code: 'AuthorizationHeaderMalformed', message: 'the credential scope is malformed' };
  }
  if (!signedHeaders.includes('host') || signedHeaders.some((h) => h !== h.toLowerCase() || !h)) {
    return { ok: false, code: 'AuthorizationHeaderMalformed', message: 'SignedHeaders must be lowercase and include host' };
  }
  const secret = secrets.get(credential.accessKey);
  if (secret === undefined) return { ok: false, code: 'InvalidAccessKeyId', message: 'the access key does not exist' };
  const canonical = canonicalRequest(request, signedHeaders, payloadHash, presigned ? 'X-Amz-Signature' : undefined);
  const expected = sigV4Signature(secret, credential, amzDate, canonical);
  if (!sameHex(expected, provided)) return { ok: false, code: 'SignatureDoesNotMatch', message: 'the request signature does not match' };
  return { ok: true, accessKey: credential.accessKey };
}
