import { float16ToFloat32, float32ToFloat16, fromFloat16Bits, toFloat16Bits } from './float16';

describe('float16 bits', () => {
  it('encodes known values exactly (hand-checked bit patterns)', () => {
    expect(toFloat16Bits(0)).toBe(0x0000);
    expect(toFloat16Bits(-0)).toBe(0x8000);
    expect(toFloat16Bits(1)).toBe(0x3c00);
    expect(toFloat16Bits(-2)).toBe(0xc000);
    expect(toFloat16Bits(65504)).toBe(0x7bff); // largest finite half
    expect(toFloat16Bits(65520)).toBe(0x7c00); // rounds up to Infinity
    expect(toFloat16Bits(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(toFloat16Bits(2 ** -14)).toBe(0x0400); // smallest normal
    expect(toFloat16Bits(1 / 3)).toBe(0x3555);
    expect(toFloat16Bits(Infinity)).toBe(0x7c00);
    expect(Number.isNaN(fromFloat16Bits(toFloat16Bits(NaN)))).toBe(true);
  });

  it('rounds half-way cases to even', () => {
    // 1 + 2^-11 lies half-way between 1 and 1 + 2^-10: ties go to the even mantissa (1).
    expect(toFloat16Bits(1 + 2 ** -11)).toBe(0x3c00);
    // 1 + 3·2^-11 lies half-way between 1 + 2^-10 (odd) and 1 + 2^-9 (even).
    expect(toFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    // Subnormal tie: 1.5·2^-24 → 2·2^-24 (even).
    expect(toFloat16Bits(1.5 * 2 ** -24)).toBe(0x0002);
  });

  it('every finite half round-trips through float32', () => {
    const bits = Uint16Array.from({ length: 65536 }, (_, i) => i).filter((b) => ((b >>> 10) & 0x1f) !== 0x1f);
    expect(Array.from(float32ToFloat16(float16ToFloat32(bits)))).toEqual(Array.from(bits));
  });
});
