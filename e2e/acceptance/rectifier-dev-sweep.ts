/**
 * Dev-split tuning for the rectifier acceptance (issue 12): chooses the acceptance's ε on the *training* prompts only.
 * The toxic L's training prompts are split: every 10th is a dev prompt, the rest train Q_D (the train job's own
 * validation split sits inside those); the evaluation job's ε sweep then runs on the dev prompts, 25 samples each
 * (the toxicity probability depends on the number of samples, so the dev sweep uses the acceptance's 25). The
 * held-out prompts are never touched here.
 *
 *   node shared/cli/bin/run-ts.js e2e/acceptance/rectifier-dev-sweep.ts [--epsilons 0.5,0.7] [--rollouts 16] [--lambda 0.9]
 *     [--epochs 6] [--hidden 128] [--lr 0.003] [--dev 40]
 * Prints one JSON line: the base L and each ε on the dev prompts (toxicity probability, expected maximum toxicity,
 * perplexity and its ratio to the base, dist-2), and the Q head's validation TD loss before and after training.
 */
import * as os from 'os';
import { JobAccepted, RectifierEvaluateResult, RectifierTrainResult } from '@assay/contracts';
import { toxicityClassifierModel, toxicLanguageModel } from '@assay/forge';
import { JobsClient } from '@assay/messaging';
import { PlatformHarness } from '@assay/testing';
import { RectifierModule } from '../../services/rectifier/src/rectifier.module';
import { RECTIFIER_ACCEPTANCE } from './rectifier';

function argValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const started = Date.now();
  const loadBefore = os.loadavg();
  const log = (line: string) => console.error(`${new Date().toISOString().slice(11, 19)} ${line}`);
  const epsilons = (argValue(args, '--epsilons') ?? '0.5,0.6,0.7,0.8').split(',').map(Number);
  const train = {
    ...RECTIFIER_ACCEPTANCE.train,
    rolloutsPerPrompt: Number(argValue(args, '--rollouts') ?? RECTIFIER_ACCEPTANCE.train.rolloutsPerPrompt),
    lambda: Number(argValue(args, '--lambda') ?? RECTIFIER_ACCEPTANCE.train.lambda),
    epochs: Number(argValue(args, '--epochs') ?? RECTIFIER_ACCEPTANCE.train.epochs),
    hidden: Number(argValue(args, '--hidden') ?? RECTIFIER_ACCEPTANCE.train.hidden),
    learningRate: Number(argValue(args, '--lr') ?? RECTIFIER_ACCEPTANCE.train.learningRate),
  };
  const devPrompts = Number(argValue(args, '--dev') ?? 40);
  const classifier = await toxicityClassifierModel({ progress: log });
  const toxic = await toxicLanguageModel({ progress: log });
  const every = Math.max(2, Math.floor(toxic.prompts.train.length / devPrompts));
  const dev = toxic.prompts.train.filter((_, i) => i % every === every - 1);
  const fit = toxic.prompts.train.filter((_, i) => i % every !== every - 1);

  const harness = new PlatformHarness('rectifier-dev-sweep');
  await harness.start();
  try {
    await harness.registry.push(toxic.model.dir, { name: 'toxic-l', version: toxic.model.version, provenance: { kind: 'forged', ...toxic.model.provenance } });
    await harness.registry.push(classifier.model.dir, { name: 'assay-toxicity', version: classifier.model.version, provenance: { kind: 'forged', ...classifier.model.provenance } });
    await harness.startService(RectifierModule, 'rectifier');
    const jobs = await JobsClient.create(harness.nc, { namespace: harness.namespace });
    const metric = { kind: 'toxicity', classifier: 'assay-toxicity' };
    const follow = async <R>(accepted: JobAccepted, what: string): Promise<R> => {
      for await (const event of jobs.watch(accepted.jobId, { pollMs: 1000 })) if (event.type === 'progress') log(`${what}: ${event.progress.message ?? ''}`);
      return jobs.result<R>(accepted.jobId, { waitMs: 60_000 });
    };
    const trained = await follow<RectifierTrainResult>(
      await harness.rpc.request<JobAccepted>('assay.rectifier.train', { model: 'toxic-l', name: 'toxic-l-q', prompts: fit, metric, epsilon: epsilons[0], capMode: RECTIFIER_ACCEPTANCE.capMode, checkpointEvery: 100, ...train }),
      'train',
    );
    const trainSeconds = (Date.now() - started) / 1000;
    const evaluation = await follow<RectifierEvaluateResult>(
      await harness.rpc.request<JobAccepted>('assay.rectifier.evaluate', { rectifier: `toxic-l-q@${trained.version}`, prompts: dev, metric, epsilons, capMode: RECTIFIER_ACCEPTANCE.capMode, ...RECTIFIER_ACCEPTANCE.eval }),
      'evaluate',
    );
    const row = (m: RectifierEvaluateResult['base']) => ({ tox_prob: m.toxicityProb, emt: Number(m.expectedMaxToxicity.toFixed(3)), ppl: m.ppl && Number(m.ppl.toFixed(1)), ppl_ratio: m.ppl && evaluation.base.ppl ? Number((m.ppl / evaluation.base.ppl).toFixed(3)) : null, dist2: Number(m.dist2.toFixed(3)) });
    console.log(
      JSON.stringify({
        dev_prompts: dev.length,
        fit_prompts: fit.length,
        train,
        training: { toxic_rate: trained.report.toxicRate, initial_validation_loss: trained.report.initialValidationLoss, validation_loss: trained.report.validationLoss, steps: trained.report.steps },
        base: row(evaluation.base),
        sweep: evaluation.sweep.map((m) => ({ epsilon: m.epsilon, ...row(m) })),
        seconds: { train: trainSeconds, total: (Date.now() - started) / 1000 },
        load: { before: loadBefore, after: os.loadavg() },
      }),
    );
  } finally {
    await harness.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
