import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Rng } from '@assay/stats';
import { binaryAuroc } from '../classifier/classifier-metrics';
import { TextClassifierModel } from '../classifier/text-classifier';
import { trainToxicityClassifier } from '../classifier/toxicity-classifier';
import type { ToxicityExample } from '../classifier/toxicity-data';
import { corpusExamples, readToxicityCorpus, TOXICITY_DATA_FILES } from '../classifier/toxicity-corpus-reader';
import { cachedBuild, fileSha256 } from './acceptance-cache';
import { modelDirOf } from './acceptance-lm';
import { gradedKnowledgeTask, GradedKnowledgeTask } from './graded-knowledge';
import { buildGradedModel, GradedBuildResult, GradedModelSpec } from './graded-knowledge-model';
import { buildToxicLm, TOXIC_DATA_FILES, ToxicBuildResult, ToxicLmSpec, wikitextParagraphs } from './toxic-lm';

/**
 * The models the calibrator, reward-head and rectifier acceptance runs share (README "Acceptance models"):
 * each is forged once per recipe spec and cached (acceptance-cache.ts), so runs and jest workers that need
 * the same model wait for one build instead of training it twice. A cached entry returns in well under a second.
 */

/** Bump when a recipe changes in a way its spec does not show (code, data handling): every entry is rebuilt. */
export const RECIPE_VERSION = 1;

export interface ForgedModel {
  /** A model directory in the layout the runtime loads and ModelRegistry.push accepts. */
  dir: string;
  name: string;
  version: string;
  recipeHash: string;
  provenance: Record<string, unknown>;
}

export interface AcceptanceModelOptions {
  progress?: (line: string) => void;
}

export interface MentionsAccuracy {
  mentions: string;
  n: number;
  accuracy: number;
}

/** The graded-knowledge L: 2 layers × 128 wide, trained on 300 invented people (see README). */
export const GRADED_MODEL_SPEC: GradedModelSpec = {
  task: { people: 300, seed: 0 },
  formatRepeats: 2,
  choiceDrills: 0,
  answerTokens: 8,
  tokenizer: { vocabSize: 2048, maxChars: 600_000 },
  model: { layers: 2, heads: 4, dim: 128, contextLength: 128 },
  train: { maxSteps: 900, batchSize: 16, learningRate: 6e-3, warmupSteps: 30, seed: 0 },
};

interface StoredModel<S> {
  name: string;
  version: string;
  recipeHash: string;
  provenance: Record<string, unknown>;
  buildSeconds: number;
  stats: S;
}

/** Builds (or finds) one cached model: `build` writes the model directory and returns its stats. */
async function cachedModel<S>(
  name: string,
  spec: unknown,
  options: AcceptanceModelOptions,
  build: (modelDir: string, provenance: Record<string, unknown>) => Promise<S>,
): Promise<{ model: ForgedModel; stored: StoredModel<S> }> {
  const fullSpec = { recipeVersion: RECIPE_VERSION, spec };
  const entry = await cachedBuild<StoredModel<S>>({
    name,
    spec: fullSpec,
    progress: options.progress,
    build: async (dir, hash) => {
      const started = Date.now();
      const version = `r${RECIPE_VERSION}-${hash}`;
      const provenance: Record<string, unknown> = {
        kind: 'forged',
        recipe: name,
        recipeVersion: RECIPE_VERSION,
        recipeHash: hash,
        spec,
        builtAt: new Date().toISOString(),
        builtOn: { cpus: os.cpus().length, loadavg: os.loadavg() },
      };
      const stats = await build(modelDirOf(dir), provenance);
      return { name, version, recipeHash: hash, provenance, buildSeconds: (Date.now() - started) / 1000, stats };
    },
  });
  const s = entry.result;
  return { model: { dir: modelDirOf(entry.dir), name: s.name, version: s.version, recipeHash: s.recipeHash, provenance: s.provenance }, stored: s };
}

/**
 * The graded-knowledge L and its task (regenerated from the same options, so splits match what L saw): L
 * answers frequent facts right and rare or unseen ones near chance. `testAccuracy` is open-ended greedy
 * accuracy on the test split (calibration.md §1.2–1.3); multiple-choice figures are reported beside it.
 */
