import * as path from 'path';
import type { GptWeights } from '../gpt/gpt-weights';
import { exportGptModelDir } from '../onnx/model-dir';
import { trainBpeTokenizer } from '../tokenizer/bpe-trainer';
import { ByteLevelBpe } from '../tokenizer/bpe-encoder';
import { writeTokenizerDir } from '../tokenizer/tokenizer-dir';
import { END_OF_TEXT, PAD_TOKEN, specialTokenId, TokenizerJson, tokenizerVocabSize } from '../tokenizer/tokenizer-json';
import * as os from 'os';
import type { GptModelSpec, GptTrainingReport, TrainHyperparameters, TrainProgress } from '../train/train-types';
import { DomainExample, formatForLarge, responseOf } from './domain-text';
import { trainGptHere, trainGptInWorker } from './train-in-worker';

/**
 * The domain-pair recipe: one shared byte-level BPE tokenizer, a "large" model L trained on general plus
 * in-domain text, and a guide G trained only on in-domain responses (BOS + response + EOS, never a prompt), as
 * VALID needs (spec shared/specs/valid.md §1). Both are exported as model directories that share the tokenizer,
 * so L's token ids can be fed straight to G (`tokenizers_match`).
 */

/** A separate BOS keeps "start of a document" apart from "end of the previous one" in the token stream. */
export const BOS_TOKEN = '<|startoftext|>';
export const DOMAIN_PAIR_SPECIAL_TOKENS: readonly string[] = [END_OF_TEXT, PAD_TOKEN, BOS_TOKEN];

export interface ModelRecipe {
  model: Omit<GptModelSpec, 'vocabSize'>;
  train: Partial<TrainHyperparameters>;
}

export interface TokenizerRecipe {
  vocabSize: number;
  /** Train the BPE merges on at most this many characters (an even sample of all texts); default 600k. */
  maxChars?: number;
}

export interface ForgeDomainPairOptions {
  inDomain: readonly DomainExample[];
  general: readonly DomainExample[];
  /** Receives `tokenizer/`, `large/` and `guide/`. */
  outDir: string;
  tokenizer: TokenizerRecipe;
  large: ModelRecipe;
  guide: ModelRecipe;
  /**
   * G is trained on the first this-many tokens of each response (default: whole responses). Set it to the length
   * responses are scored at: G then spends its capacity on the prefixes it will judge.
   */
  maxResponseTokens?: number;
  seed?: number;
  /**
   * Train L and G at the same time in two worker threads (the trainer uses one onnxruntime thread per model). Default: when
   * the machine has at least two cores.
   */
  parallel?: boolean;
  onProgress?: (event: ForgeProgress) => void;
  signal?: AbortSignal;
}

export type ForgeProgress =
  | { phase: 'tokenizer'; seconds: number; vocabSize: number }
  | ({ phase: 'large' | 'guide' } & TrainProgress)
  | { phase: 'export'; model: 'large' | 'guide'; dir: string };

export interface ForgedTokenizer {
  json: TokenizerJson;
  vocabSize: number;
  bosId: number;
  eosId: number;
  padId: number;
  trainSeconds: number;
  /** Mean characters per token on the training texts (a tokenizer-quality hint). */
  charsPerToken: number;
}

export interface ForgedPairModel {
  dir: string;
  report: GptTrainingReport;
  /** Training examples (L: formatted texts; G: responses) and their tokens. */
  examples: number;
  tokens: number;
}

export interface ForgedDomainPair {
  tokenizer: ForgedTokenizer;
  large: ForgedPairModel;
  guide: ForgedPairModel;
}

/** An even sample of texts totalling about `maxChars` characters (all of them when they fit). */
export function sampleTexts(texts: readonly string[], maxChars: number): string[] {
  const total = texts.reduce((n, t) => n + t.length, 0);
  if (total <= maxChars) return [...texts];
  const stride = total / maxChars;
  const out: string[] = [];
  let budget = 0;
  for (const t of texts) {
    budget += t.length / stride;
    if (budget >= t.length) {
      out.push(t);
      budget -= t.length;
    }
  }
  return out;
}

