import type { EngineClient } from '@assay/runtime';
import { Rng } from '@assay/stats';
import { fillTemplate, KnowledgeAttribute, QUESTION_TEMPLATES } from './graded-knowledge-vocabulary';
import {
  formatMultipleChoiceQa, formatOpenEndedQa, GradedKnowledgeOptions, gradedKnowledgeTask, GradedKnowledgeTask, MultipleChoiceItem, OpenEndedItem,
} from './graded-knowledge';
import { AcceptanceLmSpec, ChatTurn, forgeAcceptanceLm, measuringEngine, renderChatMl } from './acceptance-lm';

/**
 * The graded-knowledge L (issues 10–12): a small GPT trained on the graded-knowledge corpus, so that whether it
 * answers a question right depends on how often the corpus stated the fact. Besides the generator's corpus
 * (statements, and the format facts' questions with answers in both calibration.md §1.1 forms), the format
 * facts' questions are repeated `formatRepeats` times and also written as ChatML conversations, so L answers
 * the §1.1 prompts (open-ended: the value; multiple choice: the letter) and the same questions in chat.
 */

export interface GradedModelSpec extends AcceptanceLmSpec {
  task: GradedKnowledgeOptions;
  /** Copies of each format-fact question document (§1.1 texts and chat), to teach the answer format. */
  formatRepeats: number;
  /**
   * Extra multiple-choice documents per format fact, each with freshly drawn distractors and letter (half as
   * §1.1 text, half as chat), so L learns to find its answer among the choices rather than a letter by heart.
   */
  choiceDrills: number;
  /** Greedy tokens generated for an open-ended answer when measuring accuracy. */
  answerTokens: number;
}

const CHOICE_LETTERS = 'abcdefghij';

/** calibration.md §1.1 context of a multiple-choice item without the `\nAnswer:` target prompt (the chat user turn). */
function multipleChoiceContext(item: Pick<MultipleChoiceItem, 'question' | 'choices'>): string {
  return formatMultipleChoiceQa(item).replace(/\nAnswer:$/, '');
}

/** A graded question as a chat: user asks (§1.1 context), assistant answers with the value or the letter. */
export function gradedChatTurns(item: OpenEndedItem | MultipleChoiceItem, answer?: string): ChatTurn[] {
  const user = 'choices' in item ? multipleChoiceContext(item) : `Question: ${item.question}`;
  const right = 'choices' in item ? CHOICE_LETTERS[item.label] : item.answers[0];
  return [
    { role: 'user', content: user },
    { role: 'assistant', content: answer ?? right },
  ];
}

/** Multiple-choice drills on the format facts (see GradedModelSpec.choiceDrills); seeded. */
export function choiceDrills(task: GradedKnowledgeTask, copies: number): string[] {
  const rng = new Rng(`graded-choice-drills:${task.options.seed}`);
  const values = new Map<KnowledgeAttribute, string[]>();
  for (const f of task.facts) values.set(f.attribute, [...new Set([...(values.get(f.attribute) ?? []), f.value])]);
  const docs: string[] = [];
  for (const f of task.facts.filter((x) => x.split === 'format')) {
    const pool = (values.get(f.attribute) ?? []).filter((v) => v !== f.value);
    const templates = QUESTION_TEMPLATES[f.attribute];
    for (let c = 0; c < copies; c++) {
      const question = fillTemplate(templates[rng.int(templates.length)], f.person, '');
      const choices = rng.shuffle([f.value, ...rng.shuffle([...pool]).slice(0, task.options.distractors)]);
      const item = { question, choices, label: choices.indexOf(f.value) };
      docs.push(c % 2 === 0 ? formatMultipleChoiceQa(item, item.label) : renderChatMl([{ role: 'user', content: multipleChoiceContext(item) }, { role: 'assistant', content: CHOICE_LETTERS[item.label] }]));
    }
  }
  return docs;
}

/** L's training documents: the task corpus plus the format facts' questions repeated and as ChatML. */
export function gradedTrainingTexts(task: GradedKnowledgeTask, formatRepeats: number, drills = 0): string[] {
  const formatDocs = task.corpus.filter((doc) => doc.startsWith('Question'));
  const chats: string[] = [];
  // The format facts' items are not in task.openEnded / multipleChoice: rebuild them from the §1.1 documents.
  for (const doc of formatDocs) {
    const open = /^Question: (.*)\nAnswer: (.*)$/s.exec(doc);
    if (open) {
      chats.push(renderChatMl([{ role: 'user', content: `Question: ${open[1]}` }, { role: 'assistant', content: open[2] }]));
      continue;
    }
    const choice = /^([\s\S]*)\nAnswer: ([a-j])$/.exec(doc);
    if (choice) chats.push(renderChatMl([{ role: 'user', content: choice[1] }, { role: 'assistant', content: choice[2] }]));
  }
  const texts = [...task.corpus];
  for (let r = 1; r < formatRepeats; r++) texts.push(...formatDocs);
  for (let r = 0; r < formatRepeats; r++) texts.push(...chats);
  texts.push(...choiceDrills(task, drills));
  return texts;
}

