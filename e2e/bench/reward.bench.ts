/**
 * `npm run bench -- reward [--runs n] [--tokens n] [--dim d] [--layers n]`: best-of-8 through the reward-head service
 * (8 samples from the generation service in one batch, each with its end-of-turn state; a scoring pass only for samples
 * whose text does not re-tokenise to the sampled tokens: mean_rescored_samples_per_best_of_8) against its
 * baseline in the same run: generating the same 8 samples alone through the generation service (same prompt, seed,
 * sampling and stop strings, so the same tokens). Both over NATS, services in-process on a private platform, a
 * forged Llama-family chat L (random weights: the cost does not depend on what the weights say). Target (issue 11):
 * best_of_8_ms ≤ 1.3 × generate_8_ms. Prints {best_of_8_ms, generate_8_ms, best_of_8_vs_generate_8, ...} last
 * (medians over --runs, after one warm-up each; also the median of each run's ratio and the ratio of the fastest
 * runs, which other load on a shared machine disturbs less).
 */
import os from 'node:os';
import { RewardHead, Rng } from '@assay/stats';
import { PlatformHarness } from '@assay/testing';
import { GenerationModule } from '../../services/generation/src/generation.module';
import { HeadStore } from '../../services/reward-head/src/head.store';
import { RewardHeadModule } from '../../services/reward-head/src/reward-head.module';
import { forgeChatModel } from '../../services/reward-head/test/reward-models';

function flag(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const runs = flag(args, 'runs', 9);
  const tokens = flag(args, 'tokens', 48);
  const dim = flag(args, 'dim', 128);
  const layers = flag(args, 'layers', 4);
  const harness = new PlatformHarness('reward-bench');
  try {
    await harness.start();
    console.error(`[reward bench] forging a ${layers}-layer, ${dim}-wide chat L ...`);
    await harness.registry.push(await forgeChatModel(11, { hiddenSize: dim, layers, maxPositions: 512 }), { name: 'bench-l', version: '1', provenance: { kind: 'forged' } });
    await harness.startService(GenerationModule, 'generation');
    const app = await harness.startService(RewardHeadModule, 'reward-head');
    await app.get(HeadStore).save({ name: 'bench-head', model: 'bench-l@1', loss: 'separable', epsilon: 0.1, endOfTurn: '<|im_end|>', training: {}, state: RewardHead.create(dim, 'identity', new Rng(1)).toJSON() });

    const messages = [{ role: 'user', content: 'Tell me something about the sea and the ships on it.' }];
    const sampling = { maxNewTokens: tokens, temperature: 1, topP: 1, stop: ['<|im_end|>'] };
    const generate = (seed: number) => harness.rpc.call('assay.generation.generate', { model: 'bench-l@1', messages, n: 8, ...sampling, seed }, { timeoutMs: 300_000 });
    let rescored = 0;
    const bestOf8 = async (seed: number) => {
      const reply = await harness.rpc.call('assay.reward.best_of_n', { head: 'bench-head', messages, n: 8, ...sampling, seed }, { timeoutMs: 300_000 });
      rescored += reply.rescored ?? 0;
      return reply;
    };
    await generate(0);
    await bestOf8(0);
    rescored = 0;
    const generateMs: number[] = [];
    const bestMs: number[] = [];
    let generatedTokens = 0;
    for (let r = 1; r <= runs; r++) {
      // Alternate the order so load drift hits both alike.
      const timeIt = async (fn: () => Promise<unknown>) => {
        const t = performance.now();
        await fn();
        return performance.now() - t;
      };
      if (r % 2) {
        generateMs.push(await timeIt(async () => (generatedTokens += (await generate(r)).usage.outputTokens)));
        bestMs.push(await timeIt(() => bestOf8(r)));
      } else {
        bestMs.push(await timeIt(() => bestOf8(r)));
        generateMs.push(await timeIt(async () => (generatedTokens += (await generate(r)).usage.outputTokens)));
      }
      console.error(`[reward bench]   run ${r}: generate 8 ${generateMs[r - 1].toFixed(0)} ms, best-of-8 ${bestMs[r - 1].toFixed(0)} ms`);
    }
    const best = median(bestMs);
    const gen = median(generateMs);
    return {
      best_of_8_ms: Number(best.toFixed(1)),
      generate_8_ms: Number(gen.toFixed(1)),
      best_of_8_vs_generate_8: Number((best / gen).toFixed(3)),
      // Less sensitive to other load on a shared machine: each run's pair (timed back to back), and the fastest runs.
      median_paired_ratio: Number(median(bestMs.map((b, i) => b / generateMs[i])).toFixed(3)),
      min_best_of_8_ms: Number(Math.min(...bestMs).toFixed(1)),
      min_generate_8_ms: Number(Math.min(...generateMs).toFixed(1)),
      min_ratio: Number((Math.min(...bestMs) / Math.min(...generateMs)).toFixed(3)),
      runs,
      max_new_tokens: tokens,
      mean_generated_tokens_per_request: Number((generatedTokens / runs).toFixed(1)),
      mean_rescored_samples_per_best_of_8: Number((rescored / runs).toFixed(2)),
      model: { layers, dim, family: 'llama', weights: 'random' },
      loadavg: os.loadavg().map((x) => Number(x.toFixed(2))),
    };
  } finally {
    await harness.close();
  }
}
