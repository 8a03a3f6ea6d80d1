/**
 * Choosing the best-of-n head's setting (issue 11) on the TRAIN prompts only: the train prompts are split once into a
 * fit part (70 %) and a dev part (30 %); 24 samples of the toxic L per train prompt are scored by the toxicity
 * classifier and their end-of-turn states computed (through the reward-head service's own model host), cached under
 * $ASSAY_TUNE_DIR. Each candidate setting (pair construction, pooler, loss, ε, learning rate, weight decay) trains a
 * head on the fit prompts' pairs with @assay/stats trainRewardHead (the training job's code path: 20 % of the pairs
 * split off for early stopping) and is scored on the dev prompts: each dev prompt's 24 samples are 3 disjoint blocks
 * of 8, the head's argmax of each block is scored by the classifier; the figure is mean(best-of-8) / mean(n = 1).
 * The eval prompts are never touched.
 *
 *   node shared/cli/bin/run-ts.js e2e/acceptance/reward-head-tune.ts
 */
import fs from 'node:fs';
import path from 'node:path';
import { toxicityClassifierModel, toxicLanguageModel } from '@assay/forge';
import { PlatformHarness } from '@assay/testing';
import { DphLossKind, PoolerKind, Rng, trainRewardHead } from '@assay/stats';
import { GenerationModule } from '../../services/generation/src/generation.module';
import { RewardHeadModule } from '../../services/reward-head/src/reward-head.module';
import { EndOfTurnStates } from '../../services/reward-head/src/end-of-turn-states.service';

interface Sample { prompt: number; text: string; score: number; state: number[] }
const dir = process.env.ASSAY_TUNE_DIR ?? '/tmp/assay-rewardtune';
const SEEDS = [1000, 500_000, 900_000];

async function collect(): Promise<{ prompts: string[]; samples: Sample[] }> {
  const file = path.join(dir, 'samples.json');
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8'));
  const log = (l: string) => console.error(`[tune] ${l}`);
  const toxic = await toxicLanguageModel({ progress: log });
  const classifier = await toxicityClassifierModel({ progress: log });
  const harness = new PlatformHarness('reward-tune');
  await harness.start();
  try {
    await harness.registry.push(toxic.model.dir, { name: 'toxic-l', version: toxic.model.version, provenance: { kind: 'forged' } });
    await harness.registry.push(classifier.model.dir, { name: 'assay-toxicity', version: classifier.model.version, provenance: { kind: 'forged' } });
    await harness.startService(GenerationModule, 'generation');
    await harness.startService(RewardHeadModule, 'reward-head');
    const app = harness.apps.get('reward-head')!;
    const { ModelHostService } = await import('@assay/platform');
    const models = app.get(ModelHostService);
    const eot = app.get(EndOfTurnStates);
    const cls = await models.acquire('assay-toxicity');
    const lm = await eot.model(`toxic-l@${toxic.model.version}`);
    const prompts = toxic.prompts.train;
    const samples: Sample[] = [];
    for (let i = 0; i < prompts.length; i += 8) {
      const batch = prompts.slice(i, i + 8);
      const got: Array<{ prompt: number; text: string }> = [];
      for (const seed of SEEDS) {
        const generated = await harness.rpc.call('assay.generation.generate', { model: `toxic-l@${toxic.model.version}`, messages: batch.map((p) => [{ role: 'user', content: p }]), n: 8, maxNewTokens: 20, temperature: 1, topP: 1, stop: ['<|im_end|>'], seed: seed + i }, { timeoutMs: 600_000 });
        got.push(...generated.completions.filter((c) => c.text.trim().length > 0).map((c) => ({ prompt: i + c.promptIndex, text: c.text })));
      }
      const scores = (await models.engine.classify({ model: cls.key, texts: got.map((g) => g.text) })).probabilities;
      const states = await eot.states(lm, got.map((g) => [{ role: 'user', content: prompts[g.prompt] }, { role: 'assistant', content: g.text }]));
      got.forEach((g, k) => samples.push({ ...g, score: scores[k], state: Array.from(states[k]) }));
      if (i % 80 === 0) log(`${i}/${prompts.length} prompts, ${samples.length} samples`);
    }
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(file, JSON.stringify({ prompts, samples }));
    return { prompts, samples };
  } finally {
    await harness.close();
  }
}

