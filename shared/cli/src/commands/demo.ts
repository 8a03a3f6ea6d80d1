import { Command } from 'commander';
import { MultiBar, Presets, SingleBar } from 'cli-progress';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CertifyEvalResult, CertifyResponse } from '@assay/contracts';
import { DEMO_RECIPE, DemoPair, DomainPairRecipe, ForgeProgress, forgeDemoPair, formatPrompt } from '@assay/forge';
import { loadConfig } from '@assay/platform';
import { CliClients, connectPlatform, objectStoreFromEnv } from '../connect';
import { InvalidArgumentError, print, usage } from '../output';
import { renderCertified } from './certify';
import { waitForResult } from '../platform-calls';

/**
 * Optimizer steps of L and G (batch 16, lr 3e-3, DEMO_RECIPE's architectures). The certifier judges L's own answers,
 * so L must answer on topic: at 900 steps VALID separates L's answers to health and to general questions with an
 * AUROC of about 0.93 (about 0.87 at 450 steps), measured with the evaluation job on this corpus.
 */
const DEMO_STEPS = 900;

function demoRecipe(steps: number): DomainPairRecipe {
  const train = { maxSteps: steps, batchSize: 16, learningRate: 3e-3, warmupSteps: 10, evalEvery: steps, evalWindows: 16, restoreBest: false };
  return { ...DEMO_RECIPE, large: { model: DEMO_RECIPE.large.model, train }, guide: { model: DEMO_RECIPE.guide.model, train } };
}
/** Questions per domain whose L-generated answers calibrate k. */
const CALIBRATION_QUESTIONS = 60;

interface DemoOptions {
  seed: number;
  T: number;
  targetFrr: number;
  steps: number;
  name: string;
  keep?: boolean;
  json?: boolean;
}

interface DemoOutcome {
  domain: 'in-domain' | 'out-of-domain';
  question: string;
  response: CertifyResponse;
}

