import fs from 'node:fs';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import type { DecoderConfig } from '../onnx/decoder-families';
import { specialTokenId, tokenizerVocabSize, END_OF_TEXT, PAD_TOKEN } from '../tokenizer/tokenizer-json';
import { TokenizerJson } from '../tokenizer/tokenizer-json';
import type { DecoderModel } from '../train/model-family';
import { defaultLoraTargets, LoraConfig } from '../train/models/lora';
import { trainDecoder, trainGpt } from '../train/lm-trainers';
import type { LmTrainingReport, TrainGptOptions, TrainProgress } from '../train/train-types';
import { readBaseModel, writeDecoderDir, writeLmDir } from './lm-dir';

/** A fresh model's size, for either architecture. */
export interface ForgeModelSpec {
  layers: number;
  heads: number;
  dim: number;
  contextLength: number;
  /** llama: key/value heads (grouped-query attention; default heads). */
  kvHeads?: number;
  /** llama: gated-MLP width (default ≈ 8/3·dim, a multiple of 16). */
  intermediate?: number;
}

export interface ForgeLmOptions {
  /** Training examples (documents); each becomes BOS + tokens + EOS. */
  texts: string[];
  /** The tokenizer of a fresh model; a base model brings its own (this one, if given, must be the same). */
  tokenizer?: TokenizerJson;
  /** Architecture of a fresh model: GPT-2 (default) or llama (RMSNorm, rotary, SwiGLU, GQA). */
  arch?: 'gpt2' | 'llama';
  /** Fresh architecture (vocabSize is taken from the tokenizer), or... */
  model?: ForgeModelSpec;
  /** ...a model directory to fine-tune: one the forge wrote (weights.bin), or a llama-family ONNX export. */
  baseModelDir?: string;
  /** Fine-tune LoRA adapters instead of every weight (with baseModelDir); the export has them merged. Targets default to PEFT's. */
  lora?: Omit<LoraConfig, 'targets'> & { targets?: string[] };
  outDir: string;
  training?: Partial<Pick<TrainGptOptions, 'maxSteps' | 'batchSize' | 'learningRate' | 'warmupSteps' | 'patience' | 'evalEvery' | 'valFraction' | 'seed' | 'dropout' | 'threads'>>;
  onProgress?: (progress: TrainProgress) => void;
  signal?: AbortSignal;
}

export interface ForgeLmResult {
  dir: string;
  report: LmTrainingReport;
  family: 'gpt2' | 'llama';
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

/** A fresh llama config of the forge's small sizes (tied embeddings, as small Llama-style models do). */
export function forgeLlamaConfig(spec: ForgeModelSpec, vocabSize: number, special: { bos: number; eos: number; pad: number }): DecoderConfig {
  return {
    family: 'llama',
    vocabSize,
    hiddenSize: spec.dim,
    intermediateSize: spec.intermediate ?? Math.max(16, Math.round((8 * spec.dim) / 3 / 16) * 16),
    layers: spec.layers,
    heads: spec.heads,
    kvHeads: spec.kvHeads ?? spec.heads,
    rmsNormEps: 1e-6,
    ropeTheta: 10000,
    maxPositions: spec.contextLength,
    tieWordEmbeddings: true,
    bosTokenId: special.bos,
    eosTokenId: special.eos,
    padTokenId: special.pad,
  };
}

const encoderOf = (tokenizer: TokenizerJson): ((text: string) => number[]) => {
  const library = new Tokenizer(tokenizer, {});
  return (text) => (text.length === 0 ? [] : library.encode(text, { add_special_tokens: false }).ids);
};

/** Trains (or fine-tunes, fully or with LoRA) a small decoder LM on texts and writes the model directory. */
export async function forgeLm(options: ForgeLmOptions): Promise<ForgeLmResult> {
  const base = options.baseModelDir ? await readBaseModel(options.baseModelDir) : undefined;
  if (!base && !options.model) throw new Error('forgeLm needs a model architecture or a base model to fine-tune');
  if (options.lora && !base) throw new Error('LoRA adapters are trained on a base model: give baseModelDir');
  const tokenizer = options.tokenizer ?? base?.tokenizer;
  if (!tokenizer) throw new Error('forgeLm needs a tokenizer (the base model directory has no tokenizer.json)');
  const encode = encoderOf(tokenizer);
  const examples = options.texts.map(encode);
  const dir = path.resolve(options.outDir);
  const family = base?.family ?? options.arch ?? 'gpt2';
  const lora = options.lora && { ...options.lora, targets: options.lora.targets?.length ? options.lora.targets : defaultLoraTargets(family) };
  const common = { ...options.training, examples, onProgress: options.onProgress, progressEvery: 5, signal: options.signal, lora };
  if (family === 'gpt2') {
    const eos = specialTokenId(tokenizer, END_OF_TEXT);
    const pad = specialTokenId(tokenizer, PAD_TOKEN);
    const result = await trainGpt({
      ...common,
      model: base ? undefined : { ...options.model!, vocabSize: tokenizerVocabSize(tokenizer) },
      initialWeights: base?.family === 'gpt2' ? base.weights : undefined,
      bosId: eos,
      eosId: eos,
    });
    await writeLmDir(result.weights, tokenizer, dir, { bosTokenId: eos, eosTokenId: eos, padTokenId: pad, report: result.report, adapters: result.adapters && lora ? { lora, weights: result.adapters } : undefined });
    return { dir, report: result.report, family };
  }
  let model: DecoderModel | undefined = base?.family === 'llama' ? base.model : undefined;
  let config: DecoderConfig;
  if (model) config = model.config;
  else {
    const eos = specialTokenId(tokenizer, END_OF_TEXT);
    config = forgeLlamaConfig(options.model!, tokenizerVocabSize(tokenizer), { bos: eos, eos, pad: specialTokenId(tokenizer, PAD_TOKEN) });
  }
  const firstEos = Array.isArray(config.eosTokenId) ? config.eosTokenId[0] : config.eosTokenId;
  const bos = config.bosTokenId ?? firstEos;
  const eos = firstEos ?? config.bosTokenId;
  if (bos === undefined || eos === undefined) throw new Error('the base config.json names neither bos_token_id nor eos_token_id');
  const result = await trainDecoder({ ...common, model: model ? undefined : config, initialWeights: model, bosId: bos, eosId: eos });
  model = result.weights;
  await writeDecoderDir(model, tokenizer, dir, { report: result.report, adapters: result.adapters && lora ? { lora, weights: result.adapters } : undefined });
  return { dir, report: result.report, family };
}
