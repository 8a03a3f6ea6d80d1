/**
 * The graded-knowledge task (issue 10, "Data that makes the task meaningful"): invented people with a birth city,
 * a profession and a birth year; each fact is stated in the training corpus a Zipf-distributed number of times,
 * so a small L trained on the corpus knows the frequent facts and not the rare ones, and whether its answer is
 * right varies in a way its own states can reveal. Questions about every fact come open-ended and as multiple
 * choice, each tagged with how often its fact was stated. Pure and seeded: the same options give the same task.
 *
 * How it is built (README "Graded-knowledge task" has the defaults and sizes):
 * 1. People: unique names of 2–3 invented syllables each (first name and surname), a city from a pool of invented
 *    city names, a profession, a year in 1900–1999. Attributes are drawn independently and uniformly.
 * 2. Mentions: fact f gets k_f statements, k ∈ {0, …, maxMentions} with P(k) ∝ (k + 1)^−s. The histogram is
 *    exact (largest-remainder counts over all facts, dealt to a seeded permutation), not sampled.
 * 3. Splits, by fact and stratified by k: a `formatShare` of the facts are *format* facts, whose questions appear
 *    with answers in the corpus (so L learns the question-answer format of calibration.md §1.1); the others are
 *    dealt to train / val / test. Within every k each split gets its share (±1), so the frequency distribution is
 *    the same in each split. No question of train, val or test appears in the corpus.
 * 4. Corpus: every statement is one sentence from a varied template; statements are shuffled and packed into
 *    documents of `sentencesPerDocument` sentences; the format facts' questions with their answers (open-ended and
 *    multiple choice) are one document each; all documents are shuffled together.
 */
import { Rng } from '@assay/stats';
import {
  CITY_SUFFIXES, fillTemplate, FIRST_BIRTH_YEAR, KNOWLEDGE_ATTRIBUTES, KnowledgeAttribute, LAST_BIRTH_YEAR, NAME_SYLLABLES, PROFESSIONS,
  QUESTION_TEMPLATES, STATEMENT_TEMPLATES,
} from './graded-knowledge-vocabulary';

export type { KnowledgeAttribute } from './graded-knowledge-vocabulary';
export { fillTemplate, QUESTION_TEMPLATES } from './graded-knowledge-vocabulary';
export type KnowledgeSplit = 'train' | 'val' | 'test';

export interface GradedKnowledgeOptions {
  /** Invented people (default 500; each has 3 facts). */
  people?: number;
  seed?: number | string;
  /** Zipf exponent s of the mention counts (default 1.0). */
  zipfExponent?: number;
  /** Largest number of statements of one fact (default 30). */
  maxMentions?: number;
  /** Size of the invented city pool (default 40). */
  cities?: number;
  /** Share of facts used to teach the question format in the corpus (default 0.2). */
  formatShare?: number;
  /** Shares of the remaining facts per split (default 0.5 / 0.25 / 0.25). */
  splits?: Record<KnowledgeSplit, number>;
  /** Wrong options per multiple-choice item (default 3, so 4 choices). */
  distractors?: number;
  /** Statements per corpus document (default 4). */
  sentencesPerDocument?: number;
}

export interface Person {
  name: string;
  birthCity: string;
  profession: string;
  birthYear: string;
}

export interface KnowledgeFact {
  /** `${personIndex}:${attribute}`. */
  id: string;
  person: string;
  attribute: KnowledgeAttribute;
  value: string;
  /** How many times the corpus states this fact. */
  mentions: number;
  split: KnowledgeSplit | 'format';
}

interface ItemBase {
  question: string;
  factId: string;
  attribute: KnowledgeAttribute;
  mentions: number;
  split: KnowledgeSplit;
}

/** `{question, answers}`: an answer is right when it contains one of `answers` (normalised match, §1.3). */
export interface OpenEndedItem extends ItemBase {
  answers: string[];
}

/** `{question, choices, label}`: distractors of the same attribute type; `label` indexes the right choice. */
export interface MultipleChoiceItem extends ItemBase {
  choices: string[];
  label: number;
}

export interface GradedKnowledgeTask {
  options: Required<GradedKnowledgeOptions>;
  people: Person[];
  facts: KnowledgeFact[];
  /** Training documents (statements, and the format facts' questions with answers), shuffled. */
  corpus: string[];
  openEnded: OpenEndedItem[];
  multipleChoice: MultipleChoiceItem[];
}

