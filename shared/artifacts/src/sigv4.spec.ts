import { awsUriEncode, verifySigV4 } from './sigv4';

// The worked examples of AWS's "Signature Calculations for the Authorization Header" and "Query String
// Authentication" pages (examplebucket, 2013-05-24T00:00:00Z).
const ACCESS = 'AKIAIOSFODNN7EXAMPLE';
const SECRETS = new Map([[ACCESS, 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY']]);
const AT = Date.UTC(2013, 4, 24, 0, 0, 0);
const EMPTY_SHA = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const auth = (signedHeaders: string, signature: string) =>
  `AWS4-HMAC-SHA256 Credential=${ACCESS}/20130524/us-east-1/s3/aws4_request,SignedHeaders=${signedHeaders},Signature=${signature}`;

const getObject = {
  method: 'GET',
  url: '/test.txt',
  headers: {
    host: 'examplebucket.s3.amazonaws.com',
    range: 'bytes=0-9',
    'x-amz-content-sha256': EMPTY_SHA,
    'x-amz-date': '20130524T000000Z',
    authorization: auth('host;range;x-amz-content-sha256;x-amz-date', 'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41'),
  },
};

describe('verifySigV4 against the AWS examples', () => {
  it('accepts the GET Object example', () => {
    expect(verifySigV4(getObject, SECRETS, AT)).toEqual({ ok: true, accessKey: ACCESS });
  });

  it('accepts the PUT Object example (a $ in the key, a signed payload hash)', () => {
    const put = {
      method: 'PUT',
      url: '/test%24file.text',
      headers: {
        host: 'examplebucket.s3.amazonaws.com',
        date: 'Fri, 24 May 2013 00:00:00 GMT',
        'x-amz-date': '20130524T000000Z',
        'x-amz-storage-class': 'REDUCED_REDUNDANCY',
        'x-amz-content-sha256': '44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072',
        authorization: auth('date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class', '98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd'),
      },
    };
    expect(verifySigV4(put, SECRETS, AT).ok).toBe(true);
  });

  it('accepts the GET Bucket lifecycle and list-objects examples (canonical query strings)', () => {
    const base = { host: 'examplebucket.s3.amazonaws.com', 'x-amz-content-sha256': EMPTY_SHA, 'x-amz-date': '20130524T000000Z' };
    const lifecycle = { method: 'GET', url: '/?lifecycle', headers: { ...base, authorization: auth('host;x-amz-content-sha256;x-amz-date', 'fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543') } };
    const list = { method: 'GET', url: '/?max-keys=2&prefix=J', headers: { ...base, authorization: auth('host;x-amz-content-sha256;x-amz-date', '34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7') } };
    expect(verifySigV4(lifecycle, SECRETS, AT).ok).toBe(true);
    expect(verifySigV4(list, SECRETS, AT).ok).toBe(true);
  });

  const presigned = (signature: string) => ({
    method: 'GET',
    url:
      '/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request' +
      `&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=${signature}`,
    headers: { host: 'examplebucket.s3.amazonaws.com' },
  });

  it('accepts the presigned URL example while it is valid, and refuses it once expired', () => {
    const url = presigned('aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404');
    expect(verifySigV4(url, SECRETS, AT + 3600_000).ok).toBe(true);
    expect(verifySigV4(url, SECRETS, AT + 86_401_000)).toMatchObject({ ok: false, code: 'AccessDenied', message: 'the presigned URL has expired' });
  });

  it('refuses a garbage presigned signature, a wrong secret, a tampered request and an unknown key', () => {
    expect(verifySigV4(presigned('0'.repeat(64)), SECRETS, AT)).toMatchObject({ ok: false, code: 'SignatureDoesNotMatch' });
    expect(verifySigV4(getObject, new Map([[ACCESS, 'not-the-secret']]), AT)).toMatchObject({ ok: false, code: 'SignatureDoesNotMatch' });
    expect(verifySigV4({ ...getObject, url: '/other.txt' }, SECRETS, AT)).toMatchObject({ ok: false, code: 'SignatureDoesNotMatch' });
    expect(verifySigV4({ ...getObject, method: 'DELETE' }, SECRETS, AT)).toMatchObject({ ok: false, code: 'SignatureDoesNotMatch' });
    expect(verifySigV4({ ...getObject, headers: { ...getObject.headers, range: 'bytes=0-99' } }, SECRETS, AT)).toMatchObject({ ok: false, code: 'SignatureDoesNotMatch' });
    expect(verifySigV4(getObject, new Map([['SOMEONEELSE', 'x']]), AT)).toMatchObject({ ok: false, code: 'InvalidAccessKeyId' });
  });

  it('refuses anonymous requests, stale dates and malformed headers', () => {
    expect(verifySigV4({ method: 'GET', url: '/test.txt', headers: { host: 'h' } }, SECRETS, AT)).toMatchObject({ ok: false, code: 'AccessDenied' });
    expect(verifySigV4(getObject, SECRETS, AT + 16 * 60_000)).toMatchObject({ ok: false, code: 'RequestTimeTooSkewed' });
    expect(verifySigV4({ ...getObject, headers: { ...getObject.headers, authorization: 'AWS AKIA:abc' } }, SECRETS, AT)).toMatchObject({ ok: false, code: 'AuthorizationHeaderMalformed' });
    const noHost = { ...getObject, headers: { ...getObject.headers, authorization: auth('range;x-amz-content-sha256;x-amz-date', 'f'.repeat(64)) } };
    expect(verifySigV4(noHost, SECRETS, AT)).toMatchObject({ ok: false, code: 'AuthorizationHeaderMalformed' });
  });
});

describe('awsUriEncode', () => {
  it("encodes all but unreserved characters, including !'()* and optionally keeps /", () => {
    expect(awsUriEncode("a b+c!'()*~._-/é")).toBe('a%20b%2Bc%21%27%28%29%2A~._-%2F%C3%A9');
    expect(awsUriEncode('models/a b/x', true)).toBe('models/a%20b/x');
  });
});
