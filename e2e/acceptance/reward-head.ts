/**
 * Acceptance run of the reward head (issue 11), through the services (generation + reward-head in-process on a
 * private platform: real NATS, S3 server, onnxruntime), every figure on data the head never trained on:
 *
 *  - graded_mc: the graded-knowledge L (gradedKnowledgeModel, shared with the calibrator and rectifier). A separable
 *    DPH head is trained on the multiple-choice questions of the task's train split (the right answer against each
 *    wrong one), validated on the val split, and evaluated on the test split: DPH accuracy (argmax reward) against
 *    the log baseline (argmax mean log-probability of the answer under the same L).
 *  - hh_pairwise: the toxic L (trained on ChatML hh-rlhf dialogs among others) with a head trained on the train part
 *    of hh_rlhf_harmless_test (readBuiltinPreferences' seeded split) and evaluated on the held-out part: pairwise
 *    accuracy with its 95% Wilson interval. L's context is 96 tokens, so each pair keeps the last user turn and the
 *    first characters of both answers (pairs whose cut answers coincide are dropped).
 *  - best_of_n: the toxic L and the toxicity classifier. Pairs are L's own answers to the TRAIN prompts (8 samples
 *    each, scored by the classifier: the least toxic against the most toxic, when they differ enough); the head is
 *    trained on them, then best-of-n on the EVAL prompts (disjoint, never in L's training text), fresh samples, the
 *    chosen answer scored by the same classifier: mean toxicity at n = 1 (a plain sample) and n = 8.
 *
 *   node shared/cli/bin/run-ts.js e2e/acceptance/reward-head.ts [--json]
 * prints {"graded_mc": {"dph_acc","log_acc"}, "hh_pairwise": {"acc","ci_low"}, "best_of_n": {"toxicity_n1","toxicity_n8"}, ...} last.
 */
import os from 'node:os';
import path from 'node:path';
import { ChatMessage, RewardEvalResult, RewardTrainInput, RewardTrainResult } from '@assay/contracts';
import { formatMultipleChoiceQa, gradedKnowledgeModel, MultipleChoiceItem, readBuiltinPreferences, sharedDataDir, toxicityClassifierModel, toxicLanguageModel, toJsonl } from '@assay/forge';
import { JobsClient } from '@assay/messaging';
import { PlatformHarness } from '@assay/testing';
import { GenerationModule } from '../../services/generation/src/generation.module';
import { RewardHeadModule } from '../../services/reward-head/src/reward-head.module';

export interface RewardAcceptanceOptions {
  progress?: (line: string) => void;
  /** HH pairs used for training the hh head (default 1500) and held-out pairs evaluated (default all). */
  hhTrainPairs?: number;
  /** Train prompts sampled for the toxicity pairs (default all). */
  toxicTrainPrompts?: number;
}

const LETTERS = 'abcdefghij';
const round = (x: number | undefined | null, digits = 4) => (x === undefined || x === null ? null : Number(x.toFixed(digits)));

/** A graded multiple-choice question in L's chat format: the §1.1 context as the user's turn, the letter as the answer. */
function gradedChoice(item: MultipleChoiceItem) {
  return { messages: [{ role: 'user', content: formatMultipleChoiceQa(item).replace(/\nAnswer:$/, '') }], choices: item.choices.map((_, i) => LETTERS[i]), label: item.label };
}

const cut = (text: string, chars: number) => (text.length <= chars ? text : text.slice(0, chars));
const cutLeft = (text: string, chars: number) => (text.length <= chars ? text : text.slice(text.length - chars));

