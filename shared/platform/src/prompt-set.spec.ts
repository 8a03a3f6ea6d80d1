import { normalizeInlinePrompts, parsePromptSet, visitOrder } from './prompt-set';

describe('prompt sets', () => {
  it('parses JSONL rows with prompt and optional reference, and JSON string rows', () => {
    const text = '{"prompt":"Hello","reference":"Bonjour"}\n\n{"prompt":"Bye"}\r\n"Plain"\n';
    expect(parsePromptSet(text, 'sets/x.jsonl')).toEqual([{ prompt: 'Hello', reference: 'Bonjour' }, { prompt: 'Bye' }, { prompt: 'Plain' }]);
  });

  it('detects JSONL by content when the name does not say so', () => {
    expect(parsePromptSet('{"prompt":"a"}\n', 'sets/x')).toEqual([{ prompt: 'a' }]);
  });

  it('reads any other file as one prompt per non-empty line', () => {
    expect(parsePromptSet('\uFEFFfirst line\n\n second \n', 'sets/p.txt')).toEqual([{ prompt: 'first line' }, { prompt: ' second ' }]);
  });

  it('names the bad line of a malformed JSONL file', () => {
    expect(() => parsePromptSet('{"prompt":"a"}\n{oops\n', 'p.jsonl')).toThrow(/p\.jsonl:2: not valid JSON/);
    expect(() => parsePromptSet('{"text":"a"}\n', 'p.jsonl')).toThrow(/p\.jsonl:1: expected/);
    expect(() => parsePromptSet('{"prompt":"a","reference":3}\n', 'p.jsonl')).toThrow(/reference must be a string/);
  });

  it('normalizes inline strings and objects', () => {
    expect(normalizeInlinePrompts(['a', { prompt: 'b', reference: 'c' }])).toEqual([{ prompt: 'a' }, { prompt: 'b', reference: 'c' }]);
  });

  it('visits prompts in a seeded permutation, the same on every call', () => {
    const a = visitOrder(50, true, 7);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(visitOrder(50, true, 7)).toEqual(a);
    expect(visitOrder(50, true, 8)).not.toEqual(a);
    expect(visitOrder(5, false, 7)).toEqual([0, 1, 2, 3, 4]);
  });
});
