/**
 * How well can Q_D predict a rollout's toxic outcome? A diagnostic for the rectifier acceptance (issue 12), on the
 * toxic L's *training* prompts only (the held-out prompts are never touched): rollouts of L with their final hidden
 * states (as the `rectifier.train` job collects them), scored by the toxicity classifier; every 5th prompt's
 * rollouts are held out; Q heads are trained by the same QTrainer as the job, and scored on the held-out rollouts
 * after every epoch:
 *   - auroc.first / mid / last: AUROC of −Q(s_t, a_t) for the rollout's outcome (toxic or not) at its first, middle
 *     and last action. At the last action the text, hence the outcome, is fully determined, so `last` is what the
 *     head can read of the classifier's decision from L's state; `first` is what rectification acts on most.
 *   - brier_last vs brier_constant: squared error of −Q at the last action against the constant toxic rate.
 *   - mean_q_first vs toxic_rate: calibration in the large.
 * Also the share of toxic-scored samples that contain a word of a small slur/profanity list (a rough look at how
 * much of the measured toxicity is lexical, which a token-level Q can learn, and how much is the classifier's noise
 * on L's broken text).
 *
 *   node shared/cli/bin/run-ts.js e2e/acceptance/rectifier-q-diagnostics.ts [--prompts 240] [--samples 16]
 *     [--configs '[{"lambda":0.9,"epochs":2},{"meanPool":true}]']
 * A config overrides RECTIFIER_ACCEPTANCE.train (lambda, epochs, hidden, learningRate, polyak, batchSize) and may set
 * `reward: "soft"` (terminal reward −score instead of −1[score ≥ 0.5]) or `meanPool: true` (the head reads
 * [h_t, mean of h_0..h_t], i.e. a summary of the whole prefix, which the service's head does not have: an upper-bound
 * probe of what a Q model that reads the whole prefix, as the reference's fine-tuned GPT-2 trunk does, could gain).
 * Prints one JSON line.
 */
import * as os from 'os';
import { binaryAuroc, toxicityClassifierModel, toxicLanguageModel } from '@assay/forge';
import { LocalEngine } from '@assay/runtime';
import { initQHead, qHeadLayout, qHeadTaken, QTrainer, QTrajectory, Rng, terminalReward } from '@assay/stats';
import { RECTIFIER_ACCEPTANCE } from './rectifier';

/** A rough profanity/slur list (lower case, substring or word match), only to split lexical from other toxicity. */
const TOXIC_WORDS = /bitch|\bhoe|nigg|fag|fuck|cunt|puss|retard|whore|slut|dick|shit|\bass\b|kill|hate|stupid|ugly|trash|damn/i;
const HELD_OUT_EVERY = 5;

interface Rollout extends QTrajectory {
  prompt: number;
  score: number;
  text: string;
}

interface DiagnosticConfig {
  lambda?: number;
  epochs?: number;
  hidden?: number;
  learningRate?: number;
  polyak?: number;
  batchSize?: number;
  reward?: 'binary' | 'soft';
  meanPool?: boolean;
}

function argValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const round = (x: number, digits = 3) => Number(x.toFixed(digits));

async function collect(engine: LocalEngine, prompts: string[], samples: number): Promise<Rollout[]> {
  const out: Rollout[] = [];
  for (let b = 0; b < prompts.length; b += 16) {
    const batch = prompts.slice(b, b + 16);
    const [generated, promptStates] = await Promise.all([
      engine.generate({ model: 'lm', prompts: batch, n: samples, maxNewTokens: RECTIFIER_ACCEPTANCE.train.maxNewTokens, temperature: 1, seed: 100 + b, returnHiddenStates: true }),
      engine.hiddenStates({ model: 'lm', texts: batch, pooling: 'last' }),
    ]);
    const completions = generated.completions.filter((c) => c.tokens.length > 0);
    const scores = (await engine.classify({ model: 'classifier', texts: completions.map((c) => c.text) })).probabilities;
    const D = promptStates.hiddenSize;
    completions.forEach((c, i) => {
      const T = c.tokens.length;
      const hidden = new Float32Array(T * D);
      hidden.set(promptStates.vectors[c.promptIndex].subarray(0, D), 0);
      for (let t = 1; t < T; t++) hidden.set(c.hiddenStates![t - 1], t * D);
      out.push({ prompt: b + c.promptIndex, hidden, actions: Int32Array.from(c.tokens, (tok) => tok.id), reward: terminalReward(scores[i]), score: scores[i], text: c.text });
    });
  }
  return out;
}

/** [h_t, mean of h_0..h_t] per state. */
function withPrefixMean(t: Rollout, D: number): Rollout {
  const T = t.actions.length;
  const hidden = new Float32Array(T * 2 * D);
  const sum = new Float64Array(D);
  for (let k = 0; k < T; k++) {
    for (let j = 0; j < D; j++) {
      sum[j] += t.hidden[k * D + j];
      hidden[k * 2 * D + j] = t.hidden[k * D + j];
      hidden[k * 2 * D + D + j] = sum[j] / (k + 1);
    }
  }
  return { ...t, hidden };
}

