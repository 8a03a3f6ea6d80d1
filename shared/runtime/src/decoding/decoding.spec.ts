import { IncrementalDetokenizer } from './incremental-detokenizer';
import { StopStringMatcher } from './stop-strings';

// A byte-level "tokenizer": each id is a byte sequence; decoding is UTF-8 with replacement characters.
const TOKENS: Record<number, number[]> = {
  1: [...Buffer.from('Hel')],
  2: [...Buffer.from('lo ')],
  3: [0xe2], // first byte of '€' (e2 82 ac)
  4: [0x82, 0xac],
  5: [...Buffer.from('!')],
  6: [0xff], // never valid
};
const decode = (ids: number[]): string => new TextDecoder().decode(Uint8Array.from(ids.flatMap((id) => TOKENS[id])));

describe('IncrementalDetokenizer', () => {
  it('emits per-token text whose concatenation is the full decode, holding split characters back', () => {
    const ids = [1, 2, 3, 4, 5];
    const d = new IncrementalDetokenizer(decode);
    const deltas = ids.map((id) => d.push(id));
    expect(deltas).toEqual(['Hel', 'lo ', '', '€', '!']);
    expect(deltas.join('') + d.flush()).toBe(decode(ids));
  });

  it('flushes an unfinished character as U+FFFD, like a one-shot decode', () => {
    const ids = [1, 3];
    const d = new IncrementalDetokenizer(decode);
    const text = ids.map((id) => d.push(id)).join('') + d.flush();
    expect(text).toBe(decode(ids));
    expect(text.endsWith('\uFFFD')).toBe(true);
  });

  it('recovers after an invalid byte', () => {
    const ids = [6, 1, 2];
    const d = new IncrementalDetokenizer(decode);
    expect(ids.map((id) => d.push(id)).join('') + d.flush()).toBe(decode(ids));
  });
});

describe('StopStringMatcher', () => {
  it('finds a stop string completed across deltas and prefers the earliest', () => {
    const m = new StopStringMatcher(['END', 'lo w']);
    expect(m.find('Hel', 3)).toBeUndefined();
    expect(m.find('Hello w', 4)).toEqual({ index: 3, stop: 'lo w' });
    expect(new StopStringMatcher(['bc', 'abc']).find('xabc', 1)).toEqual({ index: 1, stop: 'abc' });
  });

  it('only searches the tail the newest delta could complete', () => {
    const m = new StopStringMatcher(['ab']);
    // "ab" lies entirely before the tail reachable from a 1-char delta: it was already checked earlier.
    expect(m.find('abxxxx', 1)).toBeUndefined();
    expect(m.find('xxxxa', 1)).toBeUndefined();
    expect(m.find('xxxxab', 1)).toEqual({ index: 4, stop: 'ab' });
    expect(new StopStringMatcher([]).active).toBe(false);
  });
});