export const GRADED_KNOWLEDGE_DEFAULTS: Required<GradedKnowledgeOptions> = {
  people: 500,
  seed: 0,
  zipfExponent: 1.0,
  maxMentions: 30,
  cities: 40,
  formatShare: 0.2,
  splits: { train: 0.5, val: 0.25, test: 0.25 },
  distractors: 3,
  sentencesPerDocument: 4,
};

const CHOICE_LETTERS = 'abcdefghij';

/** The question-answer text of calibration.md §1.1: open-ended `Question: {q}\nAnswer: {a}`. */
export function formatOpenEndedQa(question: string, answer?: string): string {
  return `Question: ${question}\nAnswer:${answer === undefined ? '' : ` ${answer}`}`;
}

/** Multiple choice as calibration.md §1.1: `Question:\n{q}\n\nChoices:\n  (a): …\nAnswer: {letter}`. */
export function formatMultipleChoiceQa(item: Pick<MultipleChoiceItem, 'question' | 'choices'>, label?: number): string {
  const choices = item.choices.map((c, i) => `  (${CHOICE_LETTERS[i]}): ${c}`).join('\n');
  return `Question:\n${item.question}\n\nChoices:\n${choices}\nAnswer:${label === undefined ? '' : ` ${CHOICE_LETTERS[label]}`}`;
}

/** Exact counts per k ∈ {0..K} for n facts with P(k) ∝ (k + 1)^−s (largest remainder). */
export function zipfMentionCounts(n: number, exponent: number, maxMentions: number): number[] {
  const weights = Array.from({ length: maxMentions + 1 }, (_, k) => Math.pow(k + 1, -exponent));
  return largestRemainder(n, weights);
}

/** Splits `total` into integer parts proportional to `weights`, summing to `total`; ties go to the lower index. */
function largestRemainder(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (total * w) / sum);
  const counts = exact.map(Math.floor);
  const order = exact.map((e, i) => [e - Math.floor(e), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let r = total - counts.reduce((a, b) => a + b, 0), j = 0; r > 0; r--, j++) counts[order[j][1]]++;
  return counts;
}

function resolve(options: GradedKnowledgeOptions): Required<GradedKnowledgeOptions> {
  const o = { ...GRADED_KNOWLEDGE_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) };
  const positiveInt = (v: number, what: string, min = 1) => {
    if (!Number.isInteger(v) || v < min) throw new RangeError(`${what} must be an integer >= ${min}, got ${v}`);
  };
  positiveInt(o.people, 'people');
  positiveInt(o.maxMentions, 'maxMentions');
  positiveInt(o.cities, 'cities', o.distractors + 1);
  positiveInt(o.distractors, 'distractors');
  positiveInt(o.sentencesPerDocument, 'sentencesPerDocument');
  if (o.distractors + 1 > Math.min(PROFESSIONS.length, CHOICE_LETTERS.length)) throw new RangeError(`at most ${Math.min(PROFESSIONS.length, CHOICE_LETTERS.length) - 1} distractors`);
  if (!(o.zipfExponent >= 0)) throw new RangeError(`zipfExponent must be >= 0, got ${o.zipfExponent}`);
  if (!(o.formatShare >= 0 && o.formatShare < 1)) throw new RangeError(`formatShare must lie in [0, 1), got ${o.formatShare}`);
  const shares = [o.splits.train, o.splits.val, o.splits.test];
  if (shares.some((s) => !(s >= 0)) || !(shares.reduce((a, b) => a + b, 0) > 0)) throw new RangeError('split shares must be >= 0 and not all 0');
  return o;
}

function capitalised(syllables: string[]): string {
  const word = syllables.join('');
  return word[0].toUpperCase() + word.slice(1);
}

function inventWord(rng: Rng, minSyllables: number, maxSyllables: number): string {
  const n = rng.intRange(minSyllables, maxSyllables);
  return capitalised(Array.from({ length: n }, () => NAME_SYLLABLES[rng.int(NAME_SYLLABLES.length)]));
}

function inventPeople(o: Required<GradedKnowledgeOptions>, rng: Rng): { people: Person[]; cityPool: string[] } {
  const cities = new Set<string>();
  while (cities.size < o.cities) cities.add(inventWord(rng, 2, 2) + CITY_SUFFIXES[rng.int(CITY_SUFFIXES.length)]);
  const cityPool = [...cities];
  const names = new Set<string>();
  const people: Person[] = [];
  while (people.length < o.people) {
    const first = inventWord(rng, 2, 3);
    const name = `${first} ${inventWord(rng, 2, 3)}`;
    if (names.has(name) || cities.has(first)) continue;
    names.add(name);
    people.push({
      name,
      birthCity: cityPool[rng.int(cityPool.length)],
      profession: PROFESSIONS[rng.int(PROFESSIONS.length)],
      birthYear: String(rng.intRange(FIRST_BIRTH_YEAR, LAST_BIRTH_YEAR)),
    });
  }
  return { people, cityPool };
}

