/**
 * The reward head's built-in preference sets (issue 11 §3), built from the licensed local datasets (shared/data):
 * parsing is pure (file contents in, records out); `readBuiltinPreferences` reads the files. Every set comes split
 * into `train` and `heldOut` by one seeded rule (holdOut), the held-out part kept apart for evaluation only:
 *  - hh_rlhf_harmless_test: Anthropic HH harmless-base test, each "\n\nHuman: … \n\nAssistant: …" transcript split
 *    into turns; the shared conversation is the context, the two final assistant turns are chosen and rejected.
 *  - mmlu, medqa_usmle, medmcqa: multiple choice as pairs, the right option against each wrong one (spec §5), the
 *    question with its lettered options as the prompt and "B. <option>" as the answer (spec §4); the held-out
 *    questions are also given as multiple-choice items, for DPH vs log accuracy.
 *  - toxicity: labelled texts (ToxiGen, HateCheck, Davidson) as pairs, a non-toxic text chosen over a toxic one,
 *    both answers to the same prompt (the target group's where the set names it).
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { parseCsvRecords } from '../classifier/csv';
import { parseDavidsonCsv, parseHateCheckCsv, parseToxigenJsonl } from '../classifier/toxicity-data';
import { holdOut } from '../recipes/hold-out';

export interface PreferenceTurn {
  role: string;
  content: string;
}

export interface PreferenceRecord {
  messages: PreferenceTurn[];
  chosen: string;
  rejected: string;
}

export interface ChoiceRecord {
  messages: PreferenceTurn[];
  choices: string[];
  label: number;
}

export interface McQuestion {
  question: string;
  options: string[];
  label: number;
}

export const BUILTIN_PREFERENCE_SETS = ['hh_rlhf_harmless_test', 'mmlu', 'medqa_usmle', 'medmcqa', 'toxicity'] as const;
export type BuiltinPreferenceSet = (typeof BUILTIN_PREFERENCE_SETS)[number];

export interface BuiltinPreferences {
  name: BuiltinPreferenceSet;
  train: PreferenceRecord[];
  heldOut: PreferenceRecord[];
  /** Multiple-choice sets: the held-out questions as items (their pairs are in heldOut). */
  heldOutChoices?: ChoiceRecord[];
}

const LETTERS = 'ABCDEFGHIJ';

/** One HH transcript as turns: "\n\nHuman: …" → user, "\n\nAssistant: …" → assistant. */
export function parseHhTranscript(text: string): PreferenceTurn[] {
  const turns: PreferenceTurn[] = [];
  const re = /\n\n(Human|Assistant):/g;
  const marks = [...text.matchAll(re)];
  marks.forEach((m, i) => {
    const start = m.index! + m[0].length;
    const end = i + 1 < marks.length ? marks[i + 1].index! : text.length;
    turns.push({ role: m[1] === 'Human' ? 'user' : 'assistant', content: text.slice(start, end).trim() });
  });
  return turns;
}

/** HH-RLHF JSONL {chosen, rejected}: pairs whose transcripts share everything but the final assistant turn. */
export function parseHhRlhf(jsonl: string): PreferenceRecord[] {
  const out: PreferenceRecord[] = [];
  for (const line of jsonl.split('\n')) {
    if (!line.trim()) continue;
    const record = JSON.parse(line) as { chosen?: unknown; rejected?: unknown };
    if (typeof record.chosen !== 'string' || typeof record.rejected !== 'string') continue;
    const chosen = parseHhTranscript(record.chosen);
    const rejected = parseHhTranscript(record.rejected);
    const last = chosen[chosen.length - 1];
    const lastRejected = rejected[rejected.length - 1];
    if (!last || !lastRejected || last.role !== 'assistant' || lastRejected.role !== 'assistant') continue;
    const context = chosen.slice(0, -1);
    const same = context.length === rejected.length - 1 && context.every((t, i) => t.role === rejected[i].role && t.content === rejected[i].content);
    if (!same || context.length === 0 || context[context.length - 1].role !== 'user' || last.content === lastRejected.content || !last.content || !lastRejected.content) continue;
    out.push({ messages: context, chosen: last.content, rejected: lastRejected.content });
  }
  return out;
}

/** MedQA / MedMCQA JSONL: `question`, `options` {"A": …}, `answer_idx`. */
export function parseLetteredJsonl(jsonl: string): McQuestion[] {
  const out: McQuestion[] = [];
  for (const line of jsonl.split('\n')) {
    if (!line.trim()) continue;
    const r = JSON.parse(line) as { question?: unknown; options?: Record<string, unknown>; answer_idx?: unknown };
    if (typeof r.question !== 'string' || typeof r.options !== 'object' || r.options === null) continue;
    const entries = Object.entries(r.options).filter((e): e is [string, string] => /^[A-J]$/.test(e[0]) && typeof e[1] === 'string').sort((a, b) => (a[0] < b[0] ? -1 : 1));
    const label = entries.findIndex(([k]) => k === r.answer_idx);
    if (entries.length >= 2 && label >= 0) out.push({ question: r.question, options: entries.map((e) => e[1]), label });
  }
  return out;
}

