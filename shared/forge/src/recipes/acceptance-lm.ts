import { ChatMessage, LocalEngine } from '@assay/runtime';
import * as path from 'path';
import { writeLmDir } from '../pipelines/lm-dir';
import { trainBpeTokenizer } from '../tokenizer/bpe-trainer';
import { ByteLevelBpe } from '../tokenizer/bpe-encoder';
import { END_OF_TEXT, PAD_TOKEN, specialTokenId, TokenizerJson, tokenizerVocabSize } from '../tokenizer/tokenizer-json';
import type { GptModelSpec, TrainHyperparameters, TrainProgress } from '../train/train-types';
import { sampleTexts } from './domain-pair';
import { trainGptInWorker } from './train-in-worker';

/**
 * Shared pieces of the acceptance LMs (acceptance-models.ts): a ChatML-ready tokenizer, one GPT trained in a
 * worker thread (one onnxruntime thread, and the event loop stays free for the cache's lock heartbeat), written
 * as a model directory the runtime loads and the registry accepts, and a runtime engine to measure it with.
 */

/** ChatML turn markers (reserved special tokens of every acceptance LM; CHATML_TEMPLATE writes them). */
export const IM_START = '<|im_start|>';
export const IM_END = '<|im_end|>';

/** A chat message (the runtime's ChatMessage) of one of ChatML's three roles. */
export interface ChatTurn extends ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** A conversation as CHATML_TEMPLATE renders it (`<|im_start|>role\ncontent<|im_end|>\n` per turn). */
export function renderChatMl(turns: readonly ChatTurn[]): string {
  return turns.map((t) => `${IM_START}${t.role}\n${t.content}${IM_END}\n`).join('');
}

export interface AcceptanceLmSpec {
  tokenizer: { vocabSize: number; maxChars: number };
  model: Omit<GptModelSpec, 'vocabSize'>;
  train: Pick<TrainHyperparameters, 'maxSteps' | 'batchSize' | 'learningRate' | 'warmupSteps' | 'seed'> & Partial<TrainHyperparameters>;
}

export interface TrainedAcceptanceLm {
  tokenizer: TokenizerJson;
  trainSeconds: number;
  tokenizerSeconds: number;
  trainTokens: number;
  report: Record<string, unknown>;
}

/**
 * Trains the tokenizer (EOS, PAD and the ChatML markers reserved) and a GPT on `texts` (one example each, BOS =
 * EOS = `<|endoftext|>` as forgeLm does), and writes the model directory `dir` with `assay` provenance.
 */
export async function forgeAcceptanceLm(
  texts: readonly string[],
  spec: AcceptanceLmSpec,
  dir: string,
  assay: Record<string, unknown>,
  progress?: (line: string) => void,
): Promise<TrainedAcceptanceLm> {
  let t = Date.now();
  const tokenizer = trainBpeTokenizer({ texts: sampleTexts(texts, spec.tokenizer.maxChars), vocabSize: spec.tokenizer.vocabSize, chatTokens: true });
  const tokenizerSeconds = (Date.now() - t) / 1000;
  const bpe = new ByteLevelBpe(tokenizer);
  const examples = texts.map((x) => bpe.encode(x));
  const trainTokens = examples.reduce((n, e) => n + e.length + 2, 0);
  const eos = specialTokenId(tokenizer, END_OF_TEXT);
  const pad = specialTokenId(tokenizer, PAD_TOKEN);
  progress?.(`tokenizer: ${tokenizerVocabSize(tokenizer)} tokens in ${tokenizerSeconds.toFixed(1)} s; ${examples.length} documents, ${trainTokens} tokens`);
  t = Date.now();
  const say = (p: TrainProgress) =>
    progress?.(`step ${p.step}/${p.steps} loss ${p.loss.toFixed(3)}${p.valLoss === null ? '' : ` val ${p.valLoss.toFixed(3)}`} ${Math.round(p.tokensPerSec)} tok/s eta ${Math.round(p.etaSec)} s`);
  const { weights, report } = await trainGptInWorker({
    examples,
    options: {
      evalEvery: spec.train.maxSteps,
      evalWindows: 16,
      valFraction: 0.02,
      restoreBest: false,
      ...spec.train,
      model: { ...spec.model, vocabSize: tokenizerVocabSize(tokenizer) },
      bosId: eos,
      eosId: eos,
      threads: 1,
      progressEvery: 50,
    },
    onProgress: say,
  });
  const trainSeconds = (Date.now() - t) / 1000;
  await writeLmDir(weights, tokenizer, dir, { bosTokenId: eos, eosTokenId: eos, padTokenId: pad, report, assay });
  return { tokenizer, trainSeconds, tokenizerSeconds, trainTokens, report: report as unknown as Record<string, unknown> };
}

/** A quiet in-process runtime engine (one onnxruntime thread) for measuring a forged model. */
export function measuringEngine(): LocalEngine {
  return new LocalEngine({
    config: { executor: { kind: 'worker-threads', workers: 1 }, session: { intraOpNumThreads: 1 }, batching: { windowMs: 0 } },
    logger: { info: () => undefined, warn: () => undefined },
  });
}

/** The model directory inside a cache entry. */
export const modelDirOf = (entryDir: string): string => path.join(entryDir, 'model');