type PairRule = { kind: 'clear'; clean: number; toxic: number; perPrompt: number } | { kind: 'margin'; margin: number; perPrompt: number };
function pairs(samples: Sample[], rule: PairRule) {
  const chosen: number[][] = [];
  const rejected: number[][] = [];
  const byPrompt = new Map<number, Sample[]>();
  for (const s of samples) byPrompt.set(s.prompt, [...(byPrompt.get(s.prompt) ?? []), s]);
  for (const mine of byPrompt.values()) {
    let made = 0;
    if (rule.kind === 'clear') {
      const clean = mine.filter((s) => s.score < rule.clean);
      const tox = mine.filter((s) => s.score >= rule.toxic);
      for (let a = 0; a < clean.length && made < rule.perPrompt; a++)
        for (let b = 0; b < tox.length && made < rule.perPrompt; b++) {
          chosen.push(clean[(a + b) % clean.length].state);
          rejected.push(tox[b].state);
          made++;
        }
    } else {
      const sorted = [...mine].sort((x, y) => x.score - y.score);
      const all: Array<[Sample, Sample]> = [];
      for (let a = 0; a < sorted.length; a++) for (let b = sorted.length - 1; b > a; b--) if (sorted[b].score - sorted[a].score >= rule.margin) all.push([sorted[a], sorted[b]]);
      // the widest margins first, each sample used evenly
      all.sort((p, q) => q[1].score - q[0].score - (p[1].score - p[0].score));
      for (const [c, r] of all.slice(0, rule.perPrompt)) {
        chosen.push(c.state);
        rejected.push(r.state);
      }
    }
  }
  return { chosen, rejected };
}

/** Mean-pooled final-norm states of the same rendered texts (cut after the assistant's end-of-turn), for the pooling experiment. */
async function collectMean(prompts: string[], samples: Sample[]): Promise<number[][]> {
  const file = path.join(dir, 'samples-mean.json');
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8'));
  const toxic = await toxicLanguageModel({});
  const harness = new PlatformHarness('reward-tune');
  await harness.start();
  try {
    await harness.registry.push(toxic.model.dir, { name: 'toxic-l', version: toxic.model.version, provenance: { kind: 'forged' } });
    await harness.startService(RewardHeadModule, 'reward-head');
    const app = harness.apps.get('reward-head')!;
    const { ModelHostService } = await import('@assay/platform');
    const models = app.get(ModelHostService);
    const eot = app.get(EndOfTurnStates);
    const lm = await eot.model(`toxic-l@${toxic.model.version}`);
    const out: number[][] = [];
    for (let i = 0; i < samples.length; i += 256) {
      const texts = await eot.rewardTexts(lm, samples.slice(i, i + 256).map((g) => [{ role: 'user', content: prompts[g.prompt] }, { role: 'assistant', content: g.text }]));
      const got = await models.engine.hiddenStates({ model: lm.key, texts, pooling: 'mean', addBos: false });
      out.push(...got.vectors.map((v) => Array.from(v)));
    }
    fs.writeFileSync(file, JSON.stringify(out));
    return out;
  } finally {
    await harness.close();
  }
}

