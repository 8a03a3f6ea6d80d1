/** Python string semantics that sacreBLEU relies on and JavaScript lacks. */

/** The characters Python's `str.split()` / `str.isspace()` treat as whitespace. */
const PY_WHITESPACE = '\\t\\n\\v\\f\\r\\u001c-\\u001f \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_WHITESPACE_RUN = new RegExp(`[${PY_WHITESPACE}]+`, 'u');
const PY_WHITESPACE_ALL = new RegExp(`[${PY_WHITESPACE}]+`, 'gu');
const PY_TRAILING_WHITESPACE = new RegExp(`[${PY_WHITESPACE}]+$`, 'u');

/** Python's `s.split()`: split on whitespace runs, no empty strings. */
export function pySplit(s: string): string[] {
  return s.split(PY_WHITESPACE_RUN).filter((t) => t !== '');
}

/** Python's `''.join(s.split())`: all whitespace removed. */
export function pyRemoveWhitespace(s: string): string {
  return s.replace(PY_WHITESPACE_ALL, '');
}

/** Python's `s.rstrip()`. */
export function pyRstrip(s: string): string {
  return s.replace(PY_TRAILING_WHITESPACE, '');
}

/** Python indexes strings by code point, JavaScript by UTF-16 unit: work on code points. */
export function codePoints(s: string): string[] {
  return Array.from(s);
}

/** Counts of the items, like Python's `collections.Counter`. */
export function countItems(items: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const it of items) counts.set(it, (counts.get(it) ?? 0) + 1);
  return counts;
}
