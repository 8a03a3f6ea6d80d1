import { Command } from 'commander';
import { SingleBar } from 'cli-progress';
import fs from 'node:fs';
import path from 'node:path';
import { forgeLm, readCorpusFiles, trainBpeTokenizer, TokenizerJson, tokenizerVocabSize, writeTokenizerDir } from '@assay/forge';
import { InvalidArgumentError, print, usage } from '../output';

const int = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  return n;
};

function loadTokenizer(dir: string): TokenizerJson {
  const file = fs.statSync(dir).isDirectory() ? path.join(dir, 'tokenizer.json') : dir;
  return JSON.parse(fs.readFileSync(file, 'utf8')) as TokenizerJson;
}

interface ForgeLmCliOptions {
  corpus: string[];
  tokenizer?: string;
  arch: string;
  layers: number;
  heads: number;
  kvHeads?: number;
  dim: number;
  context: number;
  steps: number;
  batchSize: number;
  lr: number;
  seed: number;
  threads: number;
  base?: string;
  loraRank?: number;
  loraAlpha?: number;
  loraTargets?: string;
  out: string;
  json?: boolean;
}

/** `assay forge ...`: make tokenizers and small language models on this machine (no download). */
export function forgeCommand(): Command {
  const forge = new Command('forge');
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
    .description('train (or fine-tune with --base, fully or with LoRA) a small decoder LM and export it in the Optimum layout with KV cache and hidden states')
    .requiredOption('--corpus <files...>', 'text (documents separated by blank lines) or JSONL files')
    .option('--tokenizer <dir>', 'directory with tokenizer.json (e.g. from `assay forge tokenizer`); a --base model brings its own')
    .option('--arch <arch>', 'architecture of a fresh model: gpt2, or llama (RMSNorm, rotary positions, SwiGLU, grouped-query attention)', 'gpt2')
    .option('--layers <n>', 'transformer blocks', int, 2)
    .option('--heads <n>', 'attention heads', int, 4)
    .option('--kv-heads <n>', 'llama: key/value heads (grouped-query attention; default --heads)', int)
    .option('--dim <n>', 'model width', int, 128)
    .option('--context <n>', 'context length in tokens', int, 128)
    .option('--steps <n>', 'optimizer steps', int, 1000)
    .option('--batch-size <n>', 'sequences per step', int, 32)
    .option('--lr <x>', 'peak learning rate', Number, 3e-3)
    .option('--seed <n>', 'seed', Number, 0)
    .option('--threads <n>', 'onnxruntime threads for training', int, 1)
    .option('--base <dir>', 'fine-tune this model instead of training from scratch: a forged model directory, or a llama/mistral/qwen2/qwen3/phi3/gemma ONNX export (Optimum or transformers.js layout)')
    .option('--lora-rank <n>', 'with --base: train LoRA adapters of this rank instead of every weight (merged into the exported model)', int)
    .option('--lora-alpha <x>', 'LoRA scale numerator (output scale alpha / rank; default 2 × rank)', Number)
    .option('--lora-targets <modules>', 'comma-separated module names to adapt (default q_proj,v_proj for llama, c_attn for gpt2)')
    .requiredOption('--out <dir>', 'output model directory')
    .option('--json', 'one JSON object (no progress bar)')
    .action(async (o: ForgeLmCliOptions) => {
      if (o.arch !== 'gpt2' && o.arch !== 'llama') usage(`--arch must be gpt2 or llama, got "${o.arch}"`);
      if ((o.loraAlpha !== undefined || o.loraTargets !== undefined) && o.loraRank === undefined) usage('--lora-alpha and --lora-targets need --lora-rank');
      if (o.loraRank !== undefined && !o.base) usage('LoRA adapters are trained on a base model: give --base');
      if (!o.tokenizer && !o.base) usage('give --tokenizer (or --base, whose tokenizer is used)');
      const lora =
        o.loraRank === undefined
          ? undefined
          : { rank: o.loraRank, alpha: o.loraAlpha ?? 2 * o.loraRank, targets: o.loraTargets?.split(',').map((t) => t.trim()).filter(Boolean) };
      const bar = o.json ? undefined : new SingleBar({ format: ' training {bar} {value}/{total} steps | loss {loss} | val {val} | {tps} tok/s | ETA {eta_formatted}', hideCursor: true });
      bar?.start(o.steps, 0, { loss: '-', val: '-', tps: '-' });
      const result = await forgeLm({
        texts: readCorpusFiles(o.corpus),
        tokenizer: o.tokenizer ? loadTokenizer(o.tokenizer) : undefined,
        arch: o.arch,
        model: { layers: o.layers, heads: o.heads, kvHeads: o.kvHeads, dim: o.dim, contextLength: o.context },
        baseModelDir: o.base,
        lora,
        outDir: o.out,
        training: { maxSteps: o.steps, batchSize: o.batchSize, learningRate: o.lr, seed: o.seed, threads: o.threads },
        onProgress: (p) => bar?.update(p.step, { loss: p.loss.toFixed(3), val: p.valLoss?.toFixed(3) ?? '-', tps: Math.round(p.tokensPerSec) }),
      });
      bar?.stop();
      print({ out: result.dir, family: result.family, report: result.report }, Boolean(o.json), (v) =>
        [
          `${v.family} model written to ${v.out}`,
          `  train loss ${v.report.trainLoss.toFixed(3)}, val loss ${v.report.valLoss?.toFixed(3) ?? '-'}, val perplexity ${v.report.valPerplexity?.toFixed(1) ?? '-'}, ${v.report.parameters} parameters` +
            (v.report.lora ? ` (${v.report.trainableParameters} in LoRA adapters)` : '') +
            `, ${v.report.wallTimeSec.toFixed(0)} s, ${Math.round(v.report.tokensPerSec)} tokens/s`,
        ].join('\n'),
      );
    });
  return forge;
}