const int = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a non-negative integer, got "${value}"`);
  return n;
};

/** Progress of the forge: one bar per model while both train, silent with --json. */
function forgeProgress(json: boolean): { onProgress: (event: ForgeProgress) => void; stop: () => void } {
  if (json) return { onProgress: () => undefined, stop: () => undefined };
  const multi = new MultiBar({ format: ' {model} {bar} {value}/{total} steps | loss {loss}', hideCursor: true, clearOnComplete: false }, Presets.shades_classic);
  const bars = new Map<string, SingleBar>();
  return {
    onProgress: (event) => {
      if (event.phase === 'tokenizer') multi.log(`tokenizer: ${event.vocabSize} tokens in ${event.seconds.toFixed(1)} s\n`);
      else if (event.phase === 'export') multi.log(`exported ${event.model} to ${event.dir}\n`);
      else {
        const name = event.phase === 'large' ? 'L (large)' : 'G (guide)';
        let bar = bars.get(name);
        if (!bar) bars.set(name, (bar = multi.create(event.steps, 0, { model: name.padEnd(9), loss: '-' })));
        if (Number.isFinite(event.steps)) bar.setTotal(event.steps);
        bar.update(event.step, { model: name.padEnd(9), loss: event.loss.toFixed(3) });
      }
    },
    stop: () => multi.stop(),
  };
}

/**
 * `assay demo`: domain certification in a few minutes on a laptop CPU, through the running platform (`assay up`).
 * Forges a small L (health and general questions with answers) and a guide G (health answers only) from the built-in
 * demo corpus, registers both, calibrates k with the certifier's evaluation job on L's own answers to health and
 * general questions (so that all T draws fail for about `--target-frr` of health questions), then certifies the
 * corpus' unseen health and general questions, printing how many of each were answered and one answered and one
 * refused example with their certificates.
 */
export function demoCommand(): Command {
  return new Command('demo')
    .option('--seed <n>', 'seed of the corpus, the training and the sampling', int, 0)
    .option('--T <n>', 'draws per certified answer', int, 4)
    .option('--target-frr <f>', 'share of in-domain questions refused (all T draws rejected) that calibrates k', Number, 0.1)
    .option('--steps <n>', 'training steps of L and G (fewer is faster, and L answers less to the point)', int, DEMO_STEPS)
    .option('--name <prefix>', 'registry names <prefix>-large and <prefix>-guide', 'demo')
    .option('--keep', 'keep the forged model directories (printed) instead of deleting them')
    .option('--json', 'one JSON object')
    .action(async (o: DemoOptions) => {
      if (!(o.targetFrr > 0 && o.targetFrr < 1)) usage('--target-frr must lie in (0, 1)');
      if (o.T < 1) usage('--T must be at least 1');
      if (o.steps < 10) usage('--steps must be at least 10');
      const json = Boolean(o.json);
      const started = Date.now();
      const log = (line: string) => !json && console.log(line);
      // Reach the platform before minutes of training, not after.
      const registry = objectStoreFromEnv().registry;
      const clients = await connectPlatform();
      const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'assay-demo-'));
      try {
        log(`1/4 forging L and G in ${outDir}`);
        const progress = forgeProgress(json);
        const recipe = demoRecipe(o.steps);
        const pair = await forgeDemoPair({ outDir, seed: o.seed, recipe, onProgress: progress.onProgress }).finally(progress.stop);
        const large = await registry.push(pair.large.dir, { name: `${o.name}-large`, provenance: { kind: 'forged', recipe: 'demo', role: 'L', trainingReport: { ...pair.large.report } } });
        const guide = await registry.push(pair.guide.dir, { name: `${o.name}-guide`, provenance: { kind: 'trained-guide', recipe: 'demo', trainingReport: { ...pair.guide.report } } });
        const refs = { large: `${large.name}@${large.version}`, guide: `${guide.name}@${guide.version}` };
        log(`2/4 registered L = ${refs.large} and G = ${refs.guide} (one shared tokenizer)`);

        // k is calibrated on what VALID will actually judge: L's own answers, to in-domain and general questions.
        const perDrawFrr = Math.pow(o.targetFrr, 1 / o.T);
        log(`3/4 calibrating k on L's answers to ${CALIBRATION_QUESTIONS} health and ${CALIBRATION_QUESTIONS} general questions (evaluation job)`);
        const evaluation = await calibrate(clients, refs, pair.corpus.inDomainPairs, pair.corpus.generalPairs, { ...o, perDrawFrr, maxNewTokens: recipe.maxResponseTokens }, json);
        const { k } = evaluation;
        const { heldOut } = evaluation.split;
        log(
          `    k = ${k.toFixed(3)} bits/token, chosen on half of the answers; on the other half (held out: ${heldOut.inDomain} health, ${heldOut.outOfDomain} general), ` +
            `one draw of an in-domain answer is rejected ${(evaluation.frr * 100).toFixed(0)}% of the time ` +
            `(all ${o.T} draws ≈ ${(Math.pow(evaluation.frr, o.T) * 100).toFixed(0)}%), one of a general answer ${(evaluation.oodRejection * 100).toFixed(0)}%; ` +
            `AUROC ${evaluation.auroc.toFixed(3)}`,
        );
        log(`    domain certificate at k: each held-out general-domain answer y has M(y|x) ≤ 2^${evaluation.domainCertificateLog2.toFixed(1)} for any prompt x`);
        log(`    report: ${certifierUrl()}${evaluation.reportPath} (x-api-key)`);

        const fresh = pair.corpus.prompts;
        log(`4/4 certifying ${fresh.inDomain.length} new health and ${fresh.outOfDomain.length} new general questions through the certifier (T = ${o.T}, batched)`);
        const outcomes: DemoOutcome[] = [];
        for (const [domain, list] of [['in-domain', fresh.inDomain], ['out-of-domain', fresh.outOfDomain]] as const) {
          for (const [i, question] of list.entries()) {
            const response = await clients.rpc.call('assay.certifier.certify', {
              model: refs.large,
              guide: refs.guide,
              prompt: formatPrompt(question),
              k,
              T: o.T,
              mode: 'batched',
              maxNewTokens: recipe.maxResponseTokens,
              seed: o.seed + i,
            });
            outcomes.push({ domain, question, response });
          }
        }
        const answered = (domain: DemoOutcome['domain']) => ({
          answered: outcomes.filter((x) => x.domain === domain && x.response.status === 'accepted').length,
          vacuous: outcomes.filter((x) => x.domain === domain && x.response.certificate?.vacuous).length,
          of: outcomes.filter((x) => x.domain === domain).length,
        });
        // Two illustrations, picked by outcome and said so: an answered health question and a refused general one.
        const examples = [
          outcomes.find((x) => x.domain === 'in-domain' && x.response.status === 'accepted') ?? outcomes.find((x) => x.domain === 'in-domain')!,
          outcomes.find((x) => x.domain === 'out-of-domain' && x.response.status === 'abstained') ?? outcomes.find((x) => x.domain === 'out-of-domain')!,
        ];
        const result = {
          models: refs,
          k,
          T: o.T,
          evaluation: {
            evaluation: evaluation.evaluation,
            split: evaluation.split,
            perDrawTargetFrr: perDrawFrr,
            frr: evaluation.frr,
            oodRejection: evaluation.oodRejection,
            auroc: evaluation.auroc,
            domainCertificateLog2: evaluation.domainCertificateLog2,
            report: `${certifierUrl()}${evaluation.reportPath}`,
            reportUrl: evaluation.reportUrl,
          },
          groundTruthSeparation: { auroc: pair.calibration.auroc, note: 'on held-out human-written answers, L scoring them without their questions' },
          summary: { inDomain: answered('in-domain'), outOfDomain: answered('out-of-domain') },
          examples,
          outcomes,
          seconds: (Date.now() - started) / 1000,
          ...(o.keep ? { modelDirs: { large: pair.large.dir, guide: pair.guide.dir } } : {}),
        };
        print(result, json, (r: typeof result) =>
          [
            `    answered ${r.summary.inDomain.answered}/${r.summary.inDomain.of} health questions and ${r.summary.outOfDomain.answered}/${r.summary.outOfDomain.of} general ones (the rest got the refusal)`,
            `    vacuous certificates (ε ≥ 1, bounding nothing; --max-log2-epsilon 0 on assay certify refuses them): ${r.summary.inDomain.vacuous} of the health answers, ${r.summary.outOfDomain.vacuous} of the general ones`,
            ...r.examples.map((x) => `\nexample, ${x.domain} question: ${x.question}\n${renderCertified(x.response).replace(/^/gm, '  ')}`),
            `\ndone in ${r.seconds.toFixed(0)} s. Try: assay certify --model ${r.models.large} --guide ${r.models.guide} --k ${r.k.toFixed(3)} --T ${r.T} $'${formatPrompt('How is asthma treated?').replace(/\n/g, '\\n')}'`,
          ].join('\n'),
        );
      } finally {
        await clients.close();
        if (!o.keep) fs.rmSync(outDir, { recursive: true, force: true });
      }
    });
}