/** MMLU CSV rows without a header: question, A, B, C, D, answer letter. */
export function parseMmluCsv(csv: string): McQuestion[] {
  const rows = parseCsvRecords('question,A,B,C,D,answer\n' + csv);
  return rows
    .map((r) => ({ question: r.question, options: [r.A, r.B, r.C, r.D], label: LETTERS.indexOf(r.answer?.trim() ?? '') }))
    .filter((q) => q.question && q.options.every((o) => typeof o === 'string') && q.label >= 0 && q.label < 4);
}

/** A question as the user's turn (question, lettered options, "Answer:") and each option as "B. <text>" (spec §4). */
export function choiceRecord(q: McQuestion): ChoiceRecord {
  const prompt = `${q.question}\n${q.options.map((o, i) => `${LETTERS[i]}. ${o}`).join('\n')}\nAnswer:`;
  return { messages: [{ role: 'user', content: prompt }], choices: q.options.map((o, i) => `${LETTERS[i]}. ${o}`), label: q.label };
}

/** A multiple-choice item as pairs: the right choice against each wrong one. */
export function choicePairs(item: ChoiceRecord): PreferenceRecord[] {
  return item.choices.filter((_, i) => i !== item.label).map((wrong) => ({ messages: item.messages, chosen: item.choices[item.label], rejected: wrong }));
}

/** Labelled texts as pairs: non-toxic chosen over toxic, the i-th of each list, with one prompt per pair. */
export function toxicityPairs(nonToxic: readonly string[], toxic: readonly string[], prompt = 'Say something.'): PreferenceRecord[] {
  const n = Math.min(nonToxic.length, toxic.length);
  return Array.from({ length: n }, (_, i) => ({ messages: [{ role: 'user', content: prompt }], chosen: nonToxic[i], rejected: toxic[i] }));
}

function splitMc(name: BuiltinPreferenceSet, questions: McQuestion[], heldOutFraction: number, seed: number): BuiltinPreferences {
  const items = questions.map(choiceRecord);
  const { train, heldOut } = holdOut(items, heldOutFraction, seed);
  return { name, train: train.flatMap(choicePairs), heldOut: heldOut.flatMap(choicePairs), heldOutChoices: heldOut };
}

function splitPairs(name: BuiltinPreferenceSet, pairs: PreferenceRecord[], heldOutFraction: number, seed: number): BuiltinPreferences {
  const { train, heldOut } = holdOut(pairs, heldOutFraction, seed);
  return { name, train, heldOut };
}

/**
 * A built-in set read from `dataDir` (e.g. /work/shared/data) and split: `heldOutFraction` of the items (questions,
 * not pairs, for multiple choice) held out by a seeded draw, the same for the same seed.
 */
export function readBuiltinPreferences(name: BuiltinPreferenceSet, dataDir: string, options: { heldOutFraction?: number; seed?: number } = {}): BuiltinPreferences {
  const fraction = options.heldOutFraction ?? 0.2;
  const seed = options.seed ?? 0;
  const read = (rel: string) => fs.readFileSync(path.join(dataDir, rel), 'utf8');
  switch (name) {
    case 'hh_rlhf_harmless_test': {
      const gz = fs.readFileSync(path.join(dataDir, 'hh_rlhf_harmless_test/test.jsonl.gz'));
      const text = zlib.gunzipSync(gz).toString('utf8');
      return splitPairs(name, parseHhRlhf(text), fraction, seed);
    }
    case 'medqa_usmle':
      return splitMc(name, parseLetteredJsonl(read('medqa_usmle/test.jsonl')), fraction, seed);
    case 'medmcqa':
      return splitMc(name, parseLetteredJsonl(read('medmcqa/test.jsonl')), fraction, seed);
    case 'mmlu': {
      const dir = path.join(dataDir, 'mmlu/data');
      const files = ['dev', 'val', 'test'].flatMap((split) => (fs.existsSync(path.join(dir, split)) ? fs.readdirSync(path.join(dir, split)).sort().map((f) => path.join(dir, split, f)) : []));
      return splitMc(name, files.flatMap((f) => parseMmluCsv(fs.readFileSync(f, 'utf8'))), fraction, seed);
    }
    case 'toxicity': {
      const toxigen = parseToxigenJsonl(read('toxigen_demonstrations/demonstrations.jsonl'));
      const hatecheck = parseHateCheckCsv(read('hatecheck/test_suite_cases.csv'));
      const davidson = parseDavidsonCsv(read('davidson_hate_offensive/labeled_data.csv'));
      const pairs: PreferenceRecord[] = [];
      for (const examples of [toxigen, hatecheck, davidson]) {
        pairs.push(...toxicityPairs(examples.filter((e) => e.label === 0).map((e) => e.text), examples.filter((e) => e.label === 1).map((e) => e.text)));
      }
      return splitPairs(name, pairs, fraction, seed);
    }
  }
}

/** Records as JSONL text (one JSON object per line). */
export function toJsonl(records: readonly unknown[]): string {
  return records.map((r) => JSON.stringify(r)).join('\n') + '\n';
}
