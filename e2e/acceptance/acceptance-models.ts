/**
 * Builds (or finds in the cache) the three models the calibrator, reward-head and rectifier acceptance runs
 * share, and prints their figures; the last line is one JSON object:
 *   {"graded": {...}, "toxic": {...}, "classifier": {...}, "load": {...}}
 *
 *   node shared/cli/bin/run-ts.js e2e/acceptance/acceptance-models.ts [--json]
 * The cache lives under $ASSAY_ACCEPTANCE_CACHE (default <tmpdir>/assay-acceptance-models); see
 * shared/forge/src/recipes/README.md "Acceptance models". Build times are those of the build that made each
 * entry (a cached entry reports its original build); `seconds` is this run's wall time per model.
 */
import * as os from 'os';
import * as path from 'path';
import { gradedKnowledgeModel, toxicityClassifierModel, toxicLanguageModel } from '@assay/forge';

const round = (x: number, digits = 4) => Number(x.toFixed(digits));

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const t = Date.now();
  const value = await work();
  return { value, seconds: round((Date.now() - t) / 1000, 2) };
}

export async function runAcceptanceModels(log: (line: string) => void = () => undefined) {
  const loadBefore = os.loadavg();
  const progress = (line: string) => log(`${new Date().toISOString().slice(11, 19)} ${line}`);
  const graded = await timed(() => gradedKnowledgeModel({ progress }));
  const classifier = await timed(() => toxicityClassifierModel({ progress }));
  const toxic = await timed(() => toxicLanguageModel({ progress }));
  const model = (m: { dir: string; name: string; version: string }) => ({ dir: m.dir, name: m.name, version: m.version });
  const g = graded.value.stats;
  return {
    graded: {
      model: model(graded.value.model),
      build_seconds: round(g.buildSeconds, 1),
      build_cpu_seconds: round(g.buildCpuSeconds, 1),
      build_load: g.buildLoad,
      seconds: graded.seconds,
      test_accuracy: round(g.testAccuracy),
      accuracy_by_mentions: g.accuracyByMentions.map((b) => ({ ...b, accuracy: round(b.accuracy) })),
      mc_accuracy: round(g.multipleChoiceAccuracy),
      mc_accuracy_by_mentions: g.multipleChoiceByMentions.map((b) => ({ ...b, accuracy: round(b.accuracy) })),
      test_questions: graded.value.task.openEnded.filter((q) => q.split === 'test').length,
    },
    toxic: {
      model: model(toxic.value.model),
      build_seconds: round(toxic.value.stats.buildSeconds, 1),
      build_cpu_seconds: round(toxic.value.stats.buildCpuSeconds, 1),
      build_load: toxic.value.stats.buildLoad,
      toxicity_prob_by_source: toxic.value.stats.toxicityProbBySource,
      seconds: toxic.seconds,
      base_toxicity_prob: round(toxic.value.stats.baseToxicityProb),
      expected_max_toxicity: round(toxic.value.stats.expectedMaxToxicity),
      sample_toxic_rate: round(toxic.value.stats.sampleToxicRate),
      prompts: { train: toxic.value.prompts.train.length, eval: toxic.value.prompts.eval.length },
    },
    classifier: {
      model: model(classifier.value.model),
      build_seconds: round(classifier.value.stats.buildSeconds, 1),
      build_cpu_seconds: round(classifier.value.stats.buildCpuSeconds, 1),
      build_load: classifier.value.stats.buildLoad,
      held_out_auroc_by_source: classifier.value.stats.heldOutAurocBySource,
      wikitext_false_positive_rate: classifier.value.stats.wikitextFalsePositiveRate,
      seconds: classifier.seconds,
      held_out_auroc: round(classifier.value.stats.heldOutAuroc),
    },
    load: { before: loadBefore.map((x) => round(x, 2)), after: os.loadavg().map((x) => round(x, 2)), cpus: os.cpus().length },
  };
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const result = await runAcceptanceModels((line) => console.error(line));
  console.log(json ? JSON.stringify(result) : JSON.stringify(result, null, 2));
}

// Run as a script (directly, or through shared/cli/bin/run-ts.js, which makes argv[1] this file), not on import.
if (require.main === module || path.resolve(process.argv[1] ?? '') === __filename) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
