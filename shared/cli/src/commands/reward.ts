import { Command } from 'commander';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { BestOfNResponse, RewardEvalResult, RewardScoreResponse, RewardTrainResult, SubjectRequest } from '@assay/contracts';
import { BUILTIN_PREFERENCE_SETS, BuiltinPreferenceSet, readBuiltinPreferences, toJsonl } from '@assay/forge';
import { loadConfig } from '@assay/platform';
import { connectPlatform, objectStoreFromEnv } from '../connect';
import { asUsageError, InvalidArgumentError, print, usage } from '../output';
import { submitJob, uploadIfLocal, waitForResult } from '../platform-calls';

const number = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`expected a number, got "${value}"`);
  return n;
};
const int = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a non-negative integer, got "${value}"`);
  return n;
};
const ints = (value: string) => value.split(',').map((v) => int(v.trim()));

/** The reward-head service's HTTP base URL, for report links. */
function rewardUrl(): string {
  const { host, port } = loadConfig('reward-head').http;
  return `http://${host}:${port}`;
}

/** Default location of the licensed local datasets (shared/data beside the repository). */
const DEFAULT_DATA_DIR = path.resolve(__dirname, '../../../../../shared/data');

export interface UploadedBuiltin {
  train: string;
  heldOut: string;
  /** Multiple-choice sets: the held-out questions as {messages, choices, label}. */
  heldOutChoices?: string;
  counts: { train: number; heldOut: number; heldOutChoices?: number };
}

/**
 * A built-in preference set, split (held-out part kept apart) and uploaded as JSONL under content-addressed keys
 * `uploads/reward/<name>/<digest>/{train,heldout,heldout-choices}.jsonl`.
 */
export async function uploadBuiltin(name: BuiltinPreferenceSet, dataDir: string, options: { heldOutFraction?: number; seed?: number } = {}): Promise<UploadedBuiltin> {
  const set = readBuiltinPreferences(name, dataDir, options);
  const { store } = objectStoreFromEnv();
  const put = async (file: string, records: unknown[]) => {
    const body = Buffer.from(toJsonl(records));
    const key = `uploads/reward/${name}/${createHash('sha256').update(body).digest('hex').slice(0, 16)}/${file}`;
    if (!(await store.exists(key))) await store.put(key, body, { contentType: 'application/x-ndjson' });
    return key;
  };
  return {
    train: await put('train.jsonl', set.train),
    heldOut: await put('heldout.jsonl', set.heldOut),
    ...(set.heldOutChoices ? { heldOutChoices: await put('heldout-choices.jsonl', set.heldOutChoices) } : {}),
    counts: { train: set.train.length, heldOut: set.heldOut.length, ...(set.heldOutChoices ? { heldOutChoices: set.heldOutChoices.length } : {}) },
  };
}

function builtinName(value: string): BuiltinPreferenceSet {
  if (!(BUILTIN_PREFERENCE_SETS as readonly string[]).includes(value)) usage(`--builtin must be one of ${BUILTIN_PREFERENCE_SETS.join(', ')}, got ${value}`);
  return value as BuiltinPreferenceSet;
}

interface TrainOptions {
  model: string;
  name: string;
  data?: string;
  builtin?: string;
  dataDir?: string;
  validation?: string;
  pooler?: string;
  loss?: string;
  epsilon?: number;
  lr?: number;
  batchSize?: number;
  maxEpochs?: number;
  patience?: number;
  maxPairs?: number;
  seed?: number;
  wait?: boolean;
  json?: boolean;
}

interface ContextOptions {
  head: string;
  model?: string;
  system?: string;
  json?: boolean;
}

const contextOf = (prompt: string, o: ContextOptions) => (o.system ? { messages: [{ role: 'system', content: o.system }, { role: 'user', content: prompt }] } : { prompt });

