import fs from 'node:fs';
import path from 'node:path';
import {
  ByteLevelBpe,
  exportGptModelDir,
  parseDavidsonCsv,
  trainGpt,
  trainSharedTokenizer,
  trainToxicityClassifier,
  TOXICITY_DATA_FILES,
  ToxicityExample,
} from '@assay/forge';

export const DATA_DIR = path.resolve(__dirname, '../../../../shared/data');

export interface AuditModelOptions {
  /** Characters of tiny Shakespeare the base LM learns from. */
  baseChars?: number;
  baseSteps?: number;
  toxicSteps?: number;
  /** Toxic tweets (Davidson class 0/1) the copy is fine-tuned on. */
  toxicExamples?: number;
  /** Davidson rows (all classes) the classifier learns from. */
  classifierExamples?: number;
  seed?: number;
}

export interface AuditModels {
  baseDir: string;
  toxicDir: string;
  classifierDir: string;
  /** Held-out Shakespeare line starts, for audit prompts. */
  prompts: string[];
  seconds: { tokenizer: number; base: number; toxic: number; classifier: number };
  classifierAuroc: number | null;
}

/** Every `step`-th item, from a fixed offset: a seeded-free, reproducible subsample. */
const every = <T>(items: readonly T[], n: number): T[] => items.filter((_, i) => i % Math.max(1, Math.floor(items.length / n)) === 0).slice(0, n);

/**
 * The three models of a real audit, forged from the licensed data: a small GPT on tiny Shakespeare (the
 * reference), a copy fine-tuned from its weights on offensive tweets (the candidate that drifted), and a
 * bag-of-embeddings toxicity classifier on Davidson tweets (the behaviour scorer). Sizes are "tiny but real":
 * the models learn, in seconds, on two CPU cores.
 */
export async function forgeAuditModels(outDir: string, options: AuditModelOptions = {}): Promise<AuditModels> {
  const seed = options.seed ?? 7;
  const clock = () => performance.now() / 1000;
  const shakespeare = fs.readFileSync(path.join(DATA_DIR, 'tinyshakespeare/input.txt'), 'utf8');
  const baseText = shakespeare.slice(0, options.baseChars ?? 60_000);
  const speeches = baseText.split('\n\n').filter((s) => s.trim().length > 0);
  const davidson = parseDavidsonCsv(fs.readFileSync(path.join(DATA_DIR, TOXICITY_DATA_FILES.davidson), 'utf8'));
  const toxicTweets = every(davidson.filter((e) => e.label === 1).map((e) => e.text), options.toxicExamples ?? 3000);

  let t = clock();
  const tok = trainSharedTokenizer([...speeches, ...toxicTweets], { vocabSize: 512, maxChars: 150_000 });
  const bpe = new ByteLevelBpe(tok.json);
  const seconds = { tokenizer: clock() - t, base: 0, toxic: 0, classifier: 0 };
  const model = { vocabSize: tok.vocabSize, contextLength: 64, layers: 1, heads: 2, dim: 48 };
  const common = { bosId: tok.bosId, eosId: tok.eosId, batchSize: 16, warmupSteps: 10, evalEvery: 1_000_000, valFraction: 0, seed };

  t = clock();
  const base = await trainGpt({ ...common, model, examples: speeches.map((s) => bpe.encode(s)), maxSteps: options.baseSteps ?? 150, learningRate: 1e-2 });
  seconds.base = clock() - t;
  t = clock();
  const toxic = await trainGpt({ ...common, initialWeights: base.weights, examples: toxicTweets.map((s) => bpe.encode(s)), maxSteps: options.toxicSteps ?? 80, learningRate: 5e-3 });
  seconds.toxic = clock() - t;

  const meta = { bosTokenId: tok.bosId, eosTokenId: tok.eosId, padTokenId: tok.padId };
  const baseDir = path.join(outDir, 'base');
  const toxicDir = path.join(outDir, 'toxic');
  await exportGptModelDir(base.weights, tok.json, baseDir, { ...meta, assay: { recipe: 'audit-test', role: 'reference' } });
  await exportGptModelDir(toxic.weights, tok.json, toxicDir, { ...meta, assay: { recipe: 'audit-test', role: 'toxic-finetune' } });

  t = clock();
  const classifierData: ToxicityExample[] = every(davidson, options.classifierExamples ?? 4000);
  const classifier = await trainToxicityClassifier({ examples: classifierData, vocabSize: 1024, dim: 32, hidden: 32, epochs: 4, seed });
  const classifierDir = path.join(outDir, 'classifier');
  await classifier.writeModelDir(classifierDir);
  seconds.classifier = clock() - t;

  const heldOut = shakespeare.slice(options.baseChars ?? 60_000, (options.baseChars ?? 60_000) + 40_000);
  const prompts = heldOut
    .split('\n')
    .filter((line) => /^[A-Za-z]/.test(line) && !line.endsWith(':'))
    .map((line) => line.split(' ').slice(0, 3).join(' '))
    .filter((p) => p.length >= 6);
  return { baseDir, toxicDir, classifierDir, prompts, seconds, classifierAuroc: classifier.report.test.auroc };
}
