import fs from 'node:fs';
import path from 'node:path';
import { specialTokenId, tokenizerVocabSize, END_OF_TEXT, PAD_TOKEN } from '../tokenizer/tokenizer-json';
import { ByteLevelBpe } from '../tokenizer/bpe-encoder';
import { TokenizerJson } from '../tokenizer/tokenizer-json';
import { trainGpt } from '../train/trainer';
import { GptModelSpec, TrainGptOptions, TrainGptResult, TrainProgress } from '../train/train-types';
import { readLmWeights, writeLmDir } from './lm-dir';

export interface ForgeLmOptions {
  /** Training examples (documents); each becomes BOS + tokens + EOS. */
  texts: string[];
  tokenizer: TokenizerJson;
  /** Fresh architecture (vocabSize is taken from the tokenizer), or... */
  model?: Omit<GptModelSpec, 'vocabSize'>;
  /** ...a model directory written by writeLmDir to fine-tune. */
  baseModelDir?: string;
  outDir: string;
  training?: Partial<Pick<TrainGptOptions, 'maxSteps' | 'batchSize' | 'learningRate' | 'warmupSteps' | 'patience' | 'evalEvery' | 'valFraction' | 'seed' | 'dropout'>>;
  onProgress?: (progress: TrainProgress) => void;
  signal?: AbortSignal;
}

/** Reads corpus files: plain text split on blank lines into documents, or JSONL with a text-like field. */
export function readCorpusFiles(files: string[]): string[] {
  const texts: string[] = [];
  for (const file of files) {
    const raw = fs.readFileSync(file, 'utf8');
    if (file.endsWith('.jsonl')) {
      for (const line of raw.split('\n')) {
        if (!line.trim()) continue;
        const row = JSON.parse(line) as Record<string, unknown>;
        const text = row.text ?? row.response ?? row.answer ?? row.content;
        if (typeof text === 'string' && text.trim()) texts.push(text);
      }
    } else {
      texts.push(...raw.split(/\n\s*\n/).map((t) => t.trim()).filter(Boolean));
    }
  }
  return texts;
}

/** Trains (or fine-tunes) a small GPT on texts and writes the model directory. */
export async function forgeLm(options: ForgeLmOptions): Promise<TrainGptResult & { dir: string }> {
  const bpe = new ByteLevelBpe(options.tokenizer);
  const eos = specialTokenId(options.tokenizer, END_OF_TEXT);
  const pad = specialTokenId(options.tokenizer, PAD_TOKEN);
  const examples = options.texts.map((t) => bpe.encode(t));
  const initialWeights = options.baseModelDir ? await readLmWeights(options.baseModelDir) : undefined;
  if (!initialWeights && !options.model) throw new Error('forgeLm needs a model architecture or a base model to fine-tune');
  const result = await trainGpt({
    ...options.training,
    model: initialWeights ? undefined : { ...options.model!, vocabSize: tokenizerVocabSize(options.tokenizer) },
    initialWeights,
    examples,
    bosId: eos,
    eosId: eos,
    onProgress: options.onProgress,
    progressEvery: 5,
    signal: options.signal,
  });
  const dir = path.resolve(options.outDir);
  await writeLmDir(result.weights, options.tokenizer, dir, { bosTokenId: eos, eosTokenId: eos, padTokenId: pad, report: result.report });
  return { ...result, dir };
}
