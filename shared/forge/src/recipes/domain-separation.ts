import { log2SumFromNatural, normalizedLog2Ratio, separationSummary, SeparationSummary as ValidSeparation } from '@assay/stats';
import { readFile } from 'fs/promises';
import * as path from 'path';
import { ByteLevelBpe } from '../tokenizer/bpe-encoder';
import type { TokenizerJson } from '../tokenizer/tokenizer-json';
import { contextOf, DomainExample, responseOf } from './domain-text';
import { OnnxSequenceScorer, ScoreRequest } from './onnx-scorer';

/**
 * Offline VALID evaluation of a (L, G) pair on fixed responses (spec §3B/§4), with matching tokenizers.
 *
 * Each item is a response y, optionally with the prompt x it answers. L scores y after BOS + formatPrompt(x),
 * or after BOS alone when there is no prompt ("responses without prompts": L(y) with an empty context).
 * G always scores BOS + y. y is cut to `maxResponseTokens` tokens and gets no EOS, so N_y = its token count
 * (EOS neither scored nor counted, as in `@assay/stats`). The statistic is the normalised ratio
 * r = (log2 L(y|x) − log2 G(y)) / N_y in bits per token; OOD is the positive class (rejected when r > k).
 */
export interface ScoredResponse {
  nTokens: number;
  log2L: number;
  log2G: number;
  /** (log2 L − log2 G) / N_y, bits per token. */
  ratio: number;
}

export interface ScoreResponsesOptions {
  largeDir: string;
  guideDir: string;
  items: readonly DomainExample[];
  /** Cut responses to this many tokens (default 64). */
  maxResponseTokens?: number;
  batchSize?: number;
  /** onnxruntime intra-op threads per session (default: onnxruntime's choice). */
  threads?: number;
}

interface ModelDirInfo {
  tokenizer: TokenizerJson;
  bosId: number;
}

async function readModelDir(dir: string): Promise<ModelDirInfo & { tokenizerText: string }> {
  const tokenizerText = await readFile(path.join(dir, 'tokenizer.json'), 'utf8');
  const config = JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8')) as { bos_token_id?: number; eos_token_id: number };
  return { tokenizer: JSON.parse(tokenizerText) as TokenizerJson, tokenizerText, bosId: config.bos_token_id ?? config.eos_token_id };
}

/** Scores every item under L and G; items whose response encodes to no tokens get nTokens 0 and ratio 0. */
export async function scoreResponses(options: ScoreResponsesOptions): Promise<ScoredResponse[]> {
  const [large, guide] = await Promise.all([readModelDir(options.largeDir), readModelDir(options.guideDir)]);
  if (large.tokenizerText !== guide.tokenizerText) {
    throw new Error('L and G use different tokenizers; this evaluator only supports the tokenizers_match path');
  }
  const bpe = new ByteLevelBpe(large.tokenizer);
  const maxTokens = options.maxResponseTokens ?? 64;
  const [scorerL, scorerG] = await Promise.all([
    OnnxSequenceScorer.open(options.largeDir, { threads: options.threads }),
    OnnxSequenceScorer.open(options.guideDir, { threads: options.threads }),
  ]);
  try {
    const responses = options.items.map((item) => bpe.encode(responseOf(item)).slice(0, maxTokens));
    const requestsL: ScoreRequest[] = options.items.map((item, i) => {
      const room = scorerL.contextLength - responses[i].length - 1;
      const prompt = bpe.encode(contextOf(item));
      return { context: [large.bosId, ...prompt.slice(Math.max(0, prompt.length - room))], continuation: responses[i] };
    });
    const requestsG: ScoreRequest[] = responses.map((y) => ({ context: [guide.bosId], continuation: y.slice(0, scorerG.contextLength - 1) }));
    const lnL = await scorerL.score(requestsL, options.batchSize);
    const lnG = await scorerG.score(requestsG, options.batchSize);
    return responses.map((y, i) => {
      const log2L = log2SumFromNatural(lnL[i]);
      const log2G = log2SumFromNatural(lnG[i]);
      return { nTokens: y.length, log2L, log2G, ratio: normalizedLog2Ratio(log2L, log2G, y.length) };
    });
  } finally {
    await Promise.all([scorerL.close(), scorerG.close()]);
  }
}

/** The shared VALID separation summary (@assay/stats) with quantiles of the ratios and the counts. */
export interface SeparationSummary extends Omit<ValidSeparation, 'ratios'> {
  ratios: { inDomain: RatioStats; outOfDomain: RatioStats };
  n: { inDomain: number; outOfDomain: number };
}

export interface RatioStats {
  mean: number;
  median: number;
  q10: number;
  q90: number;
}

function ratioStats(values: readonly number[]): RatioStats {
  const s = [...values].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.round(p * (s.length - 1))))];
  return { mean: s.reduce((a, b) => a + b, 0) / s.length, median: q(0.5), q10: q(0.1), q90: q(0.9) };
}

/** Pure summary of scored ID and OOD responses (items with N_y = 0 are dropped). */
export function summarizeSeparation(inDomain: readonly ScoredResponse[], outOfDomain: readonly ScoredResponse[], T = 1, targetFrr = 0.1): SeparationSummary {
  const id = inDomain.filter((s) => s.nTokens > 0);
  const ood = outOfDomain.filter((s) => s.nTokens > 0);
  const { ratios, ...summary } = separationSummary(id, ood, { targetFrr, T });
  return { ...summary, ratios: { inDomain: ratioStats(ratios.inDomain), outOfDomain: ratioStats(ratios.outOfDomain) }, n: { inDomain: id.length, outOfDomain: ood.length } };
}

export interface EvaluateDomainSeparationOptions extends Omit<ScoreResponsesOptions, 'items'> {
  inDomain: readonly DomainExample[];
  outOfDomain: readonly DomainExample[];
  /** VALID's number of sampling rounds; enters only the certificate, as + log2 T (default 1). */
  T?: number;
  /** In-domain false-rejection rate that fixes k (default 0.1, the paper's main setting). */
  targetFrr?: number;
}

export interface DomainSeparation extends SeparationSummary {
  scores: { inDomain: ScoredResponse[]; outOfDomain: ScoredResponse[] };
  seconds: number;
}

/** Scores both sets under L and G and summarises how well VALID's ratio separates them. */
export async function evaluateDomainSeparation(options: EvaluateDomainSeparationOptions): Promise<DomainSeparation> {
  const started = Date.now();
  const { inDomain, outOfDomain, T = 1, targetFrr = 0.1, ...rest } = options;
  const scores = await scoreResponses({ ...rest, items: [...inDomain, ...outOfDomain] });
  const id = scores.slice(0, inDomain.length);
  const ood = scores.slice(inDomain.length);
  return { ...summarizeSeparation(id, ood, T, targetFrr), scores: { inDomain: id, outOfDomain: ood }, seconds: (Date.now() - started) / 1000 };
}
