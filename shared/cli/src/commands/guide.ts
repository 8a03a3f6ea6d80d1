import { Command } from 'commander';
import { GuideTrainResult, JobAccepted } from '@assay/contracts';
import { asUsageError, InvalidArgumentError, print } from '../output';
import { submitJob, uploadIfLocal, waitForResult } from '../platform-calls';

const int = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  return n;
};

interface TrainOptions {
  data: string;
  name: string;
  tokenizer?: string;
  vocabSize?: number;
  base?: string;
  layers?: number;
  heads?: number;
  dim?: number;
  context?: number;
  steps?: number;
  batchSize?: number;
  lr?: number;
  seed?: number;
  wait?: boolean;
  json?: boolean;
}

/** `assay guide train`: train (or fine-tune) a VALID guide G on in-domain responses, as a durable job. */
export function guideCommand(): Command {
  const guide = new Command('guide');
  guide
    .command('train')
    .description('queue the training of a guide on in-domain responses (JSONL text/response/answer, or paragraphs of text)')
    .requiredOption('--data <file|key>', 'local file (uploaded first) or object-store key')
    .requiredOption('--name <guide>', 'registry name of the guide')
    .option('--tokenizer <model|train>', 'reuse this model\'s tokenizer (e.g. L\'s, so G can rescore L\'s token ids), or "train" a BPE (default: train)')
    .option('--vocab-size <n>', 'BPE vocabulary when training a tokenizer (default: 2048)', int)
    .option('--base <guide>', 'fine-tune this guide (keeps its tokenizer and architecture)')
    .option('--layers <n>', 'transformer blocks (default: 2)', int)
    .option('--heads <n>', 'attention heads (default: 4)', int)
    .option('--dim <n>', 'model width (default: 128)', int)
    .option('--context <n>', 'context length in tokens (default: 128)', int)
    .option('--steps <n>', 'optimizer steps (default: 1500)', int)
    .option('--batch-size <n>', 'sequences per step (default: 32)', int)
    .option('--lr <x>', 'peak learning rate (default: 3e-3)', Number)
    .option('--seed <n>', 'seed (default: 23633)', Number)
    .option('--wait', 'follow the job with a live progress bar and print the registered guide')
    .option('--json', 'one JSON object (with --wait: one JSON line per event, then the result)')
    .action(async (o: TrainOptions) => {
      const json = Boolean(o.json);
      let data: string;
      try {
        data = await uploadIfLocal(o.data, 'guides');
      } catch (error) {
        throw asUsageError(error);
      }
      // Unset options stay unset: the service's schema holds the defaults.
      const request = {
        data,
        name: o.name,
        tokenizer: o.tokenizer,
        vocabSize: o.vocabSize,
        baseModel: o.base,
        layers: o.layers,
        heads: o.heads,
        dim: o.dim,
        context: o.context,
        steps: o.steps,
        batchSize: o.batchSize,
        learningRate: o.lr,
        seed: o.seed,
      };
      const accepted = await submitJob('assay.guide-training.train', request);
      if (!o.wait) {
        print({ ...accepted, data }, json, (a: JobAccepted) => `guide training ${a.jobId} ${a.status}\n  follow: assay jobs watch ${a.jobId}`);
        return;
      }
      const result = await waitForResult<GuideTrainResult>(accepted.jobId, json);
      print(result, json, (r: GuideTrainResult) => {
        const report = r.report as { steps?: number; trainLoss?: number; valLoss?: number | null; stopReason?: string; wallTimeSec?: number };
        return `registered ${r.model}@${r.version}: ${report.steps} steps (${report.stopReason}), train loss ${report.trainLoss?.toFixed(3)}, val loss ${report.valLoss?.toFixed(3) ?? 'n/a'}, ${report.wallTimeSec?.toFixed(0)} s`;
      });
    });
  return guide;
}