export function trainSharedTokenizer(texts: readonly string[], recipe: TokenizerRecipe): Omit<ForgedTokenizer, 'charsPerToken'> {
  const started = Date.now();
  const json = trainBpeTokenizer({ texts: sampleTexts(texts, recipe.maxChars ?? 600_000), vocabSize: recipe.vocabSize, specialTokens: DOMAIN_PAIR_SPECIAL_TOKENS });
  return {
    json,
    vocabSize: tokenizerVocabSize(json),
    bosId: specialTokenId(json, BOS_TOKEN),
    eosId: specialTokenId(json, END_OF_TEXT),
    padId: specialTokenId(json, PAD_TOKEN),
    trainSeconds: (Date.now() - started) / 1000,
  };
}

async function trainAndExport(
  which: 'large' | 'guide',
  examples: number[][],
  recipe: ModelRecipe,
  tok: ForgedTokenizer,
  options: ForgeDomainPairOptions,
  inWorker: boolean,
  signal: AbortSignal,
): Promise<ForgedPairModel> {
  const train = inWorker ? trainGptInWorker : trainGptHere;
  const { weights, report } = await train({
    examples,
    options: {
      ...recipe.train,
      seed: recipe.train.seed ?? options.seed ?? 0,
      model: { ...recipe.model, vocabSize: tok.vocabSize },
      bosId: tok.bosId,
      eosId: tok.eosId,
      progressEvery: 10,
    },
    signal,
    onProgress: (p) => options.onProgress?.({ phase: which, ...p }),
  });
  if (signal.aborted) throw new Error(`forgeDomainPair: training of ${which} was aborted`);
  const dir = path.join(options.outDir, which);
  await exportModel(weights, tok, dir, { recipe: 'domain-pair', role: which === 'large' ? 'L' : 'G', training: report });
  options.onProgress?.({ phase: 'export', model: which, dir });
  return { dir, report, examples: examples.length, tokens: examples.reduce((n, e) => n + e.length + 2, 0) };
}

async function exportModel(weights: GptWeights, tok: ForgedTokenizer, dir: string, assay: Record<string, unknown>): Promise<void> {
  await exportGptModelDir(weights, tok.json, dir, { bosTokenId: tok.bosId, eosTokenId: tok.eosId, padTokenId: tok.padId, assay });
}

/** Trains the shared tokenizer, then L and G (concurrently by default), and writes the three directories under `outDir`. */
export async function forgeDomainPair(options: ForgeDomainPairOptions): Promise<ForgedDomainPair> {
  const largeTexts = [...options.general, ...options.inDomain].map(formatForLarge);
  const guideTexts = options.inDomain.map(responseOf);
  const trained = trainSharedTokenizer([...largeTexts, ...guideTexts], options.tokenizer);
  options.onProgress?.({ phase: 'tokenizer', seconds: trained.trainSeconds, vocabSize: trained.vocabSize });
  const bpe = new ByteLevelBpe(trained.json);
  const largeExamples = largeTexts.map((t) => bpe.encode(t));
  const cut = options.maxResponseTokens ?? Infinity;
  const guideExamples = guideTexts.map((t) => bpe.encode(t).slice(0, cut));
  const chars = largeTexts.reduce((n, t) => n + t.length, 0);
  const tok: ForgedTokenizer = { ...trained, charsPerToken: chars / Math.max(1, largeExamples.reduce((n, e) => n + e.length, 0)) };
  await writeTokenizerDir(tok.json, path.join(options.outDir, 'tokenizer'), { bosToken: BOS_TOKEN, eosToken: END_OF_TEXT, padToken: PAD_TOKEN });
  // One controller for both runs: the caller's abort, or the first failure, stops the other model too.
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) stop.abort();
  const run = (which: 'large' | 'guide', inWorker: boolean) =>
    trainAndExport(which, which === 'large' ? largeExamples : guideExamples, options[which], tok, options, inWorker, stop.signal).catch((err: unknown) => {
      stop.abort();
      throw err;
    });
  try {
    if (options.parallel ?? os.cpus().length >= 2) {
      const [large, guide] = await Promise.all([run('large', true), run('guide', true)]);
      return { tokenizer: tok, large, guide };
    }
    const large = await run('large', false);
    const guide = await run('guide', false);
    return { tokenizer: tok, large, guide };
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}
