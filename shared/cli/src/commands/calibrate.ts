import { Command } from 'commander';
import { BUILTIN_QA_SETS, CALIBRATION_BASE_METHODS, CalibrationBaseMethod, CalibrationEvalResult, ConfidenceResponse, DatasetResult, FitResult, JobAccepted } from '@assay/contracts';
import { connectPlatform } from '../connect';
import { asUsageError, InvalidArgumentError, print } from '../output';
import { submitJob, uploadIfLocal, waitForResult } from '../platform-calls';

const int = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  return n;
};
const methodList = (value: string): CalibrationBaseMethod[] => {
  const methods = value.split(',').map((m) => m.trim());
  for (const m of methods) if (!(CALIBRATION_BASE_METHODS as readonly string[]).includes(m)) throw new InvalidArgumentError(`unknown method ${m} (${CALIBRATION_BASE_METHODS.join(', ')})`);
  return methods as CalibrationBaseMethod[];
};

/** Submits, then either prints the accepted job or follows it with a progress bar and prints the result. */
async function run<R>(accepted: JobAccepted, o: { wait?: boolean; json?: boolean }, human: (r: R) => string): Promise<void> {
  const json = Boolean(o.json);
  if (!o.wait) {
    print(accepted, json, (a: JobAccepted) => `job ${a.jobId} ${a.status}\n  follow: assay jobs watch ${a.jobId}`);
    return;
  }
  print(await waitForResult<R>(accepted.jobId, json), json, human);
}

const fmt = (x: number | null | undefined) => (x === null || x === undefined ? '—' : x.toFixed(3));