export async function runRewardAcceptance(options: RewardAcceptanceOptions = {}) {
  const log = options.progress ?? ((line: string) => console.error(`[reward-head acceptance] ${line}`));
  const started = Date.now();
  const seconds: Record<string, number> = {};
  let t = Date.now();
  const lap = (name: string) => {
    seconds[name] = Number(((Date.now() - t) / 1000).toFixed(1));
    t = Date.now();
  };

  const graded = await gradedKnowledgeModel({ progress: log });
  const toxic = await toxicLanguageModel({ progress: log });
  const classifier = await toxicityClassifierModel({ progress: log });
  lap('models');

  const harness = new PlatformHarness('reward-acceptance');
  await harness.start();
  try {
    await harness.registry.push(graded.model.dir, { name: 'graded-l', version: graded.model.version, provenance: { kind: 'forged' } });
    await harness.registry.push(toxic.model.dir, { name: 'toxic-l', version: toxic.model.version, provenance: { kind: 'forged' } });
    await harness.registry.push(classifier.model.dir, { name: 'assay-toxicity', version: classifier.model.version, provenance: { kind: 'forged' } });
    await harness.startService(GenerationModule, 'generation');
    await harness.startService(RewardHeadModule, 'reward-head');
    const jobs = await JobsClient.create(harness.nc, { namespace: harness.namespace });
    const put = async (key: string, records: unknown[]) => {
      await harness.store.put(key, Buffer.from(toJsonl(records)));
      return key;
    };
    const wait = async <R>(jobId: string, what: string): Promise<R> => {
      let last = -1;
      for await (const event of jobs.watch(jobId, { pollMs: 500 })) {
        if (event.type === 'progress' && Math.floor(event.progress.fraction * 4) !== last) {
          last = Math.floor(event.progress.fraction * 4);
          log(`${what}: ${(event.progress.fraction * 100).toFixed(0)}% ${event.progress.message ?? ''}`);
        }
      }
      return jobs.result<R>(jobId);
    };
    const train = async (request: RewardTrainInput) => {
      const accepted = await harness.rpc.call('assay.reward.train', request);
      const result = await wait<RewardTrainResult>(accepted.jobId, `train ${request.name}`);
      log(`trained ${request.name}: ${JSON.stringify(result)}`);
      return `${result.head.name}@${result.head.version}`;
    };
    const evaluate = async (request: Parameters<typeof harness.rpc.call<'assay.reward.evaluate'>>[1], what: string) => {
      const accepted = await harness.rpc.call('assay.reward.evaluate', request);
      const result = await wait<RewardEvalResult>(accepted.jobId, what);
      log(`${what}: ${JSON.stringify({ ...result, reportKey: undefined })}`);
      return result;
    };

    // 1. Graded multiple choice: DPH against the log baseline on the test split.
    const mc = graded.task.multipleChoice;
    const split = (s: string) => mc.filter((q) => q.split === s).map(gradedChoice);
    const asPairs = (items: ReturnType<typeof gradedChoice>[]) =>
      items.flatMap((item) => item.choices.filter((_, i) => i !== item.label).map((wrong) => ({ messages: item.messages, chosen: item.choices[item.label], rejected: wrong })));
    // Format (letter answers, L's chat format for multiple choice), pooler, loss and learning rate were chosen on the
    // val split (letters vs "b: value" answers, identity vs dense-tanh, separable vs contrastive); test is untouched.
    const gradedHead = await train({
      name: 'graded-mc',
      model: `graded-l@${graded.model.version}`,
      data: await put('acceptance/graded/train.jsonl', asPairs(split('train'))),
      validation: await put('acceptance/graded/val.jsonl', asPairs(split('val'))),
      pooler: 'identity',
      loss: 'contrastive',
      learningRate: 1e-3,
      maxEpochs: 200,
      patience: 10,
      batchPairs: 64,
    });
    const gradedEval = await evaluate({ head: gradedHead, multipleChoice: await put('acceptance/graded/test.jsonl', split('test')) }, 'graded MC eval');
    lap('graded_mc');

    // 2. HH harmless pairs, the held-out part of the seeded split.
    const hh = readBuiltinPreferences('hh_rlhf_harmless_test', sharedDataDir());
    const fit = (pairs: typeof hh.train) =>
      pairs
        .map((p) => {
          const lastUser = [...p.messages].reverse().find((m) => m.role === 'user')!;
          return { messages: [{ role: 'user', content: cutLeft(lastUser.content, 100) }] as ChatMessage[], chosen: cut(p.chosen, 100), rejected: cut(p.rejected, 100) };
        })
        .filter((p) => p.chosen !== p.rejected);
    const hhTrain = fit(hh.train).slice(0, options.hhTrainPairs ?? 1500);
    const hhHeld = fit(hh.heldOut);
    const hhHead = await train({ name: 'hh-harmless', model: `toxic-l@${toxic.model.version}`, data: await put('acceptance/hh/train.jsonl', hhTrain), batchPairs: 64, maxEpochs: 300, patience: 15, learningRate: 3e-3 });
    const hhEval = await evaluate({ head: hhHead, pairs: await put('acceptance/hh/heldout.jsonl', hhHeld) }, 'hh eval');
    lap('hh_pairwise');

    // 3. Best-of-n against toxicity: on-policy pairs from the train prompts, best-of-n on the eval prompts.
    const trainPrompts = toxic.prompts.train.slice(0, options.toxicTrainPrompts ?? toxic.prompts.train.length);
    const sampling = { maxNewTokens: 20, temperature: 1, topP: 1 };
    const toxicPairs: Array<{ prompt: string; chosen: string; rejected: string }> = [];
    // 24 samples per train prompt (three seeds of 8 prompts × 8 samples: one request at the batch cap each); every
    // sample the classifier calls clearly non-toxic (< 0.25) against every clearly toxic one (≥ 0.6), at most 8 pairs
    // per prompt.
    for (let i = 0; i < trainPrompts.length; i += 8) {
      const prompts = trainPrompts.slice(i, i + 8);
      const samples: Array<{ promptIndex: number; text: string }> = [];
      for (const seed of [1000 + i, 500_000 + i, 900_000 + i]) {
        const generated = await harness.rpc.call('assay.generation.generate', { model: `toxic-l@${toxic.model.version}`, messages: prompts.map((p) => [{ role: 'user', content: p }]), n: 8, ...sampling, stop: ['<|im_end|>'], seed }, { timeoutMs: 600_000 });
        samples.push(...generated.completions.filter((c) => c.text.trim().length > 0).map((c) => ({ promptIndex: c.promptIndex, text: c.text })));
      }
      const scores = await classify(harness, samples.map((s) => s.text));
      prompts.forEach((prompt, j) => {
        const mine = samples.map((s, k) => ({ text: s.text, score: scores[k], promptIndex: s.promptIndex })).filter((s) => s.promptIndex === j);
        const clean = mine.filter((s) => s.score < 0.25);
        const toxicOnes = mine.filter((s) => s.score >= 0.6);
        let made = 0;
        for (let a = 0; a < clean.length && made < 8; a++) {
          for (let b = 0; b < toxicOnes.length && made < 8; b++) {
            toxicPairs.push({ prompt, chosen: clean[(a + b) % clean.length].text, rejected: toxicOnes[b].text });
            made++;
          }
        }
      });
    }
    log(`toxicity pairs: ${toxicPairs.length} from ${trainPrompts.length} train prompts`);
    // Every setting chosen on the TRAIN prompts only (e2e/acceptance/reward-head-tune.ts: 4-fold cross-validation over
    // the 400 train prompts, 24 samples each, best-of-8 of heads trained on the other folds; README "Acceptance"):
    // pooler identity (dense-tanh no better on a single dev split, 0.405–0.411 × vs 0.404–0.425 ×), contrastive loss
    // (separable 0.473 ×), ε 0.1, learning rate 3e-3 with weight decay 0.01 (0.432–0.437 × n = 1 across pair rules,
    // against 0.440–0.450 × at 1e-2/0.1); the eval prompts played no part.
    const toxicHead = await train({ name: 'non-toxic', model: `toxic-l@${toxic.model.version}`, data: await put('acceptance/toxic/train.jsonl', toxicPairs), loss: 'contrastive', batchPairs: 64, maxEpochs: 300, patience: 15, learningRate: 3e-3, weightDecay: 0.01 });
    const evalPrompts = await put('acceptance/toxic/eval-prompts.jsonl', toxic.prompts.eval.map((prompt) => ({ prompt })));
    const bonEval = await evaluate({ head: toxicHead, bestOfN: { prompts: evalPrompts, ns: [1, 2, 4, 8], classifier: 'assay-toxicity', maxPrompts: toxic.prompts.eval.length, ...sampling, seed: 7 } }, 'best-of-n eval');
    lap('best_of_n');

    const at = (n: number) => bonEval.bestOfN?.find((p) => p.n === n)?.meanScore;
    return {
      graded_mc: { dph_acc: round(gradedEval.multipleChoice?.dphAccuracy), log_acc: round(gradedEval.multipleChoice?.logAccuracy), n: gradedEval.multipleChoice?.n, dph_ci: gradedEval.multipleChoice?.dph, log_ci: gradedEval.multipleChoice?.log },
      hh_pairwise: { acc: round(hhEval.pairwise?.estimate), ci_low: round(hhEval.pairwise?.low), ci_high: round(hhEval.pairwise?.high), n: hhEval.pairwise?.n, train_pairs: hhTrain.length },
      best_of_n: { toxicity_n1: round(at(1)), toxicity_n8: round(at(8)), curve: bonEval.bestOfN, prompts: toxic.prompts.eval.length, train_pairs: toxicPairs.length },
      heads: { graded: gradedHead, hh: hhHead, toxicity: toxicHead },
      models: { graded: `graded-l@${graded.model.version}`, toxic: `toxic-l@${toxic.model.version}`, classifier: `assay-toxicity@${classifier.model.version}` },
      seconds: { ...seconds, total: Number(((Date.now() - started) / 1000).toFixed(1)) },
      loadavg: os.loadavg().map((x) => Number(x.toFixed(2))),
    };
  } finally {
    await harness.close();
  }
}

/** P(toxic) of texts under the registered classifier, through the reward-head service's own model host. */
async function classify(harness: PlatformHarness, texts: string[]): Promise<number[]> {
  const app = harness.apps.get('reward-head')!;
  const { ModelHostService } = await import('@assay/platform');
  const models = app.get(ModelHostService);
  const model = await models.acquire('assay-toxicity');
  const out: number[] = [];
  for (let i = 0; i < texts.length; i += 256) out.push(...(await models.engine.classify({ model: model.key, texts: texts.slice(i, i + 256) })).probabilities);
  return out;
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const result = await runRewardAcceptance();
  console.log(json ? JSON.stringify(result) : JSON.stringify(result, null, 2));
  process.exit(0);
}

if (require.main === module || path.resolve(process.argv[1] ?? '') === __filename) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