function diagnose(config: DiagnosticConfig, train: Rollout[], heldOut: Rollout[], D: number, vocab: number) {
  const o = { ...RECTIFIER_ACCEPTANCE.train, reward: 'binary' as const, meanPool: false, ...config };
  const inDim = o.meanPool ? 2 * D : D;
  const fit = train.map((t) => ({ ...(o.meanPool ? withPrefixMean(t, D) : t), reward: o.reward === 'soft' ? -t.score : t.reward }));
  const val = heldOut.map((t) => (o.meanPool ? withPrefixMean(t, D) : t));
  const toxicRate = mean(train.map((t) => (t.reward < 0 ? 1 : 0)));
  const layout = qHeadLayout({ inDim, hidden: o.hidden, vocab });
  const trainer = new QTrainer(layout, fit, { learningRate: o.learningRate, polyak: o.polyak, gamma: 1, lambda: o.lambda, batchSize: o.batchSize, seed: o.seed }, initQHead(layout, new Rng(o.seed), toxicRate));
  const outcomes = val.map((t) => (t.reward < 0 ? 1 : 0));
  const heldOutRate = mean(outcomes);
  const risk = (at: (t: Rollout) => number) => val.map((t) => -qHeadTaken(trainer.params, layout, t.hidden, at(t) * inDim, t.actions[at(t)]));
  const epochs = [];
  const started = Date.now();
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    while (trainer.steps < epoch * trainer.stepsPerEpoch) trainer.step();
    const first = risk(() => 0);
    const mid = risk((t) => Math.floor(t.actions.length / 2));
    const last = risk((t) => t.actions.length - 1);
    const auroc = (p: number[]) => round(binaryAuroc(Float32Array.from(p), outcomes));
    epochs.push({
      epoch,
      auroc: { first: auroc(first), mid: auroc(mid), last: auroc(last) },
      mean_q_first: round(mean(first)),
      toxic_rate: round(heldOutRate),
      brier_last: round(mean(last.map((p, i) => (p - outcomes[i]) ** 2)), 4),
      brier_constant: round(mean(outcomes.map((y) => (toxicRate - y) ** 2)), 4),
      td_loss: round(trainer.tdLoss(val), 4),
    });
  }
  return { config: o, seconds: round((Date.now() - started) / 1000, 1), epochs };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const started = Date.now();
  const loadBefore = os.loadavg();
  const log = (line: string) => console.error(`${new Date().toISOString().slice(11, 19)} ${line}`);
  const promptCount = Number(argValue(args, '--prompts') ?? 240);
  const samples = Number(argValue(args, '--samples') ?? RECTIFIER_ACCEPTANCE.train.rolloutsPerPrompt);
  const configs = JSON.parse(argValue(args, '--configs') ?? '[{"epochs": 4}]') as DiagnosticConfig[];
  const classifier = await toxicityClassifierModel({ progress: log });
  const toxic = await toxicLanguageModel({ progress: log });
  const engine = new LocalEngine({ config: { executor: { kind: 'worker-threads', workers: 1 }, session: { intraOpNumThreads: 1 }, batching: { windowMs: 0 } }, logger: { info: () => undefined, warn: () => undefined } });
  let rollouts: Rollout[];
  let D: number;
  let vocab: number;
  try {
    const lm = await engine.loadModel('lm', toxic.model.dir);
    await engine.loadModel('classifier', classifier.model.dir);
    vocab = lm.vocabSize!;
    rollouts = await collect(engine, toxic.prompts.train.slice(0, promptCount), samples);
    D = rollouts[0].hidden.length / rollouts[0].actions.length;
  } finally {
    await engine.close();
  }
  log(`${rollouts.length} rollouts in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  const heldOut = rollouts.filter((t) => t.prompt % HELD_OUT_EVERY === HELD_OUT_EVERY - 1);
  const train = rollouts.filter((t) => t.prompt % HELD_OUT_EVERY !== HELD_OUT_EVERY - 1);
  const toxicSamples = rollouts.filter((t) => t.reward < 0);
  const results = [];
  for (const config of configs) {
    results.push(diagnose(config, train, heldOut, D, vocab));
    log(JSON.stringify(results[results.length - 1]));
  }
  console.log(
    JSON.stringify({
      l: `toxic-l@${toxic.model.version}`,
      rollouts: { prompts: promptCount, samples_per_prompt: samples, train: train.length, held_out: heldOut.length, toxic_rate: round(toxicSamples.length / rollouts.length) },
      toxic_with_listed_word: round(toxicSamples.filter((t) => TOXIC_WORDS.test(t.text)).length / Math.max(1, toxicSamples.length)),
      results,
      seconds: round((Date.now() - started) / 1000, 1),
      load: { before: loadBefore.map((x) => round(x, 2)), after: os.loadavg().map((x) => round(x, 2)) },
    }),
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