function valuePool(attribute: KnowledgeAttribute, cityPool: string[]): string[] {
  if (attribute === 'birthCity') return cityPool;
  if (attribute === 'profession') return PROFESSIONS;
  return Array.from({ length: LAST_BIRTH_YEAR - FIRST_BIRTH_YEAR + 1 }, (_, i) => String(FIRST_BIRTH_YEAR + i));
}

/** Builds the whole task (see the file comment). */
export function gradedKnowledgeTask(options: GradedKnowledgeOptions = {}): GradedKnowledgeTask {
  const o = resolve(options);
  const rng = new Rng(`graded-knowledge:${o.seed}`);
  const { people, cityPool } = inventPeople(o, rng);
  const facts: KnowledgeFact[] = [];
  people.forEach((p, i) => {
    for (const attribute of KNOWLEDGE_ATTRIBUTES) facts.push({ id: `${i}:${attribute}`, person: p.name, attribute, value: p[attribute], mentions: 0, split: 'train' });
  });
  // Mentions: the exact Zipf histogram dealt to a seeded permutation of the facts.
  const order = rng.shuffle(facts.map((_, i) => i));
  let at = 0;
  zipfMentionCounts(facts.length, o.zipfExponent, o.maxMentions).forEach((count, k) => {
    for (let c = 0; c < count; c++) facts[order[at++]].mentions = k;
  });
  // Splits: stratified by mention count.
  const splitNames = ['format', 'train', 'val', 'test'] as const;
  const questionShare = 1 - o.formatShare;
  const splitTotal = o.splits.train + o.splits.val + o.splits.test;
  const weights = [o.formatShare, ...[o.splits.train, o.splits.val, o.splits.test].map((s) => (questionShare * s) / splitTotal)];
  for (let k = 0; k <= o.maxMentions; k++) {
    const group = rng.shuffle(facts.filter((f) => f.mentions === k));
    let next = 0;
    largestRemainder(group.length, weights).forEach((count, s) => {
      for (let c = 0; c < count; c++) group[next++].split = splitNames[s];
    });
  }
  // Statements, shuffled and packed into documents.
  const statements: string[] = [];
  for (const f of facts) {
    const templates = STATEMENT_TEMPLATES[f.attribute];
    for (let m = 0; m < f.mentions; m++) statements.push(fillTemplate(templates[rng.int(templates.length)], f.person, f.value));
  }
  rng.shuffle(statements);
  const corpus: string[] = [];
  for (let i = 0; i < statements.length; i += o.sentencesPerDocument) corpus.push(statements.slice(i, i + o.sentencesPerDocument).join(' '));
  // Questions: one text per fact, asked open-ended and as multiple choice.
  const openEnded: OpenEndedItem[] = [];
  const multipleChoice: MultipleChoiceItem[] = [];
  const formatQa: string[] = [];
  for (const f of facts) {
    const templates = QUESTION_TEMPLATES[f.attribute];
    const question = fillTemplate(templates[rng.int(templates.length)], f.person, '');
    const pool = valuePool(f.attribute, cityPool).filter((v) => v !== f.value);
    const choices = [f.value, ...rng.shuffle([...pool]).slice(0, o.distractors)];
    rng.shuffle(choices);
    const label = choices.indexOf(f.value);
    if (f.split === 'format') {
      formatQa.push(formatOpenEndedQa(question, f.value), formatMultipleChoiceQa({ question, choices }, label));
      continue;
    }
    const base = { question, factId: f.id, attribute: f.attribute, mentions: f.mentions, split: f.split };
    openEnded.push({ ...base, answers: [f.value] });
    multipleChoice.push({ ...base, choices, label });
  }
  corpus.push(...formatQa);
  rng.shuffle(corpus);
  return { options: o, people, facts, corpus, openEnded, multipleChoice };
}

/** Items per mention count k (index k), e.g. to plot accuracy against how often a fact was seen. */
export function mentionHistogram(items: ReadonlyArray<{ mentions: number }>, maxMentions: number): number[] {
  const counts = new Array<number>(maxMentions + 1).fill(0);
  for (const item of items) counts[item.mentions]++;
  return counts;
}
