import { Injectable } from '@nestjs/common';
import { RewardEvalRequest, RewardEvalResult } from '@assay/contracts';
import { JobContext, JobStages } from '@assay/messaging';
import { derivedSeed, HandlesJob, ModelHostService } from '@assay/platform';
import { ATTR, withSpan } from '@assay/telemetry';
import { candidateConversations } from './end-of-turn';
import { EndOfTurnStates } from './end-of-turn-states.service';
import { BestOfNRow, ChoiceScores, PairRewards, summarizeRewardEvaluation } from './evaluation-summary';
import { rewardReportFiles } from './evaluation-report';
import { RewardDataStore } from './reward-data.store';
import { RewardReportStore } from './report.store';
import { RewardService } from './reward.service';

/** Items per scratch batch (and per checkpoint). */
const BATCH = 16;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * The evaluation job of a head (issue 11 §5), every part on held-out data the caller names: pairwise accuracy with a
 * 95% Wilson interval and the reward distributions of chosen and rejected answers; multiple-choice accuracy of DPH
 * (argmax reward) against the log baseline (argmax mean log-probability of the answer under L); the best-of-n curve
 * (mean classifier score of the highest-reward sample among the first n, n = 1 being a plain sample). Scored batches
 * are scratch blobs (JobStages), so a restarted job redoes at most one batch. Report in `reports/reward-eval/<jobId>/`.
 */
@Injectable()
export class EvaluationJob {
  constructor(
    private readonly rewards: RewardService,
    private readonly states: EndOfTurnStates,
    private readonly data: RewardDataStore,
    private readonly reports: RewardReportStore,
    private readonly models: ModelHostService,
  ) {}

  @HandlesJob('reward-head.evaluate')
  async evaluate(job: JobContext<RewardEvalRequest>): Promise<RewardEvalResult> {
    const request = job.payload;
    return withSpan('reward-head.evaluate', { attributes: { [ATTR.jobId]: job.id, 'assay.reward.head': request.head } }, async () => {
      const stages = await JobStages.open(job);
      const headRef = await stages.fixed('head', async () => {
        const { id } = await this.rewards.headOnModel(request.head);
        return `${id.name}@${id.version}`;
      });
      const target = await this.rewards.headOnModel(headRef);
      const marker = await this.states.marker(target.model);
      const pairs = request.pairs ? await this.data.pairs(request.pairs, request.maxItems) : [];
      const choices = request.multipleChoice ? await this.data.choices(request.multipleChoice, request.maxItems) : [];
      const bon = request.bestOfN;
      const prompts = bon ? await this.data.prompts(bon.prompts, bon.maxPrompts) : [];
      const pairBatches = chunks(pairs, BATCH);
      const choiceBatches = chunks(choices, BATCH);
      const promptBatches = chunks(
        prompts.map((prompt, index) => ({ prompt, index })),
        4,
      );
      stages.plan(pairBatches.length + choiceBatches.length + promptBatches.length + 1);

      const pairRewards = await stages.run<(typeof pairs)[number], PairRewards>('pairs', pairBatches, async (batch) => {
        const r = await this.rewards.rewardsOf(target, batch.flatMap((p) => candidateConversations(p.context, [p.chosen, p.rejected], marker)));
        return batch.map((_, i) => ({ chosen: r[2 * i], rejected: r[2 * i + 1] }));
      });
      const choiceScores = await stages.run<(typeof choices)[number], ChoiceScores>('choices', choiceBatches, async (batch) => {
        const r = await this.rewards.rewardsOf(target, batch.flatMap((item) => candidateConversations(item.context, item.choices, marker)));
        const out: ChoiceScores[] = [];
        let at = 0;
        for (const item of batch) {
          const rewards = r.slice(at, at + item.choices.length);
          at += item.choices.length;
          out.push({ rewards, logprobs: await this.states.meanAnswerLogprobs(target.model, item.context, item.choices), label: item.label });
        }
        return out;
      });
      const bestOfN = bon
        ? await stages.run('best-of-n', promptBatches, async (batch) => {
            const n = Math.max(...bon.ns);
            const rows: BestOfNRow[] = [];
            for (const { prompt, index } of batch) {
              const out = await this.rewards.bestOfN({
                head: headRef,
                prompt,
                n,
                maxNewTokens: bon.maxNewTokens,
                temperature: bon.temperature,
                topK: bon.topK,
                topP: bon.topP,
                stop: bon.stop,
                seed: derivedSeed(bon.seed ?? 0, index),
              });
              const texts = bon.ns.map((k) => out.samples[argmaxOfFirst(out.samples.map((s) => s.reward), k)].text);
              const scores = await this.classify(bon.classifier, texts);
              rows.push({ prompt, rewards: out.samples.map((s) => s.reward), scores: Object.fromEntries(bon.ns.map((k, i) => [String(k), scores[i]])) });
            }
            return rows;
          })
        : [];

      const summary = summarizeRewardEvaluation({ pairs: pairRewards, choices: choiceScores, bestOfN, ns: bon?.ns ?? [] });
      const details = { head: headRef, model: target.loaded.artifact.model, loss: target.loaded.artifact.loss, epsilon: target.loaded.artifact.epsilon, pairs_set: request.pairs ?? null, multiple_choice_set: request.multipleChoice ?? null, best_of_n_prompts: bon?.prompts ?? null, classifier: bon?.classifier ?? null, job_id: job.id };
      const report = await this.reports.write(job.id, rewardReportFiles(`Reward head ${headRef} on ${target.loaded.artifact.model}`, summary, details));
      return {
        head: target.id,
        model: target.loaded.artifact.model,
        ...(summary.pairwise ? { pairwise: summary.pairwise } : {}),
        ...(summary.multipleChoice ? { multipleChoice: summary.multipleChoice } : {}),
        ...(summary.bestOfN.length > 0 ? { bestOfN: summary.bestOfN } : {}),
        ...report,
      };
    });
  }

  /** P(positive label) of each text under a registered classifier, run in-process. */
  private async classify(ref: string, texts: string[]): Promise<number[]> {
    const model = await this.models.acquire(ref);
    return (await this.models.engine.classify({ model: model.key, texts })).probabilities;
  }
}

/** Index of the highest reward among the first k (the first on a tie). */
export function argmaxOfFirst(rewards: readonly number[], k: number): number {
  let best = 0;
  for (let i = 1; i < Math.min(k, rewards.length); i++) if (rewards[i] > rewards[best]) best = i;
  return best;
}
