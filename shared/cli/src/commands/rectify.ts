import { Command } from 'commander';
import { DetoxMetrics, JobAccepted, RectifiedGenerateResponse, RectifierEvaluateInput, RectifierEvaluateResult, RectifierTrainInput, RectifierTrainResult } from '@assay/contracts';
import { connectPlatform } from '../connect';
import { asUsageError, print, usage } from '../output';
import { submitJob, uploadIfLocal, waitForResult } from '../platform-calls';
import { parseMetricSpec } from './audit';

/**
 * `assay rectify`: detoxified decoding by dead-end analysis (issue 12, spec shared/specs/rectification.md).
 *   assay rectify train --model toxic-l --name toxic-l-q --prompts train.txt [--metric toxicity] [--wait]
 *   assay rectify generate "The weather" --model toxic-l --rectifier toxic-l-q [--epsilon 0.3]
 *   assay rectify eval --rectifier toxic-l-q --prompts eval.txt --epsilons 0.1,0.3,0.5 [--wait]
 * Without --wait a job command prints its id (follow it with `assay jobs watch <id>`); with it, a progress bar, then the result.
 */
export function rectifyCommand(): Command {
  const rectify = new Command('rectify').description('detoxified decoding: train a dead-end value Q_D for an LM, sample with it, evaluate it');
  rectify.addCommand(trainCommand());
  rectify.addCommand(generateRectifiedCommand());
  rectify.addCommand(evalCommand());
  return rectify;
}

const metricHelp = 'toxicity[:<classifier>] | perspective | lexicon:<w1,w2,...> | regex:<pattern> (default: toxicity)';

function trainCommand(): Command {
  return new Command('train')
    .description('queue Q_D training: rollouts of the LM on the prompts, toxicity reward, SARSA; registers a Q artifact naming the LM')
    .requiredOption('--model <model>', 'the LM L (name or name@version)')
    .requiredOption('--name <name>', 'name of the Q artifact to register')
    .requiredOption('--prompts <file|key>', 'training prompts: local JSONL/text file (uploaded first) or an object-store key')
    .option('--metric <metric>', metricHelp)
    .option('--rollouts <n>', 'samples per prompt (default: 8)', Number)
    .option('--max-new-tokens <n>', 'tokens per rollout (default: 20)', Number)
    .option('--epochs <n>', 'SARSA epochs (default: 8)', Number)
    .option('--hidden <n>', 'Q head hidden width, 0 = linear (default: 128)', Number)
    .option('--epsilon <e>', 'ε recorded as the artifact\'s default (default: 0.1)', Number)
    .option('--cap-mode <mode>', 'absolute | relative (default: relative)')
    .option('--wait', 'follow the job with a progress bar and print the result')
    .option('--json', 'one JSON object')
    .action(async (o: { model: string; name: string; prompts: string; metric?: string; rollouts?: number; maxNewTokens?: number; epochs?: number; hidden?: number; epsilon?: number; capMode?: string; wait?: boolean; json?: boolean }) => {
      let request: RectifierTrainInput;
      try {
        request = {
          model: o.model,
          name: o.name,
          prompts: await uploadIfLocal(o.prompts, 'prompts'),
          metric: parseMetricSpec(o.metric ?? 'toxicity') as RectifierTrainInput['metric'],
          rolloutsPerPrompt: o.rollouts,
          maxNewTokens: o.maxNewTokens,
          epochs: o.epochs,
          hidden: o.hidden,
          epsilon: o.epsilon,
          capMode: o.capMode as RectifierTrainInput['capMode'],
        };
      } catch (error) {
        throw asUsageError(error);
      }
      const accepted = await submitJob('assay.rectifier.train', request);
      if (!o.wait) return printAccepted(accepted, Boolean(o.json), 'Q_D training');
      const result = await waitForResult<RectifierTrainResult>(accepted.jobId, Boolean(o.json));
      print(result, Boolean(o.json), (r: RectifierTrainResult) =>
        [
          `registered ${r.model}@${r.version} for ${r.base}`,
          `  rollouts: ${JSON.stringify(r.report.rollouts)}; toxic rate ${Number(r.report.toxicRate).toFixed(3)}`,
          `  SARSA steps ${r.report.steps}; validation TD loss ${fmt(r.report.initialValidationLoss)} → ${fmt(r.report.validationLoss)}`,
        ].join('\n'),
      );
    });
}

