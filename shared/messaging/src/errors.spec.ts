import { AssayError, isErrorEnvelope } from './errors';

describe('AssayError', () => {
  it('round-trips through its envelope', () => {
    const error = new AssayError('NOT_FOUND', 'no model x', { id: 'x' });
    expect(error.toEnvelope()).toEqual({ code: 'NOT_FOUND', message: 'no model x', details: { id: 'x' } });
    const back = AssayError.fromEnvelope(error.toEnvelope());
    expect(back).toBeInstanceOf(AssayError);
    expect(back.toEnvelope()).toEqual(error.toEnvelope());
    expect(new AssayError('TIMEOUT', 't').toEnvelope()).toEqual({ code: 'TIMEOUT', message: 't', details: {} });
  });

  it('always carries details as an object: none is {}, a non-object goes under value, an old envelope gets {}', () => {
    expect(new AssayError('UNAUTHORIZED', 'u').details).toEqual({});
    expect(new AssayError('BAD_REQUEST', 'b', 'why').details).toEqual({ value: 'why' });
    expect(new AssayError('BAD_REQUEST', 'b', [1, 2]).details).toEqual({ value: [1, 2] });
    expect(AssayError.fromEnvelope({ code: 'INTERNAL', message: 'm' } as never).toEnvelope()).toEqual({ code: 'INTERNAL', message: 'm', details: {} });
  });

  it('recognises envelopes only with a known code and a message', () => {
    expect(isErrorEnvelope({ code: 'INTERNAL', message: 'm' })).toBe(true);
    expect(isErrorEnvelope({ code: 'UNAUTHORIZED', message: 'm', details: {} })).toBe(true);
    expect(isErrorEnvelope({ code: 'TEAPOT', message: 'm' })).toBe(false);
    expect(isErrorEnvelope({ code: 'INTERNAL' })).toBe(false);
    expect(isErrorEnvelope({ status: 'error', message: 'Internal server error' })).toBe(false);
    expect(isErrorEnvelope(null)).toBe(false);
    expect(isErrorEnvelope('INTERNAL')).toBe(false);
  });

  it('wraps anything thrown', () => {
    const same = new AssayError('BAD_REQUEST', 'b');
    expect(AssayError.from(same)).toBe(same);
    expect(AssayError.from({ code: 'UNAVAILABLE', message: 'u' }).code).toBe('UNAVAILABLE');
    expect(AssayError.from(new Error('boom')).toEnvelope()).toEqual({ code: 'INTERNAL', message: 'boom', details: {} });
    expect(AssayError.from('text').toEnvelope()).toEqual({ code: 'INTERNAL', message: 'text', details: {} });
  });
});
