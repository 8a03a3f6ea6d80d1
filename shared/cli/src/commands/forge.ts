import { Command } from 'commander';
import { SingleBar } from 'cli-progress';
import fs from 'node:fs';
import path from 'node:path';
import { forgeLm, readCorpusFiles, trainBpeTokenizer, TokenizerJson, tokenizerVocabSize, writeTokenizerDir } from '@assay/forge';
import { print } from '../output';

const int = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`expected a positive integer, got "${value}"`);
  return n;
};

function loadTokenizer(dir: string): TokenizerJson {
  const file = fs.statSync(dir).isDirectory() ? path.join(dir, 'tokenizer.json') : dir;
  return JSON.parse(fs.readFileSync(file, 'utf8')) as TokenizerJson;
}

/** `assay forge ...`: make tokenizers and small language models on this machine (no download). */
export function forgeCommand(): Command {
  const forge = new Command('forge').description('train tokenizers and small GPT-2-style LMs, exported in the ONNX (Optimum) layout');
  forge
    .command('tokenizer')
    .description('train a byte-level BPE tokenizer and write a Hugging Face tokenizer.json')
    .requiredOption('--corpus <files...>', 'text or JSONL files')
    .option('--vocab-size <n>', 'vocabulary size (special tokens included)', int, 2048)
    .requiredOption('--out <dir>', 'output directory')
    .option('--json', 'one JSON object')
    .action(async (options: { corpus: string[]; vocabSize: number; out: string; json?: boolean }) => {
      const started = Date.now();
      const tokenizer = trainBpeTokenizer({ texts: readCorpusFiles(options.corpus), vocabSize: options.vocabSize });
      const files = await writeTokenizerDir(tokenizer, options.out);
      print({ out: path.resolve(options.out), vocabSize: tokenizerVocabSize(tokenizer), files, seconds: (Date.now() - started) / 1000 }, Boolean(options.json), (v) => `tokenizer with ${v.vocabSize} tokens written to ${v.out} in ${v.seconds.toFixed(1)} s`);
    });
  forge
    .command('lm')
    .description('train (or fine-tune with --base) a small decoder LM and export model.onnx with KV cache and hidden states')
    .requiredOption('--corpus <files...>', 'text (documents separated by blank lines) or JSONL files')
    .requiredOption('--tokenizer <dir>', 'directory with tokenizer.json (e.g. from `assay forge tokenizer`)')
    .option('--layers <n>', 'transformer blocks', int, 2)
    .option('--heads <n>', 'attention heads', int, 4)
    .option('--dim <n>', 'model width', int, 128)
    .option('--context <n>', 'context length in tokens', int, 128)
    .option('--steps <n>', 'optimizer steps', int, 1000)
    .option('--batch-size <n>', 'sequences per step', int, 32)
    .option('--lr <x>', 'peak learning rate', Number, 3e-3)
    .option('--seed <n>', 'seed', Number, 0)
    .option('--base <dir>', 'fine-tune this forged model directory instead of training from scratch')
    .requiredOption('--out <dir>', 'output model directory')
    .option('--json', 'one JSON object (no progress bar)')
    .action(async (o: { corpus: string[]; tokenizer: string; layers: number; heads: number; dim: number; context: number; steps: number; batchSize: number; lr: number; seed: number; base?: string; out: string; json?: boolean }) => {
      const bar = o.json ? undefined : new SingleBar({ format: ' training {bar} {value}/{total} steps | loss {loss} | val {val} | {tps} tok/s | ETA {eta_formatted}', hideCursor: true });
      bar?.start(o.steps, 0, { loss: '-', val: '-', tps: '-' });
      const result = await forgeLm({
        texts: readCorpusFiles(o.corpus),
        tokenizer: loadTokenizer(o.tokenizer),
        model: { layers: o.layers, heads: o.heads, dim: o.dim, contextLength: o.context },
        baseModelDir: o.base,
        outDir: o.out,
        training: { maxSteps: o.steps, batchSize: o.batchSize, learningRate: o.lr, seed: o.seed },
        onProgress: (p) => bar?.update(p.step, { loss: p.loss.toFixed(3), val: p.valLoss?.toFixed(3) ?? '-', tps: Math.round(p.tokensPerSec) }),
      });
      bar?.stop();
      print({ out: result.dir, report: result.report }, Boolean(o.json), (v) => `model written to ${v.out}\n  train loss ${v.report.trainLoss.toFixed(3)}, val loss ${v.report.valLoss?.toFixed(3) ?? '-'}, val perplexity ${v.report.valPerplexity?.toFixed(1) ?? '-'}, ${v.report.parameters} parameters, ${v.report.wallTimeSec.toFixed(0)} s`);
    });
  return forge;
}
