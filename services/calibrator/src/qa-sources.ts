/**
 * QA sources of labelled datasets (issue 10 §2): the sets in ../shared/data, a user's JSONL, and the forge's
 * graded-knowledge task. Each becomes open-ended or multiple-choice items (QaItem) with an exemplar pool for the
 * k-shot prefix of §1.1. Pure parsing; reading files is the caller's (QaSourceReader).
 */
import fs from 'node:fs';
import path from 'node:path';
import { AssayError, DatasetSource } from '@assay/contracts';
import { fillTemplate, gradedKnowledgeTask, KnowledgeAttribute, parseCsv, QUESTION_TEMPLATES } from '@assay/forge';
import { Rng } from '@assay/stats';
import { QaFormat, QaItem } from './qa-format';

export interface QaSet {
  format: QaFormat;
  items: Array<QaItem & { subject?: string; split?: 'train' | 'val' | 'test' }>;
  /** Solved examples for the k-shot prefix, by subject ('' for all). */
  exemplars: Map<string, QaItem[]>;
  /** Default k of §1.1/§4: 5 for MMLU, 1 for open-ended, 0 for other multiple choice. */
  defaultKshot: number;
}

/** ../shared/data beside the repository (worktrees link it), as the data README describes. */
export const SHARED_DATA_DIR = path.resolve(__dirname, '../../../../shared/data');

const LETTERS = 'ABCDEFGHIJ';

function jsonl(text: string): unknown[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .map((line, i) => {
      try {
        return JSON.parse(line);
      } catch {
        throw AssayError.badRequest(`line ${i + 1} is not JSON`);
      }
    });
}

/** The options object {"A": …} of MedQA/MedMCQA as choices and the gold index. */
function lettered(options: Record<string, string>, answerIdx: string): Pick<QaItem, 'choices' | 'label'> {
  const keys = Object.keys(options).sort();
  return { choices: keys.map((k) => options[k]), label: keys.indexOf(answerIdx) };
}

function single(items: QaItem[], format: QaFormat, kshot: number): QaSet {
  return { format, items, exemplars: new Map([['', items]]), defaultKshot: kshot };
}

/** A user's JSONL: `{question, answers}` (open-ended) or `{question, choices, label}` (multiple choice); one format per file. */
export function parseUserJsonl(text: string): QaSet {
  const rows = jsonl(text) as Array<Record<string, unknown>>;
  if (rows.length === 0) throw AssayError.badRequest('the dataset file has no rows');
  const choice = Array.isArray(rows[0].choices);
  const items = rows.map((r, i): QaItem => {
    if (typeof r.question !== 'string' || r.question.length === 0) throw AssayError.badRequest(`row ${i + 1}: question must be a non-empty string`);
    if (choice) {
      const choices = r.choices;
      if (!Array.isArray(choices) || choices.length < 2 || choices.length > 26 || !choices.every((c) => typeof c === 'string')) throw AssayError.badRequest(`row ${i + 1}: choices must be 2–26 strings`);
      if (!Number.isInteger(r.label) || (r.label as number) < 0 || (r.label as number) >= choices.length) throw AssayError.badRequest(`row ${i + 1}: label must index a choice`);
      return { question: r.question, choices: choices as string[], label: r.label as number };
    }
    const answers = r.answers;
    if (!Array.isArray(answers) || answers.length === 0 || !answers.every((a) => typeof a === 'string' && a.length > 0)) throw AssayError.badRequest(`row ${i + 1}: answers must be non-empty strings (or give choices and label)`);
    return { question: r.question, answers: answers as string[] };
  });
  return single(items, choice ? 'choice' : 'open', choice ? 0 : 1);
}

