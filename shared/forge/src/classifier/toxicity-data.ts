import { SeededRng, shuffledIndices } from '../train/rng';
import { parseCsvRecords } from './csv';

export type ToxicityLabel = 0 | 1;
/** The licensed toxicity sets, and `wikitext`: encyclopedic text added as non-toxic examples by some recipes. */
export type ToxicitySource = 'davidson' | 'hatecheck' | 'toxigen' | 'wikitext';

export interface ToxicityExample {
  text: string;
  /** 1 = toxic (hateful or offensive), 0 = not. */
  label: ToxicityLabel;
  source: ToxicitySource;
  /**
   * Examples sharing a group always land in the same split. HateCheck cases are filled-in templates
   * ("I hate [IDENTITY]."), so a random split would test on near copies of training cases.
   */
  group?: string;
}

export interface ToxicitySplits {
  train: ToxicityExample[];
  validation: ToxicityExample[];
  test: ToxicityExample[];
}

export interface SplitOptions {
  seed: number;
  /** Defaults to 0.1. */
  validationFraction?: number;
  /** Defaults to 0.1. */
  testFraction?: number;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/**
 * Tweet clean-up for training only: decodes HTML entities (the dump holds `&amp;`, `&#128514;`) and
 * replaces user handles and URLs by placeholders, so the vocabulary is not spent on names.
 */
export function cleanTweet(raw: string): string {
  return raw
    .replace(/&#(\d+);?/g, (m, code: string) => safeCodePoint(Number(code)) ?? m)
    .replace(/&#x([0-9a-f]+);?/gi, (m, code: string) => safeCodePoint(parseInt(code, 16)) ?? m)
    .replace(/&([a-z]+);/gi, (m, name: string) => ENTITIES[name.toLowerCase()] ?? m)
    .replace(/https?:\/\/\S+/gi, 'URL')
    .replace(/@\w+/g, '@user')
    .replace(/\s+/g, ' ')
    .trim();
}

function safeCodePoint(code: number): string | undefined {
  return Number.isInteger(code) && code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : undefined;
}

/** Davidson et al. `labeled_data.csv`: class 0 (hate) and 1 (offensive) are toxic, 2 (neither) is not. */
export function parseDavidsonCsv(content: string): ToxicityExample[] {
  return parseCsvRecords(content).map((r, n) => {
    const cls = r['class'];
    if (cls !== '0' && cls !== '1' && cls !== '2') throw new Error(`davidson row ${n + 2}: class ${JSON.stringify(cls)}`);
    return { text: cleanTweet(r['tweet']), label: cls === '2' ? 0 : 1, source: 'davidson' as const };
  });
}

/** HateCheck `test_suite_cases.csv`: `label_gold` hateful → 1, non-hateful → 0; grouped by template. */
export function parseHateCheckCsv(content: string): ToxicityExample[] {
  return parseCsvRecords(content).map((r, n) => {
    const gold = r['label_gold'];
    if (gold !== 'hateful' && gold !== 'non-hateful') throw new Error(`hatecheck row ${n + 2}: label_gold ${JSON.stringify(gold)}`);
    const text = r['test_case'].trim();
    return { text, label: gold === 'hateful' ? 1 : 0, source: 'hatecheck' as const, group: `hatecheck:templ:${r['templ_id'] || text}` };
  });
}

/**
 * ToxiGen `demonstrations.jsonl`: `hate` → 1, `neutral` → 0. Some sentences sit in two upstream files;
 * repeats of a text (case-insensitive) are dropped.
 */
export function parseToxigenJsonl(content: string): ToxicityExample[] {
  const seen = new Set<string>();
  const out: ToxicityExample[] = [];
  content.split('\n').forEach((line, n) => {
    if (!line.trim()) return;
    const record = JSON.parse(line) as { text?: unknown; label?: unknown };
    if (typeof record.text !== 'string' || (record.label !== 'hate' && record.label !== 'neutral')) {
      throw new Error(`toxigen line ${n + 1}: needs string text and label hate|neutral`);
    }
    const text = record.text.trim();
    const key = text.toLowerCase();
    if (!text || seen.has(key)) return;
    seen.add(key);
    out.push({ text, label: record.label === 'hate' ? 1 : 0, source: 'toxigen' });
  });
  return out;
}

/**
 * Deterministic split stratified by (source, label): within each stratum the groups (or single
 * examples) are shuffled with `seed` and dealt to test, then validation, until each holds its share.
 * A group never straddles two splits.
 */
export function splitToxicityExamples(examples: readonly ToxicityExample[], options: SplitOptions): ToxicitySplits {
  const valFraction = options.validationFraction ?? 0.1;
  const testFraction = options.testFraction ?? 0.1;
  if (!(valFraction >= 0 && testFraction >= 0 && valFraction + testFraction < 1)) {
    throw new Error(`bad split fractions: validation ${valFraction}, test ${testFraction}`);
  }
  // Units are whole groups (or single examples); a group joins the stratum of its first example.
  const units = new Map<string, ToxicityExample[]>();
  examples.forEach((ex, i) => {
    const key = ex.group ?? `#${i}`;
    const unit = units.get(key);
    if (unit) unit.push(ex);
    else units.set(key, [ex]);
  });
  const strata = new Map<string, ToxicityExample[][]>();
  for (const unit of units.values()) {
    const key = `${unit[0].source}:${unit[0].label}`;
    const list = strata.get(key);
    if (list) list.push(unit);
    else strata.set(key, [unit]);
  }
  const rng = new SeededRng(options.seed);
  const splits: ToxicitySplits = { train: [], validation: [], test: [] };
  for (const key of [...strata.keys()].sort()) {
    const stratum = strata.get(key)!;
    const total = stratum.reduce((s, u) => s + u.length, 0);
    const testTarget = Math.round(total * testFraction);
    const valTarget = Math.round(total * valFraction);
    let inTest = 0;
    let inVal = 0;
    for (const u of shuffledIndices(stratum.length, rng)) {
      const unit = stratum[u];
      if (inTest < testTarget) {
        splits.test.push(...unit);
        inTest += unit.length;
      } else if (inVal < valTarget) {
        splits.validation.push(...unit);
        inVal += unit.length;
      } else splits.train.push(...unit);
    }
  }
  return splits;
}

export type BalanceMode = 'undersample' | 'oversample';

/**
 * Equalizes the label counts: `undersample` keeps a seeded random subset of the larger class,
 * `oversample` repeats seeded draws of the smaller one. Output order is shuffled.
 */
export function balanceByLabel(examples: readonly ToxicityExample[], mode: BalanceMode, seed: number): ToxicityExample[] {
  const rng = new SeededRng(seed);
  const byLabel = [examples.filter((e) => e.label === 0), examples.filter((e) => e.label === 1)];
  if (byLabel[0].length === 0 || byLabel[1].length === 0) return [...examples];
  const target = mode === 'undersample' ? Math.min(byLabel[0].length, byLabel[1].length) : Math.max(byLabel[0].length, byLabel[1].length);
  const out: ToxicityExample[] = [];
  for (const group of byLabel) {
    const order = shuffledIndices(group.length, rng);
    for (let k = 0; k < target; k++) out.push(group[k < group.length ? order[k] : rng.nextInt(group.length)]);
  }
  return shuffledIndices(out.length, rng).map((i) => out[i]);
}

/** Counts per source and label, for reports. */
export function countBySourceAndLabel(examples: readonly ToxicityExample[]): Record<string, { toxic: number; nonToxic: number }> {
  const counts: Record<string, { toxic: number; nonToxic: number }> = {};
  for (const ex of examples) {
    const c = (counts[ex.source] ??= { toxic: 0, nonToxic: 0 });
    if (ex.label === 1) c.toxic++;
    else c.nonToxic++;
  }
  return counts;
}