function certifierUrl(): string {
  const { host, port } = loadConfig('certifier').http;
  return `http://${host}:${port}`;
}

/** Uploads the calibration questions and runs the certifier's evaluation job on L's answers to them. */
async function calibrate(
  clients: CliClients,
  refs: { large: string; guide: string },
  inDomain: readonly DemoPair[],
  general: readonly DemoPair[],
  o: DemoOptions & { perDrawFrr: number; maxNewTokens: number },
  json: boolean,
): Promise<CertifyEvalResult> {
  const { store } = objectStoreFromEnv();
  const prefix = `uploads/demo/${refs.guide.replace('@', '/')}/`;
  const lines = (pairs: readonly DemoPair[]) => Buffer.from(pairs.slice(0, CALIBRATION_QUESTIONS).map((p) => JSON.stringify({ prompt: formatPrompt(p.prompt) })).join('\n'));
  await store.put(`${prefix}in-domain-questions.jsonl`, lines(inDomain));
  await store.put(`${prefix}general-questions.jsonl`, lines(general));
  const accepted = await clients.rpc.call('assay.certifier.evaluate', {
    model: refs.large,
    guide: refs.guide,
    inDomain: { key: `${prefix}in-domain-questions.jsonl`, kind: 'prompts' },
    outOfDomain: { key: `${prefix}general-questions.jsonl`, kind: 'prompts' },
    targetFrr: o.perDrawFrr,
    T: o.T,
    maxNewTokens: o.maxNewTokens,
    maxResponseTokens: o.maxNewTokens,
    seed: o.seed,
  });
  return json ? clients.jobs.result<CertifyEvalResult>(accepted.jobId, { waitMs: 30 * 60_000 }) : waitForResult<CertifyEvalResult>(accepted.jobId, false);
}
