import { Command } from 'commander';
import { MultiBar, Presets, SingleBar } from 'cli-progress';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CertifyEvalResult, CertifyResponse, JobAccepted, SUBJECTS } from '@assay/contracts';
import { DEMO_RECIPE, DemoPair, ForgeProgress, forgeDemoPair, formatPrompt, scaleRecipe } from '@assay/forge';
import { loadConfig } from '@assay/platform';
import { CliClients, connectPlatform, objectStoreFromEnv } from '../connect';
import { fail, print } from '../output';
import { renderCertified } from './certify';
import { waitForResult } from './guide';

/** DEMO_RECIPE's budgets times this: enough for L to answer on topic (its answers, not human ones, are certified). */
const DEMO_SCALE = 6;
/** Questions per domain whose L-generated answers calibrate k. */
const CALIBRATION_QUESTIONS = 60;

interface DemoOptions {
  seed: number;
  T: number;
  targetFrr: number;
  scale: number;
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
  if (!Number.isInteger(n) || n < 0) throw new Error(`expected a non-negative integer, got "${value}"`);
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
 * general questions (so that all T draws fail for about `--target-frr` of health questions), then certifies one new
 * in-domain and one new out-of-domain question, printing both outcomes with their certificates.
 */
export function demoCommand(): Command {
  return new Command('demo')
    .description('forge a small health-domain L and guide G, register them, and certify an in-domain and an out-of-domain question (needs `assay up`)')
    .option('--seed <n>', 'seed of the corpus, the training and the sampling', int, 0)
    .option('--T <n>', 'draws per certified answer', int, 4)
    .option('--target-frr <f>', 'share of in-domain questions refused (all T draws rejected) that calibrates k', Number, 0.1)
    .option('--scale <x>', 'training budget relative to the forge\'s DEMO_RECIPE (smaller is faster, and L answers less to the point)', Number, DEMO_SCALE)
    .option('--name <prefix>', 'registry names <prefix>-large and <prefix>-guide', 'demo')
    .option('--keep', 'keep the forged model directories (printed) instead of deleting them')
    .option('--json', 'one JSON object')
    .action(async (o: DemoOptions) => {
      if (!(o.targetFrr > 0 && o.targetFrr < 1)) return fail('--target-frr must lie in (0, 1)', Boolean(o.json));
      if (o.T < 1) return fail('--T must be at least 1', Boolean(o.json));
      if (!(o.scale > 0)) return fail('--scale must be positive', Boolean(o.json));
      const json = Boolean(o.json);
      const started = Date.now();
      const log = (line: string) => !json && console.log(line);
      // Reach the platform before minutes of training, not after.
      let registry;
      let clients;
      try {
        registry = objectStoreFromEnv().registry;
        clients = await connectPlatform();
      } catch (error) {
        return fail((error as Error).message, json, 'UNAVAILABLE');
      }
      const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'assay-demo-'));
      try {
        log(`1/4 forging L and G in ${outDir}`);
        const progress = forgeProgress(json);
        const recipe = scaleRecipe(DEMO_RECIPE, o.scale);
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
        log(
          `    k = ${k.toFixed(3)} bits/token: one draw of an in-domain answer is rejected ${(evaluation.frr * 100).toFixed(0)}% of the time ` +
            `(all ${o.T} draws ≈ ${(Math.pow(evaluation.frr, o.T) * 100).toFixed(0)}%), one of a general answer ${(evaluation.ood_rejection * 100).toFixed(0)}%; ` +
            `AUROC ${evaluation.auroc.toFixed(3)}; report ${certifierUrl()}${evaluation.reportPath}`,
        );

        log(`4/4 certifying two new questions through the certifier (T = ${o.T}, batched)`);
        const questions: Array<[DemoOutcome['domain'], string]> = [
          ['in-domain', pair.corpus.prompts.inDomain[0]],
          ['out-of-domain', pair.corpus.prompts.outOfDomain[0]],
        ];
        const outcomes: DemoOutcome[] = [];
        for (const [domain, question] of questions) {
          const response = await clients.rpc.request<CertifyResponse>(SUBJECTS.certifier.certify, {
            model: refs.large,
            guide: refs.guide,
            prompt: formatPrompt(question),
            k,
            T: o.T,
            mode: 'batched',
            maxNewTokens: recipe.maxResponseTokens,
            seed: o.seed,
          });
          outcomes.push({ domain, question, response });
        }
        const result = {
          models: refs,
          k,
          T: o.T,
          evaluation: {
            perDrawTargetFrr: perDrawFrr,
            frr: evaluation.frr,
            ood_rejection: evaluation.ood_rejection,
            auroc: evaluation.auroc,
            domain_certificate_log2: evaluation.domain_certificate_log2,
            report: `${certifierUrl()}${evaluation.reportPath}`,
            reportUrl: evaluation.reportUrl,
          },
          groundTruthSeparation: { auroc: pair.calibration.auroc, note: 'on held-out human-written answers, L scoring them without their questions' },
          outcomes,
          seconds: (Date.now() - started) / 1000,
          ...(o.keep ? { modelDirs: { large: pair.large.dir, guide: pair.guide.dir } } : {}),
        };
        print(result, json, (r: typeof result) =>
          [
            ...r.outcomes.map((x) => `\n${x.domain} question: ${x.question}\n${renderCertified(x.response).replace(/^/gm, '  ')}`),
            `\ndone in ${r.seconds.toFixed(0)} s. Try: assay certify --model ${r.models.large} --guide ${r.models.guide} --k ${r.k.toFixed(3)} --T ${r.T} $'${formatPrompt('How is asthma treated?').replace(/\n/g, '\\n')}'`,
          ].join('\n'),
        );
      } catch (error) {
        const e = error as { code?: string; message: string };
        fail(e.message, json, e.code ?? 'INTERNAL');
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
  const accepted = await clients.rpc.request<JobAccepted>(SUBJECTS.certifier.evaluate, {
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
