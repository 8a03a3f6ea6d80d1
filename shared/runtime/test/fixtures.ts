import { mkdtemp, rm } from 'fs/promises';
import { tmpdir } from 'os';
import * as path from 'path';
import {
  DecoderConfig,
  DecoderExportOptions,
  DecoderFamily,
  DecoderWeights,
  END_OF_TEXT,
  exportDecoder,
  exportGptModelDir,
  GptWeights,
  randomDecoderWeights,
  randomGptWeights,
  specialTokenId,
  TokenizerJson,
  tokenizerVocabSize,
} from '@assay/forge';
import { LocalEngine, RuntimeConfigInput, RuntimeError, RuntimeLogger } from '@assay/runtime';
import { asciiTokenizerJson } from './ascii-tokenizer';

export { asciiTokenizerJson, EOS_TOKEN } from './ascii-tokenizer';

/**
 * Test factory for tiny GPT-2 model directories in the Optimum layout, made by @assay/forge.
 *
 * The default tokenizer is ascii-tokenizer's (clean text from random models); pass a trained one from
 * forge's trainBpeTokenizer to get full byte-level vocabularies (multi-byte characters split over tokens).
 */
export interface TestModelOptions {
  layers?: number;
  heads?: number;
  dim?: number;
  /** Model vocabulary; default the tokenizer's size (larger leaves unused rows, smaller is a mismatch). */
  vocab?: number;
  contextLength?: number;
  withPast?: boolean;
  seed?: number;
  /** Weight std: larger than GPT-2's 0.02 so random models have peaked, non-tied distributions. */
  std?: number;
  /** Override the tokenizer (e.g. one larger than the model's vocab). */
  tokenizer?: TokenizerJson;
  /** Declare another token as EOS in config.json and generation_config.json (BOS and pad stay <|endoftext|>). */
  eosTokenId?: number;
}

export interface TestModel {
  dir: string;
  weights: GptWeights;
  tokenizer: TokenizerJson;
  eosTokenId: number;
}

const tempDirs: string[] = [];

export async function newTestModel(options: TestModelOptions = {}): Promise<TestModel> {
  const tokenizer = options.tokenizer ?? asciiTokenizerJson();
  const eosTokenId = specialTokenId(tokenizer, END_OF_TEXT);
  const weights = randomGptWeights(
    {
      vocabSize: options.vocab ?? tokenizerVocabSize(tokenizer),
      contextLength: options.contextLength ?? 128,
      layers: options.layers ?? 2,
      heads: options.heads ?? 2,
      dim: options.dim ?? 32,
      layerNormEps: 1e-5,
    },
    options.seed ?? 1,
    { std: options.std ?? 0.3, randomizeAffine: true },
  );
  const dir = await mkdtemp(path.join(tmpdir(), 'assay-runtime-model-'));
  tempDirs.push(dir);
  const ids = { bosTokenId: eosTokenId, eosTokenId: options.eosTokenId ?? eosTokenId, padTokenId: eosTokenId };
  await exportGptModelDir(weights, tokenizer, dir, { ...ids, withPast: options.withPast ?? true });
  return { dir, weights, tokenizer, eosTokenId: ids.eosTokenId };
}

export interface FamilyModelOptions extends Partial<Omit<DecoderExportOptions, 'tokenizer'>> {
  tokenizer?: TokenizerJson;
  seed?: number;
  /** Weight std (larger than HF's 0.02 so random models have peaked distributions). */
  std?: number;
  /** Overrides of the tiny default architecture (2 layers, 4 heads sharing 2 KV heads, width 32). */
  config?: Partial<DecoderConfig>;
}

export interface FamilyModel {
  dir: string;
  config: DecoderConfig;
  weights: DecoderWeights;
  tokenizer: TokenizerJson;
}

/**
 * A tiny random model of a decoder family, written by forge's exporter in the exact export layout
 * (Optimum by default; `layout: 'transformers.js'` puts the graphs under onnx/). Gemma and Qwen3 get a
 * head_dim that is not hidden / heads, as their real configs do.
 */
export async function newFamilyModel(family: DecoderFamily, options: FamilyModelOptions = {}): Promise<FamilyModel> {
  const { tokenizer = asciiTokenizerJson(), seed = 1, std = 0.3, config: overrides, ...exportOptions } = options;
  const eos = specialTokenId(tokenizer, END_OF_TEXT);
  const config: DecoderConfig = {
    family,
    vocabSize: tokenizerVocabSize(tokenizer),
    hiddenSize: 32,
    intermediateSize: 48,
    layers: 2,
    heads: 4,
    kvHeads: 2,
    maxPositions: 128,
    bosTokenId: eos,
    eosTokenId: eos,
    ...(family === 'gemma' || family === 'qwen3' ? { headDim: 12 } : {}),
    ...overrides,
  };
  const weights = randomDecoderWeights(config, seed, { std });
  const dir = await mkdtemp(path.join(tmpdir(), `assay-runtime-${family}-`));
  tempDirs.push(dir);
  await exportDecoder(weights, config, dir, { tokenizer, ...exportOptions });
  return { dir, config, weights, tokenizer };
}

/** Deletes every directory made by newTestModel in this test file (call from afterAll). */
export async function removeTestModels(): Promise<void> {
  await Promise.all(tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

export interface CapturedLog {
  level: 'info' | 'warn';
  obj: object;
  msg: string;
}

/** A logger that keeps what it is told, so tests stay quiet and can assert on warnings. */
export function captureLogger(): RuntimeLogger & { lines: CapturedLog[] } {
  const lines: CapturedLog[] = [];
  return {
    lines,
    info: (obj, msg) => lines.push({ level: 'info', obj, msg }),
    warn: (obj, msg) => lines.push({ level: 'warn', obj, msg }),
  };
}

/** An engine for tests: one worker thread unless told otherwise, quiet logger, small batching window. */
export function newTestEngine(config: RuntimeConfigInput = {}, logger = captureLogger()): LocalEngine {
  return new LocalEngine({
    config: {
      ...config,
      executor: { workers: 1, ...config.executor },
      session: { intraOpNumThreads: 1, ...config.session },
      batching: { windowMs: 5, ...config.batching },
    },
    logger,
  });
}

/** The RuntimeError kind `work` fails with (undefined when it succeeds); any other error fails the test. */
export async function kindOf(work: Promise<unknown>): Promise<string | undefined> {
  try {
    await work;
  } catch (error) {
    expect(error).toBeInstanceOf(RuntimeError);
    return (error as RuntimeError).kind;
  }
  return undefined;
}