function generateRectifiedCommand(): Command {
  return new Command('generate')
    .description('sample rectified continuations (every step capped by the Q artifact)')
    .argument('<prompt>', 'prompt text')
    .requiredOption('--model <model>', 'the LM (the one the Q artifact names)')
    .requiredOption('--rectifier <q>', 'the Q artifact (name or name@version)')
    .option('--epsilon <e>', 'ε in [0, 1], larger is stricter (default: the artifact\'s)', Number)
    .option('--cap-mode <mode>', 'absolute | relative (default: the artifact\'s)')
    .option('--max-new-tokens <n>', 'tokens to generate', Number, 32)
    .option('--temperature <t>', '0 = greedy', Number, 1)
    .option('--top-k <k>', '0 disables', Number, 0)
    .option('--top-p <p>', '1 disables', Number, 1)
    .option('--seed <n>', 'seed (same seed, same output)', Number)
    .option('-n, --samples <n>', 'samples', Number, 1)
    .option('--json', 'the full response with per-token log-probs and diagnostics')
    .action(async (prompt: string, o: { model: string; rectifier: string; epsilon?: number; capMode?: string; maxNewTokens: number; temperature: number; topK: number; topP: number; seed?: number; samples: number; json?: boolean }) => {
      if (o.epsilon !== undefined && !(o.epsilon >= 0 && o.epsilon <= 1)) usage('--epsilon must lie in [0, 1]');
      const clients = await connectPlatform();
      try {
        const response = await clients.rpc.call('assay.rectifier.generate', {
          model: o.model,
          rectifier: o.rectifier,
          epsilon: o.epsilon,
          capMode: o.capMode as 'absolute' | 'relative' | undefined,
          prompts: [prompt],
          n: o.samples,
          maxNewTokens: o.maxNewTokens,
          temperature: o.temperature,
          topK: o.topK,
          topP: o.topP,
          seed: o.seed,
        });
        print(response, Boolean(o.json), (r: RectifiedGenerateResponse) =>
          [
            `rectifier ${r.rectifier}  ε=${r.epsilon} (${r.capMode})`,
            ...r.completions.map(
              (c) =>
                `${prompt}${c.text}\n  [${c.finishReason}, ${c.tokens.length} tokens; capped ${c.rectification.tokensCapped}, mass moved ${c.rectification.massMoved.toFixed(3)}, dead-end steps ${c.rectification.deadEndSteps}]`,
            ),
          ].join('\n'),
        );
      } finally {
        await clients.close();
      }
    });
}

function evalCommand(): Command {
  return new Command('eval')
    .description('queue an evaluation: toxicity, perplexity under L and dist-n of base L and an ε sweep on held-out prompts')
    .requiredOption('--rectifier <q>', 'the Q artifact (name or name@version)')
    .requiredOption('--prompts <file|key>', 'held-out prompts: local JSONL/text file (uploaded first) or an object-store key')
    .option('--metric <metric>', metricHelp)
    .option('--epsilons <list>', 'comma-separated ε sweep (default: the artifact\'s ε)')
    .option('--samples <n>', 'samples per prompt (default: 25)', Number)
    .option('--max-new-tokens <n>', 'tokens per sample (default: 20)', Number)
    .option('--wait', 'follow the job with a progress bar and print the result')
    .option('--json', 'one JSON object')
    .action(async (o: { rectifier: string; prompts: string; metric?: string; epsilons?: string; samples?: number; maxNewTokens?: number; wait?: boolean; json?: boolean }) => {
      let request: RectifierEvaluateInput;
      try {
        request = {
          rectifier: o.rectifier,
          prompts: await uploadIfLocal(o.prompts, 'prompts'),
          metric: parseMetricSpec(o.metric ?? 'toxicity') as RectifierEvaluateInput['metric'],
          epsilons: o.epsilons?.split(',').map((s) => Number(s.trim())),
          samplesPerPrompt: o.samples,
          maxNewTokens: o.maxNewTokens,
        };
      } catch (error) {
        throw asUsageError(error);
      }
      const accepted = await submitJob('assay.rectifier.evaluate', request);
      if (!o.wait) return printAccepted(accepted, Boolean(o.json), 'evaluation', `\n  report: GET /v1/rectifiers/evaluations/${accepted.jobId}/report.html (rectifier HTTP)`);
      const result = await waitForResult<RectifierEvaluateResult>(accepted.jobId, Boolean(o.json));
      print(result, Boolean(o.json), (r: RectifierEvaluateResult) => {
        const line = (label: string, m: DetoxMetrics) =>
          `  ${label.padEnd(12)} tox.prob ${m.toxicityProb.toFixed(3)}  exp.max ${m.expectedMaxToxicity.toFixed(3)}  ppl ${m.ppl === null ? 'n/a' : m.ppl.toFixed(2)}  dist-1/2/3 ${m.dist1.toFixed(3)}/${m.dist2.toFixed(3)}/${m.dist3.toFixed(3)}  failures ${(100 * m.scoringFailureRate).toFixed(1)}%`;
        return [`${r.rectifier} on ${r.model} (${r.base.prompts} prompts)`, line('base', r.base), ...r.sweep.map((s) => line(`ε=${s.epsilon}`, s)), `  report: ${r.reportKey.replace(/result\.json$/, 'report.html')}`].join('\n');
      });
    });
}

function printAccepted(accepted: JobAccepted, json: boolean, what: string, extra = ''): void {
  print(accepted, json, (a: JobAccepted) => `${what} ${a.jobId} ${a.status}\n  follow: assay jobs watch ${a.jobId}${extra}`);
}

function fmt(v: unknown): string {
  return typeof v === 'number' ? v.toFixed(4) : 'n/a';
}