async function main() {
  const { prompts, samples } = await collect();
  if (process.env.TUNE_STATES === 'mean' || process.env.TUNE_STATES === 'concat') {
    const mean = await collectMean(prompts, samples);
    samples.forEach((s, i) => (s.state = process.env.TUNE_STATES === 'mean' ? mean[i] : [...s.state, ...mean[i]]));
  }
  // K-fold over the train prompts (TUNE_FOLDS, default 4): every train prompt is a dev prompt once, so each setting's
  // figure pools 400 dev prompts × 3 blocks of 8 instead of one split's 120.
  const folds = Number(process.env.TUNE_FOLDS ?? 4);
  const order = new Rng('reward-tune-dev').shuffle(prompts.map((_, i) => i));
  const foldOf = new Map(order.map((p, k) => [p, k % folds]));
  const n1 = samples.reduce((a, s) => a + s.score, 0) / samples.length;
  const byPromptAll = new Map<number, Sample[]>();
  for (const s of samples) byPromptAll.set(s.prompt, [...(byPromptAll.get(s.prompt) ?? []), s]);
  const oracle = [...byPromptAll.values()].map((m) => Math.min(...m.slice(0, 8).map((s) => s.score)));
  console.error(`[tune] ${prompts.length} train prompts, ${folds} folds; ${samples.length} samples; n=1 ${n1.toFixed(3)}, oracle@8 ${(oracle.reduce((a, b) => a + b, 0) / oracle.length).toFixed(3)}`);
  const rules: Record<string, PairRule> = {
    clear8: { kind: 'clear', clean: 0.25, toxic: 0.6, perPrompt: 8 },
    clear32: { kind: 'clear', clean: 0.25, toxic: 0.6, perPrompt: 32 },
    margin3_32: { kind: 'margin', margin: 0.3, perPrompt: 32 },
    margin2_64: { kind: 'margin', margin: 0.2, perPrompt: 64 },
  };
  const only = process.argv.slice(2);
  const configs: Array<{ rule: string; pooler: PoolerKind; loss: DphLossKind; epsilon: number; learningRate: number; weightDecay: number }> = [];
  for (const rule of Object.keys(rules))
    for (const pooler of (process.env.TUNE_POOLERS ?? 'identity').split(',') as PoolerKind[])
      for (const [epsilon, learningRate, weightDecay] of [[0.1, 1e-2, 0.1], [0, 1e-2, 0.1], [0.1, 3e-3, 0.01]])
        configs.push({ rule, pooler, loss: 'contrastive', epsilon, learningRate, weightDecay });
  for (const c of configs) {
    const name = `${c.rule}/${c.pooler}/${c.loss}/eps${c.epsilon}/lr${c.learningRate}/wd${c.weightDecay}`;
    if (only.length && !only.some((o) => name.includes(o))) continue;
    const t0 = Date.now();
    const best: number[] = [];
    const perFold: number[] = [];
    for (let f = 0; f < folds; f++) {
      const all = pairs(samples.filter((s) => foldOf.get(s.prompt) !== f), rules[c.rule]);
      const idx = new Rng(0).shuffle(all.chosen.map((_, i) => i));
      const nVal = Math.round(idx.length * 0.2);
      const pick = (ids: number[]) => ({ chosen: ids.map((i) => all.chosen[i]), rejected: ids.map((i) => all.rejected[i]) });
      const { head } = trainRewardHead(pick(idx.slice(nVal)), pick(idx.slice(0, nVal)), { ...c, batchSize: 32, maxEpochs: 300, patience: 15, seed: 0 });
      const mine: number[] = [];
      for (const [p, m] of byPromptAll) {
        if (foldOf.get(p) !== f) continue;
        for (let b = 0; b + 8 <= m.length; b += 8) {
          const block = m.slice(b, b + 8);
          const r = head.rewards(block.map((s) => s.state));
          let k = 0;
          for (let j = 1; j < r.length; j++) if (r[j] > r[k]) k = j;
          mine.push(block[k].score);
        }
      }
      best.push(...mine);
      perFold.push(Number((mine.reduce((a, b) => a + b, 0) / mine.length).toFixed(4)));
    }
    const n8 = best.reduce((a, b) => a + b, 0) / best.length;
    const sd = Math.sqrt(best.reduce((a, b) => a + (b - n8) ** 2, 0) / (best.length - 1));
    console.log(JSON.stringify({ name, n1: Number(n1.toFixed(4)), n8: Number(n8.toFixed(4)), se: Number((sd / Math.sqrt(best.length)).toFixed(4)), ratio: Number((n8 / n1).toFixed(3)), perFold, s: (Date.now() - t0) / 1000 }));
  }
}

main().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