/** `assay reward train|score|best-of-n|eval`: Direct Preference Heads (issue 11). */
export function rewardCommand(): Command {
  const reward = new Command('reward').description('reward heads (Direct Preference Heads): rewards read from L\'s own end-of-turn state');
  reward
    .command('train')
    .description('queue the training of a reward head on a frozen L from preference pairs (JSONL {prompt|messages, chosen, rejected}, or a built-in set)')
    .requiredOption('--model <L>', 'the frozen backbone L (name or name@version)')
    .requiredOption('--name <head>', 'registry name of the head')
    .option('--data <file|key>', 'JSONL pairs: a local file (uploaded first) or an object key')
    .option('--builtin <set>', `a built-in set, split with its held-out part kept apart: ${BUILTIN_PREFERENCE_SETS.join(', ')}`)
    .option('--data-dir <dir>', 'where the built-in sets live (default: shared/data beside the repository)')
    .option('--validation <file|key>', 'JSONL pairs for early stopping (default: a seeded share of the training pairs)')
    .option('--pooler <kind>', 'identity or dense-tanh (default: identity)')
    .option('--loss <kind>', 'separable or contrastive (default: separable)')
    .option('--epsilon <e>', 'label smoothing (default: 0.1)', number)
    .option('--lr <x>', 'learning rate (default: 1e-2)', number)
    .option('--batch-size <n>', 'pairs per optimizer step (default: 32)', int)
    .option('--max-epochs <n>', 'epochs at most (default: 200)', int)
    .option('--patience <n>', 'epochs without a better validation loss before stopping (default: 10)', int)
    .option('--max-pairs <n>', 'pairs at most (default: 20000)', int)
    .option('--seed <n>', 'seed (default: 0)', int)
    .option('--wait', 'follow the job with a live progress bar and print the trained head')
    .option('--json', 'one JSON object (with --wait: one JSON line per event, then the result)')
    .action(async (o: TrainOptions) => {
      const json = Boolean(o.json);
      if ((o.data === undefined) === (o.builtin === undefined)) usage('give --data or --builtin');
      if (o.pooler && o.pooler !== 'identity' && o.pooler !== 'dense-tanh') usage(`--pooler must be identity or dense-tanh, got ${o.pooler}`);
      if (o.loss && o.loss !== 'separable' && o.loss !== 'contrastive') usage(`--loss must be separable or contrastive, got ${o.loss}`);
      let request: SubjectRequest<'assay.reward.train'>;
      let heldOut: UploadedBuiltin | undefined;
      try {
        if (o.builtin) heldOut = await uploadBuiltin(builtinName(o.builtin), o.dataDir ?? DEFAULT_DATA_DIR, { seed: o.seed });
        request = {
          model: o.model,
          name: o.name,
          data: heldOut ? heldOut.train : await uploadIfLocal(o.data!, 'reward'),
          validation: o.validation ? await uploadIfLocal(o.validation, 'reward') : undefined,
          pooler: o.pooler as 'identity' | 'dense-tanh' | undefined,
          loss: o.loss as 'separable' | 'contrastive' | undefined,
          epsilon: o.epsilon,
          learningRate: o.lr,
          batchSize: o.batchSize,
          maxEpochs: o.maxEpochs,
          patience: o.patience,
          maxPairs: o.maxPairs,
          seed: o.seed,
        };
      } catch (error) {
        throw asUsageError(error);
      }
      const accepted = await submitJob('assay.reward.train', request);
      const extra = heldOut ? { builtin: heldOut } : {};
      if (!o.wait) {
        print({ ...accepted, ...extra }, json, (a: typeof accepted) => `reward-head training ${a.jobId} ${a.status}\n  follow: assay jobs watch ${a.jobId}${heldOut ? `\n  held-out pairs (for assay reward eval --pairs): ${heldOut.heldOut}` : ''}`);
        return;
      }
      const result = await waitForResult<RewardTrainResult>(accepted.jobId, json);
      print({ ...result, ...extra }, json, (r: RewardTrainResult) =>
        [
          `trained ${r.head.name}@${r.head.version} on ${r.model}: ${r.pairs.train} pairs (${r.pairs.validation} validation), ${r.epochs} epochs, best ${r.bestEpoch}`,
          `  train loss ${r.trainLoss.toFixed(4)}, validation loss ${r.validationLoss?.toFixed(4) ?? 'n/a'}, validation accuracy ${r.validationAccuracy?.toFixed(3) ?? 'n/a'}`,
          ...(heldOut ? [`  held-out pairs (for assay reward eval --pairs): ${heldOut.heldOut}${heldOut.heldOutChoices ? `\n  held-out questions (--multiple-choice): ${heldOut.heldOutChoices}` : ''}`] : []),
        ].join('\n'),
      );
    });

  reward
    .command('score')
    .description('rewards of candidate answers to a prompt, in one batched pass')
    .argument('<prompt>', 'the user\'s message')
    .argument('<candidates...>', 'assistant answers to score')
    .requiredOption('--head <head>', 'the reward head (name or name@version)')
    .option('--model <L>', 'fail unless the head reads this L')
    .option('--system <text>', 'a system message before the prompt')
    .option('--rerank', 'print the candidates sorted by reward')
    .option('--json', 'the full response')
    .action(async (prompt: string, candidates: string[], o: ContextOptions & { rerank?: boolean }) => {
      const json = Boolean(o.json);
      const clients = await connectPlatform();
      try {
        const request = { head: o.head, model: o.model, ...contextOf(prompt, o), candidates };
        if (o.rerank) {
          const ranked = await clients.rpc.call('assay.reward.rerank', request);
          print(ranked, json, (r: typeof ranked) => r.ranked.map((c) => `${c.reward.toFixed(4)}  [${c.index}] ${c.candidate}`).join('\n'));
        } else {
          const scored = await clients.rpc.call('assay.reward.score', request);
          print(scored, json, (r: RewardScoreResponse) => [`head ${r.head.name}@${r.head.version} on ${r.model}`, ...r.rewards.map((x, i) => `${x.toFixed(4)}  ${candidates[i]}`)].join('\n'));
        }
      } finally {
        await clients.close();
      }
    });

  reward
    .command('best-of-n')
    .description('sample n answers from L in one batch and return the one with the highest reward')
    .argument('<prompt>', 'the user\'s message')
    .requiredOption('--head <head>', 'the reward head')
    .option('--model <L>', 'fail unless the head reads this L')
    .option('--system <text>', 'a system message before the prompt')
    .option('--n <n>', 'samples (default: 8)', int)
    .option('--min-reward <r>', 'separable heads: refuse when the best reward is below this', number)
    .option('--max-new-tokens <n>', 'answer length cap (default: 64)', int)
    .option('--temperature <t>', 'sampling temperature (default: 1)', number)
    .option('--top-p <p>', 'nucleus sampling (default: 1)', number)
    .option('--seed <n>', 'seed', int)
    .option('--json', 'the full response')
    .action(async (prompt: string, o: ContextOptions & { n?: number; minReward?: number; maxNewTokens?: number; temperature?: number; topP?: number; seed?: number }) => {
      const json = Boolean(o.json);
      const clients = await connectPlatform();
      try {
        const reply = await clients.rpc.call('assay.reward.best_of_n', {
          head: o.head,
          model: o.model,
          ...contextOf(prompt, o),
          n: o.n,
          minReward: o.minReward,
          maxNewTokens: o.maxNewTokens,
          temperature: o.temperature,
          topP: o.topP,
          seed: o.seed,
        });
        print(reply, json, (r: BestOfNResponse) =>
          [
            r.outcome === 'chosen' ? `CHOSEN (reward ${r.reward!.toFixed(4)}): ${r.text}` : `NO ACCEPTABLE CANDIDATE (best reward below ${o.minReward})`,
            ...r.samples.map((s, i) => `  ${i === r.chosen ? '*' : ' '} ${s.reward.toFixed(4)}  ${JSON.stringify(s.text)}`),
          ].join('\n'),
        );
      } finally {
        await clients.close();
      }
    });

  reward
    .command('eval')
    .description('evaluate a head on held-out data: pairwise accuracy (95% CI), DPH vs log multiple-choice accuracy, best-of-n curve; waits, prints the result and the report link')
    .requiredOption('--head <head>', 'the reward head')
    .option('--pairs <file|key>', 'held-out JSONL pairs')
    .option('--multiple-choice <file|key>', 'held-out JSONL {prompt|messages, choices, label}')
    .option('--builtin <set>', 'use the held-out part of a built-in set (same seed as at training)')
    .option('--data-dir <dir>', 'where the built-in sets live')
    .option('--seed <n>', 'split seed of --builtin (default: 0)', int)
    .option('--best-of-n-prompts <file|key>', 'prompts (not used in training) for the best-of-n curve')
    .option('--ns <n,...>', 'sample counts of the curve (default: 1,2,4,8)', ints)
    .option('--classifier <model>', 'classifier scoring the chosen samples (default: assay-toxicity)')
    .option('--max-new-tokens <n>', 'answer length cap for best-of-n (default: 64)', int)
    .option('--max-items <n>', 'items per set (default: 2000)', int)
    .option('--json', 'the result as one JSON object (progress events as JSON lines before it)')
    .action(async (o: { head: string; pairs?: string; multipleChoice?: string; builtin?: string; dataDir?: string; seed?: number; bestOfNPrompts?: string; ns?: number[]; classifier?: string; maxNewTokens?: number; maxItems?: number; json?: boolean }) => {
      const json = Boolean(o.json);
      let request: SubjectRequest<'assay.reward.evaluate'>;
      try {
        const builtin = o.builtin ? await uploadBuiltin(builtinName(o.builtin), o.dataDir ?? DEFAULT_DATA_DIR, { seed: o.seed }) : undefined;
        request = {
          head: o.head,
          pairs: o.pairs ? await uploadIfLocal(o.pairs, 'reward') : builtin?.heldOut,
          multipleChoice: o.multipleChoice ? await uploadIfLocal(o.multipleChoice, 'reward') : builtin?.heldOutChoices,
          bestOfN: o.bestOfNPrompts ? { prompts: await uploadIfLocal(o.bestOfNPrompts, 'reward'), ns: o.ns, classifier: o.classifier, maxNewTokens: o.maxNewTokens } : undefined,
          maxItems: o.maxItems,
        };
      } catch (error) {
        throw asUsageError(error);
      }
      const accepted = await submitJob('assay.reward.evaluate', request);
      const result = await waitForResult<RewardEvalResult>(accepted.jobId, json);
      const withUrl = { ...result, reportHttpUrl: `${rewardUrl()}${result.reportPath}` };
      print(withUrl, json, (r: typeof withUrl) =>
        [
          `head ${r.head.name}@${r.head.version} on ${r.model}`,
          ...(r.pairwise ? [`  pairwise accuracy ${r.pairwise.estimate.toFixed(3)} [${r.pairwise.low.toFixed(3)}, ${r.pairwise.high.toFixed(3)}] on ${r.pairwise.n} held-out pairs`] : []),
          ...(r.multipleChoice ? [`  multiple choice (${r.multipleChoice.n}): DPH ${r.multipleChoice.dphAccuracy.toFixed(3)}, log ${r.multipleChoice.logAccuracy.toFixed(3)}`] : []),
          ...(r.bestOfN ?? []).map((p) => `  best-of-${p.n}: mean score ${p.meanScore.toFixed(4)} over ${p.prompts} prompts`),
          `report: ${r.reportHttpUrl} (x-api-key)`,
        ].join('\n'),
      );
    });
  return reward;
}
