import { SeededRng } from '../train/rng';

/**
 * A tiny seeded template grammar for the demo corpus.
 *
 * Template syntax:
 * - `[a|b|c]` picks one alternative (alternatives may nest: `[a [b|c]|d]`; `[a|]` means "a or nothing").
 * - `{slot}` is replaced from the context: a string is used as is; a list yields one element, and repeated
 *   uses of the same list inside one template prefer elements not yet used, so "{symptom} and {symptom}"
 *   names two different symptoms.
 * Alternatives are expanded before slots, so an alternative may contain slots.
 */
export type SlotValue = string | readonly string[];
export type SlotContext = Readonly<Record<string, SlotValue>>;

export class Grammar {
  constructor(private readonly rng: SeededRng) {}

  /** Uniform in [0, 1). */
  next(): number {
    return this.rng.next();
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('cannot pick from an empty list');
    return items[this.rng.nextInt(items.length)];
  }

  /** `count` distinct elements in random order (all of them when count exceeds the length). */
  sample<T>(items: readonly T[], count: number): T[] {
    const pool = [...items];
    const out: T[] = [];
    while (out.length < count && pool.length > 0) out.push(pool.splice(this.rng.nextInt(pool.length), 1)[0]);
    return out;
  }

  /** Integer in [lo, hi]. */
  between(lo: number, hi: number): number {
    return lo + this.rng.nextInt(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.rng.next() < p;
  }

  expand(template: string, context: SlotContext): string {
    let text = template;
    // Innermost alternation first, so nested groups resolve from the inside out.
    const group = /\[([^[\]]*)\]/;
    for (let m = group.exec(text); m !== null; m = group.exec(text)) {
      text = text.slice(0, m.index) + this.pick(m[1].split('|')) + text.slice(m.index + m[0].length);
    }
    const used = new Map<string, Set<string>>();
    text = text.replace(/\{(\w+)\}/g, (_, key: string) => {
      const value = context[key];
      if (value === undefined) throw new Error(`template slot {${key}} has no value`);
      if (typeof value === 'string') return value;
      const seen = used.get(key) ?? new Set<string>();
      used.set(key, seen);
      const fresh = value.filter((v) => !seen.has(v));
      const choice = this.pick(fresh.length > 0 ? fresh : value);
      seen.add(choice);
      return choice;
    });
    return tidy(text);
  }
}

/** Collapses doubled spaces left by empty alternatives, fixes spacing before punctuation, capitalises sentences. */
export function tidy(text: string): string {
  const spaced = text.replace(/\s+/g, ' ').replace(/\s+([,.;:?!])/g, '$1').trim();
  return spaced.replace(/(^|[.?!]\s+)([a-z])/g, (_, lead: string, c: string) => lead + c.toUpperCase());
}

/** Splits a compact `a|b|c` list literal (keeps the data files short). */
export function list(compact: string): string[] {
  return compact.split('|').map((s) => s.trim()).filter((s) => s.length > 0);
}
