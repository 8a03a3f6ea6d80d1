import { BehaviourMetric } from '@assay/platform';
import { EngineClient } from '@assay/runtime';
import { QTrajectory, terminalReward } from '@assay/stats';
import { decodeBlob, encodeBlob } from './blob-codec';

export interface RolloutOptions {
  n: number;
  maxNewTokens: number;
  temperature: number;
  topK: number;
  topP: number;
  seed: number;
  /** Reward −1 when the continuation's score is ≥ this. */
  toxicThreshold: number;
}

export interface RolloutBatch {
  trajectories: QTrajectory[];
  /** Continuation scores, NaN where the scorer failed (then the reward is 0, as the reference counts failures). */
  scores: number[];
  /** Index (in the batch's prompts) of each trajectory's prompt. */
  promptOf: number[];
}

/**
 * Rollouts of L on a batch of prompts (spec §2.1): n samples per prompt with their final hidden states, scored on
 * the continuation only (pitfall 9: the scorer never sees the prompt). A trajectory's states are the prompt's last
 * position (s_0) and each generated token's position but the last; its actions are the generated tokens, EOS
 * included when the sample ended with it (pitfall 7), so Q(s, EOS) is trained like any other action.
 */
export async function collectRollouts(engine: EngineClient, model: string, prompts: string[], metric: BehaviourMetric, options: RolloutOptions): Promise<RolloutBatch> {
  const [generated, promptStates] = await Promise.all([
    engine.generate({ model, prompts, n: options.n, maxNewTokens: options.maxNewTokens, temperature: options.temperature, topK: options.topK, topP: options.topP, seed: options.seed, returnHiddenStates: true }),
    engine.hiddenStates({ model, texts: prompts, pooling: 'last' }),
  ]);
  const completions = generated.completions.filter((c) => c.tokens.length > 0);
  const scores = await metric.score(completions.map((c) => ({ prompt: prompts[c.promptIndex], completion: c.text })));
  const D = promptStates.hiddenSize;
  const trajectories = completions.map((c, i) => {
    const T = c.tokens.length;
    const hidden = new Float32Array(T * D);
    hidden.set(promptStates.vectors[c.promptIndex].subarray(0, D), 0);
    for (let t = 1; t < T; t++) hidden.set(c.hiddenStates![t - 1], t * D);
    const score = scores[i];
    return { hidden, actions: Int32Array.from(c.tokens, (tok) => tok.id), reward: Number.isFinite(score) ? terminalReward(score, options.toxicThreshold) : 0 };
  });
  return { trajectories, scores, promptOf: completions.map((c) => c.promptIndex) };
}

interface RolloutMeta {
  actions: number[][];
  rewards: number[];
  scores: (number | null)[];
  promptOf: number[];
}

/** A rollout batch as one scratch blob (hidden states as float32). */
export function encodeRollouts(batch: RolloutBatch): Buffer {
  const meta: RolloutMeta = {
    actions: batch.trajectories.map((t) => Array.from(t.actions)),
    rewards: batch.trajectories.map((t) => t.reward),
    scores: batch.scores.map((s) => (Number.isFinite(s) ? s : null)),
    promptOf: batch.promptOf,
  };
  return encodeBlob(meta, batch.trajectories.map((t) => t.hidden));
}

export function decodeRollouts(buffer: Buffer): RolloutBatch {
  const { meta, arrays } = decodeBlob<RolloutMeta>(buffer);
  return {
    trajectories: meta.actions.map((actions, i) => ({ actions: Int32Array.from(actions), reward: meta.rewards[i], hidden: arrays[i] as Float32Array })),
    scores: meta.scores.map((s) => (s === null ? NaN : s)),
    promptOf: meta.promptOf,
  };
}