/** `assay calibrate dataset|fit|eval|confidence`: the calibrator service (issue 10). */
export function calibrateCommand(): Command {
  const calibrate = new Command('calibrate').description('calibrated P(correct) for answers of L: labelled datasets, calibrator fits, evaluations, confidence');
  calibrate
    .command('dataset')
    .description('queue a labelled dataset: L answers a QA source greedily, answers are graded and split train/val/test')
    .requiredOption('--model <L>', 'the model that answers (name or name@version)')
    .option('--set <name>', `a QA set of ../shared/data: ${BUILTIN_QA_SETS.join(', ')}`)
    .option('--data <file|key>', 'a JSONL of {question, answers} or {question, choices, label} (local file uploaded first)')
    .option('--graded-knowledge <people>', 'the forge\'s graded-knowledge task with this many people', int)
    .option('--graded-seed <n>', 'seed of the graded-knowledge task (default 0)', Number)
    .option('--format <open|choice>', 'graded-knowledge question format (default open)')
    .option('--max-items <n>', 'questions used (default 1000)', int)
    .option('--kshot <n>', 'solved examples before each question (default per set)', Number)
    .option('--seed <n>', 'seed of the sample and the splits (default 137)', Number)
    .option('--wait', 'follow the job and print the dataset')
    .option('--json', 'JSON output')
    .action(async (o: { model: string; set?: string; data?: string; gradedKnowledge?: number; gradedSeed?: number; format?: 'open' | 'choice'; maxItems?: number; kshot?: number; seed?: number; wait?: boolean; json?: boolean }) => {
      const given = [o.set, o.data, o.gradedKnowledge].filter((x) => x !== undefined).length;
      if (given !== 1) throw asUsageError(new InvalidArgumentError('give exactly one of --set, --data, --graded-knowledge'));
      const source = o.set
        ? { kind: 'builtin' as const, set: o.set as (typeof BUILTIN_QA_SETS)[number] }
        : o.data
          ? { kind: 'jsonl' as const, key: await uploadIfLocal(o.data, 'calibration') }
          : { kind: 'graded-knowledge' as const, people: o.gradedKnowledge, seed: o.gradedSeed, format: o.format };
      const accepted = await submitJob('assay.calibrator.dataset', { model: o.model, source, maxItems: o.maxItems, kshot: o.kshot, seed: o.seed });
      await run<DatasetResult>(accepted, o, (r) => `dataset ${r.dataset} (L = ${r.model}, ${r.format}): train ${r.counts.train}, val ${r.counts.val}, test ${r.counts.test}; accuracy ${fmt(r.accuracy.train)} / ${fmt(r.accuracy.val)} / ${fmt(r.accuracy.test)}`);
    });
  calibrate
    .command('fit')
    .description('queue a calibrator fit on a labelled dataset (each method and its temperature-scaled twin)')
    .requiredOption('--name <calibrator>', 'registry name of the calibrator')
    .requiredOption('--dataset <id>', 'a dataset id from `assay calibrate dataset`')
    .option('--methods <list>', `comma-separated: ${CALIBRATION_BASE_METHODS.join(', ')} (default query,probe)`, methodList)
    .option('--serve <method>', 'method of the confidence route (default probe-ts, else ct-query-ts, query-ts, …)')
    .option('--ct-steps <n>', 'CT-Query LoRA steps (default 300)', int)
    .option('--probe-pooling <last|mean>', 'probe features: last token (spec, default) or mean over the tokens')
    .option('--seed <n>', 'seed (default 137)', Number)
    .option('--wait', 'follow the job and print the calibrator')
    .option('--json', 'JSON output')
    .action(async (o: { name: string; dataset: string; methods?: CalibrationBaseMethod[]; serve?: string; ctSteps?: number; probePooling?: 'last' | 'mean'; seed?: number; wait?: boolean; json?: boolean }) => {
      const accepted = await submitJob('assay.calibrator.fit', {
        name: o.name, dataset: o.dataset, methods: o.methods, serve: o.serve as never, seed: o.seed,
        ctQuery: o.ctSteps ? { steps: o.ctSteps } : undefined, probe: o.probePooling ? { pooling: o.probePooling } : undefined,
      });
      await run<FitResult>(accepted, o, (r) =>
        [`registered ${r.calibrator} for ${r.model}, serving ${r.serve}${r.tunedModel ? `; tuned model ${r.tunedModel}` : ''}`, ...r.methods.filter((m) => m.temperature !== null).map((m) => `  ${m.method}: T = ${fmt(m.temperature)}, val NLL ${fmt(m.valNllBefore)} → ${fmt(m.valNllAfter)}`)].join('\n'),
      );
    });
  calibrate
    .command('eval')
    .description('queue an evaluation of every method of a calibrator on test splits, with an HTML report')
    .requiredOption('--calibrator <ref>', 'name or name@version')
    .option('--datasets <ids>', 'comma-separated dataset ids (default: the calibrator\'s own)')
    .option('--wait', 'follow the job and print the methods × metrics table')
    .option('--json', 'JSON output')
    .action(async (o: { calibrator: string; datasets?: string; wait?: boolean; json?: boolean }) => {
      const accepted = await submitJob('assay.calibrator.evaluate', { calibrator: o.calibrator, datasets: o.datasets?.split(',') });
      await run<CalibrationEvalResult>(accepted, o, (r) => {
        const lines = [`${r.calibrator} (L = ${r.model}), test split; report: ${r.reportPath}`];
        for (const [dataset, methods] of Object.entries(r.results)) {
          lines.push(`${dataset}:`, `  ${'method'.padEnd(14)} ${['acc', 'ece', 'ece_top', 'auroc', 'brier', 'nll'].map((h) => h.padStart(7)).join(' ')}`);
          for (const [method, m] of Object.entries(methods)) lines.push(`  ${method.padEnd(14)} ${[m.acc, m.ece, m.ece_top_label, m.auroc, m.brier, m.nll].map((x) => fmt(x).padStart(7)).join(' ')}`);
        }
        return lines.join('\n');
      });
    });
  calibrate
    .command('confidence')
    .description('P(correct) of each answer to a question')
    .requiredOption('--calibrator <ref>', 'name or name@version')
    .requiredOption('--question <text>', 'the question (multiple choice: with its choices, as the dataset rows hold it)')
    .option('--model <L>', 'check that the calibrator is for this model')
    .argument('<answers...>', 'one or more answers of L')
    .option('--json', 'the full response')
    .action(async (answers: string[], o: { calibrator: string; question: string; model?: string; json?: boolean }) => {
      const clients = await connectPlatform();
      try {
        const response = await clients.rpc.call('assay.calibrator.confidence', { calibrator: o.calibrator, model: o.model, question: o.question, answers });
        print(response, Boolean(o.json), (r: ConfidenceResponse) => r.results.map((x, i) => `${x.pCorrect.toFixed(3)}  ${answers[i]}  (${x.method}, ${r.calibrator.name}@${x.calibratorVersion})`).join('\n'));
      } finally {
        await clients.close();
      }
    });
  return calibrate;
}
