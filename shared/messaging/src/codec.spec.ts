import { headers } from 'nats';
import { assertFitsPayload, decodeNestEvent, encodeJson, encodeNestEvent, headersSize } from './codec';
import { AssayError } from './errors';

describe('codec', () => {
  it('counts header bytes the way NATS frames them', () => {
    const h = headers();
    h.set('traceparent', '00-abc-def-01');
    expect(headersSize(undefined)).toBe(0);
    expect(headersSize(h)).toBe('NATS/1.0\r\ntraceparent: 00-abc-def-01\r\n\r\n'.length);
    expect(headersSize(h)).toBe((h as unknown as { encode(): Uint8Array }).encode().length);
  });

  it('refuses data plus headers over the limit with PAYLOAD_TOO_LARGE', () => {
    const h = headers();
    h.set('k', 'v');
    const limit = 100;
    const fits = encodeJson('x'.repeat(limit - headersSize(h) - 2));
    expect(() => assertFitsPayload('s', fits, h, limit)).not.toThrow();
    const over = encodeJson('x'.repeat(limit - headersSize(h) - 1));
    expect(() => assertFitsPayload('s', over, h, limit)).toThrow(AssayError);
    try {
      assertFitsPayload('a.b', over, h, limit);
    } catch (error) {
      expect((error as AssayError).code).toBe('PAYLOAD_TOO_LARGE');
      expect((error as AssayError).details).toEqual({ subject: 'a.b', size: limit + 1, limit });
    }
  });

  it('reads Nest event bodies and plain JSON bodies alike', () => {
    expect(decodeNestEvent(encodeNestEvent('a.b', { x: 1 }))).toEqual({ x: 1 });
    expect(decodeNestEvent(encodeJson({ x: 2 }))).toEqual({ x: 2 });
  });
});