/** A set of ../shared/data (issue 10: mmlu 5-shot, medqa_usmle, medmcqa, truthfulqa with options shuffled, nq_open, squad_v2 subset, pubmedqa). */
export function readBuiltinSet(set: string, seed: number, dataDir = SHARED_DATA_DIR): QaSet {
  const read = (...parts: string[]) => {
    const file = path.join(dataDir, ...parts);
    if (!fs.existsSync(file)) throw AssayError.notFound(`QA set ${set}: ${file} is missing (../shared/data)`);
    return fs.readFileSync(file, 'utf8');
  };
  switch (set) {
    case 'mmlu': {
      const csvItems = (dir: string) =>
        fs
          .readdirSync(path.join(dataDir, 'mmlu', 'data', dir))
          .filter((f) => f.endsWith('.csv'))
          .sort()
          .flatMap((f) => {
            const subject = f.replace(/_(dev|val|test)\.csv$/, '').replaceAll('_', ' ');
            let rows: string[][];
            try {
              rows = parseCsv(read('mmlu', 'data', dir, f));
            } catch {
              return []; // one file of this early MMLU commit is not valid CSV (val/college_medicine: an unclosed quote)
            }
            return rows.filter((row) => row.length >= 6 && LETTERS.slice(0, 4).includes(row[5])).map((row) => ({ question: row[0], choices: row.slice(1, 5), label: LETTERS.indexOf(row[5]), subject }));
          });
      const exemplars = new Map<string, QaItem[]>();
      for (const item of csvItems('dev')) exemplars.set(item.subject, [...(exemplars.get(item.subject) ?? []), item]);
      return { format: 'choice', items: [...csvItems('val'), ...csvItems('test')], exemplars, defaultKshot: 5 };
    }
    case 'medqa_usmle':
    case 'medmcqa': {
      const rows = jsonl(read(set, 'test.jsonl')) as Array<{ question: string; options: Record<string, string>; answer_idx: string }>;
      return single(rows.map((r) => ({ question: r.question, ...lettered(r.options, r.answer_idx) })), 'choice', 0);
    }
    case 'truthfulqa': {
      const rng = new Rng(seed);
      const rows = jsonl(read('truthfulqa', 'truthfulqa_en.jsonl')) as Array<{ question: string; mc1_targets: { choices: string[]; labels: number[] } }>;
      const items = rows.map((r) => {
        const order = r.mc1_targets.choices.map((_, i) => i);
        rng.shuffle(order); // the MC1 key always puts the right answer first
        return { question: r.question, choices: order.map((i) => r.mc1_targets.choices[i]), label: order.findIndex((i) => r.mc1_targets.labels[i] === 1) };
      });
      return single(items, 'choice', 0);
    }
    case 'nq_open': {
      const rows = jsonl(read('nq_open', 'NQ-open.dev.jsonl')) as Array<{ question: string; answer: string[] }>;
      return single(rows.map((r) => ({ question: r.question, answers: r.answer })), 'open', 1);
    }
    case 'squad_v2': {
      const data = JSON.parse(read('squad_v2_dev_subset', 'dev-v2.0.json')) as { data: Array<{ paragraphs: Array<{ context: string; qas: Array<{ question: string; is_impossible: boolean; answers: Array<{ text: string }> }> }> }> };
      const items: QaItem[] = [];
      for (const article of data.data)
        for (const p of article.paragraphs)
          for (const qa of p.qas) if (!qa.is_impossible && qa.answers.length > 0) items.push({ question: `${p.context}\n\n${qa.question}`, answers: [...new Set(qa.answers.map((a) => a.text))] });
      return single(items, 'open', 1);
    }
    case 'pubmedqa': {
      const data = JSON.parse(read('pubmedqa', 'ori_pqal.json')) as Record<string, { QUESTION: string; final_decision: string }>;
      const options = ['yes', 'no', 'maybe'];
      return single(Object.values(data).map((r) => ({ question: r.QUESTION, choices: options, label: options.indexOf(r.final_decision) })), 'choice', 0);
    }
    default:
      throw AssayError.badRequest(`unknown QA set ${set}`);
  }
}

/** The graded-knowledge task's questions with their own splits (by fact), in the chosen format. */
export function gradedKnowledgeSet(source: Extract<DatasetSource, { kind: 'graded-knowledge' }>): QaSet {
  const task = gradedKnowledgeTask({ people: source.people, seed: source.seed });
  // 'all': every question template of the fact's attribute (the task's own draw first). The task (and so L's corpus)
  // is unchanged; the extra questions belong to the fact's split, so no fact crosses splits.
  const persons = new Map(task.facts.map((f) => [f.id, f.person]));
  const questions = (q: { question: string; factId: string; attribute: KnowledgeAttribute }): string[] =>
    source.questions === 'all'
      ? [q.question, ...QUESTION_TEMPLATES[q.attribute].map((t) => fillTemplate(t, persons.get(q.factId)!, '')).filter((text) => text !== q.question)]
      : [q.question];
  const items =
    source.format === 'open'
      ? task.openEnded.flatMap((q) => questions(q).map((question) => ({ question, answers: q.answers, split: q.split })))
      : task.multipleChoice.flatMap((q) => questions(q).map((question) => ({ question, choices: q.choices, label: q.label, split: q.split })));
  return { format: source.format, items, exemplars: new Map([['', []]]), defaultKshot: 0 };
}
