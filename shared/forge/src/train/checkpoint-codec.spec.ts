import { decodeCheckpoint, encodeCheckpoint } from './checkpoint-codec';

describe('checkpoint binary codec', () => {
  const value = {
    format: 'x/1',
    step: 17,
    best: null,
    flags: [true, false],
    weights: { a: new Float32Array([1.5, -2, Math.PI]), nested: [{ b: new Float32Array(0) }, new Float32Array([7])] },
    note: 'héllo',
  };

  it('round-trips JSON values and Float32Array leaves bit-exactly', () => {
    const bytes = encodeCheckpoint(value);
    expect(new TextDecoder().decode(bytes.subarray(0, 8))).toBe('ASSAYCK1');
    const back = decodeCheckpoint<typeof value>(bytes);
    expect(back).toEqual(value);
    expect(back.weights.a).toBeInstanceOf(Float32Array);
    expect(back.weights.a[2]).toBe(Math.fround(Math.PI));
  });

  it('places float data 4-byte aligned after the header, in order', () => {
    const bytes = encodeCheckpoint({ x: new Float32Array([1, 2]), y: new Float32Array([3]) });
    const headerLength = new DataView(bytes.buffer).getUint32(8, true);
    const dataStart = Math.ceil((12 + headerLength) / 4) * 4;
    expect(bytes.length).toBe(dataStart + 12);
    const view = new DataView(bytes.buffer, dataStart);
    expect([0, 4, 8].map((o) => view.getFloat32(o, true))).toEqual([1, 2, 3]);
  });

  it('decodes from an unaligned view (e.g. a slice of a larger Buffer)', () => {
    const bytes = encodeCheckpoint(value);
    const padded = new Uint8Array(bytes.length + 3);
    padded.set(bytes, 3);
    expect(decodeCheckpoint(padded.subarray(3))).toEqual(value);
  });

  it('drops undefined fields and rejects what it cannot represent', () => {
    expect(decodeCheckpoint(encodeCheckpoint({ a: 1, b: undefined }))).toEqual({ a: 1 });
    expect(() => encodeCheckpoint({ a: new Float64Array(2) })).toThrow(/Float32Array only/);
    expect(() => encodeCheckpoint({ a: Infinity })).toThrow(/non-finite/);
    expect(() => encodeCheckpoint({ $f32: 1 })).toThrow(/reserved/);
  });

  it('rejects foreign or truncated bytes', () => {
    expect(() => decodeCheckpoint(new TextEncoder().encode('not a checkpoint at all'))).toThrow(/bad magic/);
    const bytes = encodeCheckpoint(value);
    expect(() => decodeCheckpoint(bytes.subarray(0, bytes.length - 4))).toThrow(/truncated/);
  });
});
