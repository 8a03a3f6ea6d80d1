/**
 * Trains the toxicity classifier on the full licensed sets and writes its model directory.
 *   node -r @swc-node/register shared/forge/src/classifier/build-toxicity-model.ts --data /work/shared/data --out <dir>
 * Options: --seed N --vocab N --dim N --hidden N --epochs N --max-length N
 */
import * as path from 'path';
import { corpusExamples, readToxicityCorpus } from './toxicity-corpus-reader';
import { trainToxicityClassifier } from './toxicity-classifier';

function parseArgs(argv: string[]): Record<string, string> {
  const args: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i];
    if (!key.startsWith('--') || i + 1 >= argv.length) throw new Error(`expected --name value pairs, got ${key}`);
    args[key.slice(2)] = argv[++i];
  }
  return args;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (!args.data || !args.out) throw new Error('usage: build-toxicity-model.ts --data <shared/data dir> --out <model dir>');
  const num = (name: string): number | undefined => (args[name] === undefined ? undefined : Number(args[name]));
  const corpus = await readToxicityCorpus(path.resolve(args.data));
  const examples = corpusExamples(corpus);
  console.log(`read ${examples.length} examples (davidson ${corpus.davidson.length}, hatecheck ${corpus.hatecheck.length}, toxigen ${corpus.toxigen.length})`);
  const trained = await trainToxicityClassifier({
    examples,
    seed: num('seed') ?? 0,
    vocabSize: num('vocab'),
    dim: num('dim'),
    hidden: num('hidden'),
    epochs: num('epochs'),
    maxLength: num('max-length'),
    onProgress: (p) =>
      console.log(
        `epoch ${p.epoch} step ${p.step}/${p.maxSteps} loss ${p.trainLoss.toFixed(4)} val_loss ${p.valLoss.toFixed(4)} val_auroc ${p.valAuroc.toFixed(4)} (${p.elapsedSec.toFixed(1)}s)`,
      ),
  });
  const written = await trained.writeModelDir(path.resolve(args.out));
  const { report } = trained;
  const fmt = (x: number | null): string => (x === null ? 'n/a' : x.toFixed(4));
  console.log(`sizes train/val/test ${report.sizes.train}/${report.sizes.validation}/${report.sizes.test}`);
  console.log(`test AUROC ${fmt(report.test.auroc)} accuracy ${fmt(report.test.accuracy)} (threshold ${report.threshold.toFixed(4)}) balanced ${fmt(report.test.balancedAccuracy)} accuracy@0.5 ${fmt(report.test.accuracyAtHalf)}`);
  for (const [source, m] of Object.entries(report.test_by_source)) console.log(`  ${source}: n ${m.n} AUROC ${fmt(m.auroc)} accuracy ${fmt(m.accuracy)}`);
  console.log(`timing ${JSON.stringify(report.timing_sec)}`);
  console.log(`wrote ${written.join(', ')}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