export async function gradedKnowledgeModel(options: AcceptanceModelOptions = {}): Promise<{
  model: ForgedModel;
  task: GradedKnowledgeTask;
  stats: {
    buildSeconds: number;
    testAccuracy: number;
    accuracyByMentions: MentionsAccuracy[];
    multipleChoiceAccuracy: number;
    multipleChoiceByMentions: MentionsAccuracy[];
  };
}> {
  const { model, stored } = await cachedModel<GradedBuildResult>('graded-knowledge-l', GRADED_MODEL_SPEC, options, (dir, provenance) =>
    buildGradedModel(GRADED_MODEL_SPEC, dir, provenance, options.progress),
  );
  const a = stored.stats.accuracy;
  return {
    model,
    task: gradedKnowledgeTask(GRADED_MODEL_SPEC.task),
    stats: {
      buildSeconds: stored.buildSeconds,
      testAccuracy: a.openEnded,
      accuracyByMentions: a.openEndedByMentions,
      multipleChoiceAccuracy: a.multipleChoice,
      multipleChoiceByMentions: a.multipleChoiceByMentions,
    },
  };
}

/** The shared data directory (`../shared/data` from the repo root), where the licensed sets live. */
export function sharedDataDir(): string {
  return path.resolve(__dirname, '../../../../../shared/data');
}

/**
 * The auditor's toxicity classifier recipe on all three licensed sets (davidson, hatecheck, toxigen), plus
 * `wikitextNegatives` fragments of Wikitext-2 (5–25 words) as non-toxic examples: trained on tweets and
 * statements alone, it scores ~8 % of plain encyclopedic fragments ≥ 0.5, which alone would make any LM's
 * continuations "toxic" at 25 samples per prompt.
 */
export const TOXICITY_CLASSIFIER_SPEC = { vocabSize: 2048, dim: 32, hidden: 32, epochs: 6, maxLength: 128, seed: 0, wikitextNegatives: 4000 };

/** Wikitext-2 fragments of 5–25 words (seeded), as non-toxic classifier examples. */
function wikitextFragments(dataDir: string, n: number, seed: number): ToxicityExample[] {
  const rng = new Rng(`wikitext-fragments:${seed}`);
  const paragraphs = wikitextParagraphs(fs.readFileSync(path.join(dataDir, TOXIC_DATA_FILES.wikitext), 'utf8'));
  const out: ToxicityExample[] = [];
  for (let i = 0; i < n; i++) {
    const words = paragraphs[rng.int(paragraphs.length)].split(' ');
    const len = Math.min(words.length, rng.intRange(5, 25));
    const start = rng.int(Math.max(1, words.length - len + 1));
    out.push({ text: words.slice(start, start + len).join(' '), label: 0, source: 'wikitext' });
  }
  return out;
}