export interface MentionsAccuracy {
  mentions: string;
  n: number;
  accuracy: number;
}

export interface GradedAccuracy {
  /** Open-ended, greedy, test split. */
  openEnded: number;
  /** Multiple choice (letter), greedy, test split. */
  multipleChoice: number;
  openEndedByMentions: MentionsAccuracy[];
  multipleChoiceByMentions: MentionsAccuracy[];
}

export const MENTION_BUCKETS: ReadonlyArray<{ label: string; min: number; max: number }> = [
  { label: '0', min: 0, max: 0 },
  { label: '1', min: 1, max: 1 },
  { label: '2-4', min: 2, max: 4 },
  { label: '5-9', min: 5, max: 9 },
  { label: '10+', min: 10, max: Infinity },
];

/** calibration.md §1.2 sanitisation: first non-empty line, trimmed. */
function sanitise(text: string): string {
  return text.replace(/\n\n/g, '\n').replace(/^\n+|\n+$/g, '').split('\n')[0].trim();
}

function byMentions(items: ReadonlyArray<{ mentions: number }>, correct: readonly boolean[]): MentionsAccuracy[] {
  return MENTION_BUCKETS.map((b) => {
    const idx = items.map((it, i) => (it.mentions >= b.min && it.mentions <= b.max ? i : -1)).filter((i) => i >= 0);
    return { mentions: b.label, n: idx.length, accuracy: idx.length ? idx.filter((i) => correct[i]).length / idx.length : 0 };
  });
}

/**
 * Greedy answers of the model `model` (loaded in `engine`) to the test questions, graded as calibration.md §1.3:
 * open-ended right when the answer's first line contains the value; multiple choice right when it is the letter.
 */
export async function measureGradedAccuracy(engine: EngineClient, model: string, task: GradedKnowledgeTask, answerTokens: number): Promise<GradedAccuracy> {
  const open = task.openEnded.filter((q) => q.split === 'test');
  const choice = task.multipleChoice.filter((q) => q.split === 'test');
  const greedy = async (prompts: string[], maxNewTokens: number) =>
    (await engine.generate({ model, prompts, maxNewTokens, temperature: 0, stop: ['\n'], seed: 0 })).completions.map((c) => sanitise(c.text));
  const openAnswers = await greedy(open.map((q) => formatOpenEndedQa(q.question)), answerTokens);
  const choiceAnswers = await greedy(choice.map((q) => formatMultipleChoiceQa(q)), 2);
  const openRight = open.map((q, i) => q.answers.some((a) => openAnswers[i].includes(a)));
  const choiceRight = choice.map((q, i) => choiceAnswers[i] === CHOICE_LETTERS[q.label]);
  const mean = (xs: boolean[]) => xs.filter(Boolean).length / Math.max(1, xs.length);
  return {
    openEnded: mean(openRight),
    multipleChoice: mean(choiceRight),
    openEndedByMentions: byMentions(open, openRight),
    multipleChoiceByMentions: byMentions(choice, choiceRight),
  };
}

export interface GradedBuildResult {
  accuracy: GradedAccuracy;
  seconds: { tokenizer: number; train: number; measure: number };
  trainTokens: number;
  trainingReport: Record<string, unknown>;
}

/** Forges the graded-knowledge L into `modelDir` and measures it with the runtime. */
export async function buildGradedModel(spec: GradedModelSpec, modelDir: string, assay: Record<string, unknown>, progress?: (line: string) => void): Promise<GradedBuildResult> {
  const task = gradedKnowledgeTask(spec.task);
  const texts = gradedTrainingTexts(task, spec.formatRepeats, spec.choiceDrills);
  const trained = await forgeAcceptanceLm(texts, spec, modelDir, assay, progress);
  const started = Date.now();
  const engine = measuringEngine();
  try {
    await engine.loadModel('graded', modelDir);
    const accuracy = await measureGradedAccuracy(engine, 'graded', task, spec.answerTokens);
    const measure = (Date.now() - started) / 1000;
    progress?.(`graded accuracy: open-ended ${accuracy.openEnded.toFixed(3)}, multiple choice ${accuracy.multipleChoice.toFixed(3)} (${measure.toFixed(1)} s)`);
    return {
      accuracy,
      seconds: { tokenizer: trained.tokenizerSeconds, train: trained.trainSeconds, measure },
      trainTokens: trained.trainTokens,
      trainingReport: trained.report,
    };
  } finally {
    await engine.close();
  }
}
