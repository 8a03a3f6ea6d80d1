import { InvalidKeyError } from './errors';
import { MAX_KEY_BYTES, assertValidKey, assertValidName, assertValidPrefix, isValidName, joinKey, keyProblem, prefixProblem } from './keys';

describe('keyProblem', () => {
  it.each([
    'a',
    'models/gpt2-small/20250101-000000-000-abcd/model.onnx',
    'datasets/x=1/y+z@v2/part-0.jsonl',
    'A.B_C-D',
    'a/.hidden/b',
    'a/..b/c',
    'a/b../c',
    'x'.repeat(MAX_KEY_BYTES),
  ])('accepts %j', (key) => {
    expect(keyProblem(key)).toBeNull();
    expect(assertValidKey(key)).toBe(key);
  });

  it.each([
    ['', /empty/],
    ['..', /\.\. segments/],
    ['../etc/passwd', /\.\. segments/],
    ['a/../b', /\.\. segments/],
    ['a/..', /\.\. segments/],
    ['a/./b', /\. segments/],
    ['.', /\. segments/],
    ['/etc/passwd', /absolute/],
    ['/a', /absolute/],
    ['a\\b', /backslash/],
    ['..\\windows', /backslash/],
    ['a//b', /empty segments/],
    ['a/', /empty segments/],
    ['a\u0000b', /NUL/],
    ['a\nb', /control/],
    ['a\tb', /control/],
    ['a\u007fb', /control/],
    ['a b', /may only contain/],
    ['a%2e%2e/b', /may only contain/],
    ['a:b', /may only contain/],
    ['C:/x', /may only contain/],
    ['a?b', /may only contain/],
    ['a#b', /may only contain/],
    ['a*b', /may only contain/],
    ['é', /may only contain/],
    ['a/\u2024\u2024/b', /may only contain/],
    ['x'.repeat(MAX_KEY_BYTES + 1), /at most 512 bytes/],
  ])('rejects %j', (key, why) => {
    expect(keyProblem(key)).toMatch(why);
    expect(() => assertValidKey(key)).toThrow(InvalidKeyError);
  });

  it.each([undefined, null, 42, {}, ['a']])('rejects non-string %p', (key) => {
    expect(keyProblem(key)).toBe('must be a string');
    expect(() => assertValidKey(key)).toThrow(InvalidKeyError);
  });

  it('does not echo huge keys into the error message', () => {
    const key = `${'y'.repeat(2000)}/..`;
    expect(() => assertValidKey(key)).toThrow(/^invalid object key "y{80}…"/);
  });
});

describe('prefixProblem', () => {
  it.each(['', 'models/', 'models/x', 'models/x/1/'])('accepts %j', (prefix) => {
    expect(prefixProblem(prefix)).toBeNull();
    expect(assertValidPrefix(prefix)).toBe(prefix);
  });

  it.each(['/', '/models/', 'models//', '../', 'a/../', 'a\\b/', 'a b/'])('rejects %j', (prefix) => {
    expect(prefixProblem(prefix)).not.toBeNull();
    expect(() => assertValidPrefix(prefix)).toThrow(InvalidKeyError);
  });
});

describe('model names and versions', () => {
  it.each(['gpt2', 'a', '0', 'med-guide', 'v1.2.3', 'x_y', '20250101-000000-000-abcd', 'a'.repeat(64)])('accepts %j', (name) => {
    expect(isValidName(name)).toBe(true);
    expect(assertValidName(name)).toBe(name);
  });

  it.each(['', 'GPT2', 'Med', '-a', '.a', '_a', 'a/b', 'a b', 'a@1', 'a+b', '..', 'a'.repeat(65), 'é'])('rejects %j', (name) => {
    expect(isValidName(name)).toBe(false);
    expect(() => assertValidName(name, 'version')).toThrow(/invalid version/);
  });

  it('rejects non-strings', () => {
    expect(isValidName(undefined)).toBe(false);
    expect(isValidName(7)).toBe(false);
  });
});

describe('joinKey', () => {
  it('joins and validates', () => {
    expect(joinKey('models', 'x', '1', 'model.onnx')).toBe('models/x/1/model.onnx');
    expect(() => joinKey('models', '..', 'x')).toThrow(InvalidKeyError);
    expect(() => joinKey('models', '', 'x')).toThrow(InvalidKeyError);
  });
});