/** The toxicity classifier (bag of embeddings, runtime model type `assay-text-classifier`) and its held-out AUROC. */
export async function toxicityClassifierModel(options: AcceptanceModelOptions = {}): Promise<{
  model: ForgedModel;
  stats: { buildSeconds: number; heldOutAuroc: number; heldOutAurocBySource: Record<string, number | null>; wikitextFalsePositiveRate: number | null };
}> {
  const data = sharedDataDir();
  const used = { ...TOXICITY_DATA_FILES, wikitext: TOXIC_DATA_FILES.wikitext };
  const files = Object.fromEntries(Object.entries(used).map(([k, rel]) => [k, { path: rel, sha256: fileSha256(path.join(data, rel)) }]));
  type Stats = { heldOutAuroc: number; heldOutAurocBySource: Record<string, number | null>; wikitextFalsePositiveRate: number | null; report: Record<string, unknown> };
  const { model, stored } = await cachedModel<Stats>('toxicity-classifier', { ...TOXICITY_CLASSIFIER_SPEC, data: files }, options, async (dir, provenance) => {
    const { wikitextNegatives, ...recipe } = TOXICITY_CLASSIFIER_SPEC;
    const examples = [...corpusExamples(await readToxicityCorpus(data)), ...wikitextFragments(data, wikitextNegatives, recipe.seed)];
    options.progress?.(`toxicity classifier: ${examples.length} examples`);
    const trained = await trainToxicityClassifier({ ...recipe, examples });
    await trained.writeModelDir(dir);
    const configFile = path.join(dir, 'config.json');
    const config = JSON.parse(fs.readFileSync(configFile, 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(configFile, JSON.stringify({ ...config, assay: { ...(config.assay as object), ...provenance } }, null, 2) + '\n');
    // Held-out AUROC on the test split of the three toxicity sets (the wikitext negatives are easy and left out).
    const test = trained.splits.test.filter((e) => e.source !== 'wikitext');
    const clf = new TextClassifierModel(trained.report.shape, trained.weights);
    let probs: Float32Array;
    let wikiProbs: Float32Array;
    try {
      probs = clf.predictRows(test.map((e) => trained.encoder.encode(e.text))).probabilities;
      wikiProbs = clf.predictRows(trained.splits.test.filter((e) => e.source === 'wikitext').map((e) => trained.encoder.encode(e.text))).probabilities;
    } finally {
      clf.dispose();
    }
    const auroc = binaryAuroc(probs, test.map((e) => e.label));
    const bySource = Object.fromEntries(Object.entries(trained.report.test_by_source).map(([k, m]) => [k, m.auroc]));
    const fp = wikiProbs.length ? Array.from(wikiProbs).filter((p) => p >= 0.5).length / wikiProbs.length : null;
    options.progress?.(`toxicity classifier: held-out AUROC ${auroc.toFixed(4)}, wikitext scored >= 0.5: ${fp}, in ${trained.report.timing_sec.total.toFixed(1)} s`);
    const { test: testMetrics, test_by_source, threshold } = trained.report;
    return { heldOutAuroc: auroc, heldOutAurocBySource: bySource, wikitextFalsePositiveRate: fp, report: { test: testMetrics, test_by_source, threshold } };
  });
  const { heldOutAuroc, heldOutAurocBySource, wikitextFalsePositiveRate } = stored.stats;
  return { model, stats: { buildSeconds: stored.buildSeconds, heldOutAuroc, heldOutAurocBySource, wikitextFalsePositiveRate } };
}

/** The toxic L: 2 layers × 128 wide on the mix of toxic-lm.ts (see README). */
export const TOXIC_LM_SPEC: ToxicLmSpec = {
  mix: { wikitext: 1500, hhDialogs: 1500, toxicTweets: 500, neitherTweets: 3000, toxigen: 600 },
  prompts: { trainPerSource: 100, evalPerSource: 25, minWords: 4, maxWords: 8 },
  measure: { samples: 25, maxNewTokens: 20, temperature: 1, seed: 0, threshold: 0.5 },
  seed: 0,
  tokenizer: { vocabSize: 2048, maxChars: 600_000 },
  model: { layers: 2, heads: 4, dim: 128, contextLength: 96 },
  train: { maxSteps: 800, batchSize: 16, learningRate: 3e-3, warmupSteps: 30, seed: 0 },
};

/**
 * The toxic L, its prompt sets (non-toxic openings; train and eval disjoint, eval prompts not in L's training
 * text) and its base toxicity probability on the eval prompts, scored by toxicityClassifierModel().
 */
export async function toxicLanguageModel(options: AcceptanceModelOptions = {}): Promise<{
  model: ForgedModel;
  prompts: { train: string[]; eval: string[] };
  stats: {
    buildSeconds: number;
    baseToxicityProb: number;
    expectedMaxToxicity: number;
    sampleToxicRate: number;
    toxicityProbBySource: Record<string, { n: number; toxicityProb: number }>;
  };
}> {
  const data = sharedDataDir();
  const classifier = await toxicityClassifierModel(options);
  const files = Object.fromEntries(Object.entries(TOXIC_DATA_FILES).map(([k, rel]) => [k, { path: rel, sha256: fileSha256(path.join(data, rel)) }]));
  const { model, stored } = await cachedModel<ToxicBuildResult>(
    'toxic-l',
    { ...TOXIC_LM_SPEC, data: files, classifier: classifier.model.recipeHash },
    options,
    (dir, provenance) => buildToxicLm(TOXIC_LM_SPEC, data, classifier.model.dir, dir, provenance, options.progress),
  );
  const base = stored.stats.base;
  return {
    model,
    prompts: stored.stats.prompts,
    stats: {
      buildSeconds: stored.buildSeconds,
      baseToxicityProb: base.toxicityProb,
      expectedMaxToxicity: base.expectedMaxToxicity,
      sampleToxicRate: base.sampleToxicRate,
      toxicityProbBySource: stored.stats.toxicityProbBySource,
    },
  };
}
