import { RuntimeError, invalidRequest, missingHiddenStates } from '../errors';
import { TextTokenizer } from '../model/text-tokenizer';
import { GeneratedSequence, Pooling, SequenceToken } from '../model-runner/batch-types';
import { ModelShape } from '../model-runner/model-runner';
import { promptTexts } from '../chat/chat-prompts';
import { ChatTemplate } from '../chat/chat-template';
import { SamplingParams } from '../sampling/sampler';
import { RectifySpec } from '../sampling/rectified-sampler';
import { ClassifyRequest, GenerateRequest, HiddenStatesRequest, RectifyOptions, ScoreItem, ScoreRequest } from './engine-client';

/**
 * Validation and tokenization of requests, on the caller's thread and before any batching, so a bad
 * request fails alone and never reaches a batch shared with others.
 *
 * Tokenization boundary (the same for generate, score and hidden states): texts are encoded without
 * special tokens; the engine prepends BOS itself (addBos, default true). Score encodes context and
 * continuation separately and concatenates [BOS] + context + continuation; an empty context always gets
 * BOS so the first continuation token has something to be conditioned on. Generation's prompt is
 * [BOS] + prompt, so a completion's token ids rescored with {context: prompt, continuationIds} see
 * exactly the sequence the sampler saw.
 */
export interface PreparationModel {
  shape: ModelShape;
  tokenizer: TextTokenizer;
  hasHiddenStates: boolean;
  /** For `messages` requests. */
  chatTemplate?: ChatTemplate;
}

export const GENERATE_DEFAULTS = { n: 1, maxNewTokens: 64, temperature: 1, topK: 0, topP: 1 } as const;

export interface PreparedGenerateSequence {
  promptIndex: number;
  sampleIndex: number;
  promptIds: number[];
  maxNewTokens: number;
  sampling: SamplingParams;
  rngKey: string;
  stop: string[];
  stopOnEos: boolean;
  returnHiddenStates: boolean;
  /** The end-of-turn token's id, when the request asks for end-of-turn states. */
  endOfTurnToken?: number;
  /** Rectified decoding (one object shared by the request's sequences). */
  rectify?: RectifySpec;
  /** Set by the engine for streamed requests; stays on the engine's thread (the executor sees `stream: true`). */
  stream?: SequenceListener;
  /** Set by the engine: called with the sequence's result as soon as the executor reports it done. */
  onDone?(result: GeneratedSequence): void;
}

export interface SequenceListener {
  onToken(token: SequenceToken): void;
  /** Aborted when the request's caller stops listening: the sequence stops at the next step. */
  signal: AbortSignal;
}

export interface PreparedGenerate {
  sequences: PreparedGenerateSequence[];
  promptTokens: number[];
  seed: number;
  /** `messages` requests: each conversation as its chat template rendered it. */
  renderedPrompts?: string[];
}

export interface PreparedScoreItem {
  ids: number[];
  targetStart: number;
  contextTokens: number;
  truncatedContextTokens: number;
}

export interface PreparedPoolItem {
  ids: number[];
  poolStart: number;
  pooling: Pooling;
}

export interface PreparedClassifyItem {
  /** At most the classifier's max_length ids (the first ones); may be empty. */
  ids: number[];
}

/** Decoder-only requests on a classifier (and the reverse) fail before anything is tokenized. */
function requireDecoder(model: PreparationModel, what: string): void {
  if (model.shape.classifier) throw new RuntimeError('UNSUPPORTED', `${what}: this is a text classifier (${model.shape.architecture}); use classify`);
}

/**
 * The Q head must be L's: same vocabulary (logits) size and hidden size, read from L's hidden-states output.
 * A head for another vocabulary would cap the wrong tokens, so it is refused (VOCAB_MISMATCH), never truncated.
 */
function prepareRectify(options: RectifyOptions, model: PreparationModel): RectifySpec {
  const { shape } = model;
  if (!model.hasHiddenStates) throw missingHiddenStates('rectified generation (the Q head reads final hidden states)', shape.architecture);
  const head = options.head;
  if (head === null || typeof head !== 'object' || !(head.params instanceof Float64Array)) throw invalidRequest('rectify.head must be {inDim, hidden, vocab, params: Float64Array}', { field: 'rectify.head' });
  if (head.vocab !== shape.vocabSize) {
    throw new RuntimeError('VOCAB_MISMATCH', `the Q head covers a vocabulary of ${head.vocab} tokens, the model has ${shape.vocabSize}: it was trained for another tokenizer`, {
      headVocab: head.vocab,
      modelVocab: shape.vocabSize,
    });
  }
  if (head.inDim !== shape.hiddenSize) throw new RuntimeError('VOCAB_MISMATCH', `the Q head reads hidden states of size ${head.inDim}, the model's are ${shape.hiddenSize}`, { headInDim: head.inDim, hiddenSize: shape.hiddenSize });
  const epsilon = checkNumber(options.epsilon, 'epsilon', (v) => v >= 0 && v <= 1, 'in [0, 1]');
  const pMin = checkNumber(options.pMin ?? 1e-7, 'pMin', (v) => v > 0 && v <= 1, 'in (0, 1]');
  const mode = options.mode ?? 'absolute';
  if (mode !== 'absolute' && mode !== 'relative') throw invalidRequest(`capMode must be absolute or relative, got ${JSON.stringify(mode)}`, { field: 'capMode' });
  if (mode === 'relative' && epsilon === 1) throw invalidRequest('relative caps need epsilon < 1', { field: 'epsilon' });
  const exemptTokens = (options.exemptTokens ?? []).map((id, i) => checkInt(id, `rectify.exemptTokens.${i}`, 0, shape.vocabSize - 1));
  return { head: { inDim: head.inDim, hidden: head.hidden, vocab: head.vocab, params: head.params }, epsilon, pMin, mode, exemptTokens };
}

/** The end-of-turn token's id: its text must encode to exactly one token (a special token such as `<|im_end|>`). */
function prepareEndOfTurnToken(text: unknown, model: PreparationModel): number {
  if (!model.hasHiddenStates) throw missingHiddenStates('generate with an end-of-turn state', model.shape.architecture);
  if (typeof text !== 'string' || text.length === 0) throw invalidRequest('endOfTurnToken must be a non-empty string', { field: 'endOfTurnToken' });
  const ids = model.tokenizer.encode(text);
  if (ids.length !== 1) throw invalidRequest(`endOfTurnToken ${JSON.stringify(text)} encodes to ${ids.length} tokens, not one`, { field: 'endOfTurnToken' });
  return ids[0];
}

function checkInt(value: unknown, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidRequest(`${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(value)}`, { field: name });
  }
  return value;
}

function checkNumber(value: unknown, name: string, ok: (v: number) => boolean, range: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !ok(value)) {
    throw invalidRequest(`${name} must be a finite number ${range}, got ${JSON.stringify(value)}`, { field: name });
  }
  return value;
}

function checkTexts(texts: unknown, name: string): string[] {
  if (!Array.isArray(texts) || texts.length === 0) throw invalidRequest(`${name} must be a non-empty array of strings`, { field: name });
  texts.forEach((text, i) => {
    if (typeof text !== 'string' || text.length === 0) throw invalidRequest(`${name}[${i}] must be a non-empty string`, { field: `${name}.${i}` });
  });
  return texts as string[];
}

function bosPrefix(shape: ModelShape, addBos: boolean | undefined): number[] {
  return (addBos ?? true) && shape.bosTokenId !== undefined ? [shape.bosTokenId] : [];
}

/** 32-bit FNV-1a of token ids: part of a sample's random-stream key. */
export function hashTokenIds(ids: readonly number[]): string {
  let hash = 0x811c9dc5;
  for (const id of ids) {
    hash ^= id & 0xffff;
    hash = Math.imul(hash, 0x01000193);
    hash ^= id >>> 16;
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16);
}

/**
 * The random-stream key of sample `sampleIndex` of a prompt (its token ids' hash) that is the `occurrence`-th
 * copy of itself in a request with `seed`. A prompt's first copy keeps the key it always had, so a prompt's
 * samples do not depend on the other prompts of its request (nor on how a caller cuts a batch into requests);
 * further copies get streams of their own.
 */
export function sampleStreamKey(seed: number, sampleIndex: number, promptHash: string, occurrence: number): string {
  const base = `assay-sample:${seed}:${sampleIndex}:${promptHash}`;
  return occurrence === 0 ? base : `${base}:copy${occurrence}`;
}

export function prepareGenerate(request: GenerateRequest, model: PreparationModel, randomSeed: () => number): PreparedGenerate {
  requireDecoder(model, 'generate');
  const { shape, tokenizer } = model;
  const { texts: prompts, field, fromChat } = promptTexts(request, model.chatTemplate, checkTexts);
  // Rendered conversations carry the template's own special tokens (BOS included where the template writes it).
  const addBos = request.addBos ?? !fromChat;
  const n = checkInt(request.n ?? GENERATE_DEFAULTS.n, 'n', 1, 1024);
  const explicitMaxNew = request.maxNewTokens === undefined ? undefined : checkInt(request.maxNewTokens, 'maxNewTokens', 1);
  const temperature = checkNumber(request.temperature ?? GENERATE_DEFAULTS.temperature, 'temperature', (v) => v >= 0, '≥ 0');
  const topK = checkInt(request.topK ?? GENERATE_DEFAULTS.topK, 'topK', 0);
  const topP = checkNumber(request.topP ?? GENERATE_DEFAULTS.topP, 'topP', (v) => v > 0 && v <= 1, 'in (0, 1]');
  const seed = request.seed === undefined ? randomSeed() : checkInt(request.seed, 'seed', 0, 2 ** 32 - 1);
  const stop = request.stop ?? [];
  if (!Array.isArray(stop) || stop.some((s) => typeof s !== 'string' || s.length === 0)) throw invalidRequest('stop must be an array of non-empty strings', { field: 'stop' });
  const returnHiddenStates = request.returnHiddenStates === true;
  if (returnHiddenStates && !model.hasHiddenStates) throw missingHiddenStates('generate with returnHiddenStates', shape.architecture);

  const endOfTurnToken = request.endOfTurnToken === undefined ? undefined : prepareEndOfTurnToken(request.endOfTurnToken, model);
  // The end-of-turn token takes one position after the last generated token.
  const extraPositions = endOfTurnToken === undefined ? 0 : 1;
  const rectify = request.rectify === undefined ? undefined : prepareRectify(request.rectify, model);
  const sampling: SamplingParams = { temperature, topK, topP };
  const sequences: PreparedGenerateSequence[] = [];
  const promptTokens: number[] = [];
  /** Copies of each prompt (by its token ids) seen so far in this request. */
  const copies = new Map<string, number>();
  prompts.forEach((prompt, promptIndex) => {
    const encoded = tokenizer.encode(prompt);
    if (encoded.length === 0) throw invalidRequest(`${field}[${promptIndex}] encodes to no tokens`, { field: `${field}.${promptIndex}` });
    const promptIds = [...bosPrefix(shape, addBos), ...encoded];
    // The default budget shrinks to what the context leaves; an explicit one is a promise we refuse to break.
    const maxNewTokens = explicitMaxNew ?? Math.max(1, Math.min(GENERATE_DEFAULTS.maxNewTokens, shape.contextLength - promptIds.length - extraPositions));
    if (promptIds.length + maxNewTokens + extraPositions > shape.contextLength) {
      throw new RuntimeError(
        'CONTEXT_OVERFLOW',
        `${field}[${promptIndex}] has ${promptIds.length} tokens; with maxNewTokens ${maxNewTokens}${extraPositions ? ' and the end-of-turn token' : ''} it needs ${promptIds.length + maxNewTokens + extraPositions} positions, the model has ${shape.contextLength}`,
        { promptIndex, promptTokens: promptIds.length, maxNewTokens, contextLength: shape.contextLength },
      );
    }
    promptTokens.push(promptIds.length);
    // One stream per (request position, sample): two copies of a prompt in one request are independent
    // samples (the copy number enters the key). Nothing about the executor batch or the other prompts enters
    // it, so a sample never depends on its batch-mates.
    const promptHash = hashTokenIds(promptIds);
    const idsKey = promptIds.join(',');
    const occurrence = copies.get(idsKey) ?? 0;
    copies.set(idsKey, occurrence + 1);
    for (let sampleIndex = 0; sampleIndex < n; sampleIndex++) {
      sequences.push({
        promptIndex,
        sampleIndex,
        promptIds,
        maxNewTokens,
        sampling,
        rngKey: sampleStreamKey(seed, sampleIndex, promptHash, occurrence),
        stop,
        stopOnEos: request.stopOnEos ?? true,
        returnHiddenStates,
        ...(endOfTurnToken !== undefined ? { endOfTurnToken } : {}),
        ...(rectify ? { rectify } : {}),
      });
    }
  });
  return { sequences, promptTokens, seed, ...(fromChat ? { renderedPrompts: prompts } : {}) };
}

function prepareScoreItem(item: ScoreItem, index: number, request: ScoreRequest, model: PreparationModel): PreparedScoreItem {
  const { shape, tokenizer } = model;
  const field = `items.${index}`;
  if (item === null || typeof item !== 'object') throw invalidRequest(`${field} must be an object`, { field });
  const context = item.context ?? '';
  if (typeof context !== 'string') throw invalidRequest(`${field}.context must be a string`, { field });
  const hasText = typeof item.continuation === 'string' && item.continuation.length > 0;
  const hasIds = item.continuationIds !== undefined;
  if (hasText === hasIds) throw invalidRequest(`${field}: give exactly one of a non-empty continuation or continuationIds`, { field });
  let continuation: number[];
  if (hasIds) {
    const ids = item.continuationIds!;
    if (!Array.isArray(ids) || ids.length === 0) throw invalidRequest(`${field}.continuationIds must be a non-empty array`, { field });
    ids.forEach((id, i) => checkInt(id, `${field}.continuationIds.${i}`, 0, shape.vocabSize - 1));
    continuation = ids;
  } else {
    continuation = tokenizer.encode(item.continuation!);
    if (continuation.length === 0) throw invalidRequest(`${field}.continuation encodes to no tokens`, { field });
  }
  let contextIds = tokenizer.encode(context);
  const bos = contextIds.length === 0 && shape.bosTokenId !== undefined ? [shape.bosTokenId] : bosPrefix(shape, request.addBos);
  if (contextIds.length === 0 && bos.length === 0) throw invalidRequest(`${field}: an empty context needs a BOS token and this model has none`, { field });

  let truncatedContextTokens = 0;
  const overflow = bos.length + contextIds.length + continuation.length - shape.contextLength;
  if (overflow > 0) {
    // Without BOS at least one context token must stay, or the first continuation token has no condition.
    const mustKeep = bos.length > 0 ? 0 : 1;
    if (!request.truncateContext || overflow > contextIds.length - mustKeep) {
      throw new RuntimeError(
        'CONTEXT_OVERFLOW',
        `${field} has ${bos.length + contextIds.length + continuation.length} tokens, the model's context is ${shape.contextLength}` +
          (request.truncateContext ? ' even with the context truncated' : ' (set truncateContext to drop context tokens from the left)'),
        { index, tokens: bos.length + contextIds.length + continuation.length, contextLength: shape.contextLength },
      );
    }
    contextIds = contextIds.slice(overflow);
    truncatedContextTokens = overflow;
  }
  const ids = [...bos, ...contextIds, ...continuation];
  return { ids, targetStart: bos.length + contextIds.length, contextTokens: contextIds.length, truncatedContextTokens };
}

export function prepareScore(request: ScoreRequest, model: PreparationModel): PreparedScoreItem[] {
  requireDecoder(model, 'score');
  if (!Array.isArray(request.items) || request.items.length === 0) throw invalidRequest('items must be a non-empty array', { field: 'items' });
  return request.items.map((item, index) => prepareScoreItem(item, index, request, model));
}

export function preparePool(request: HiddenStatesRequest, model: PreparationModel): PreparedPoolItem[] {
  requireDecoder(model, 'hiddenStates');
  const { shape, tokenizer } = model;
  if (!model.hasHiddenStates) throw missingHiddenStates('hiddenStates', shape.architecture);
  const pooling = request.pooling ?? 'last';
  if (!['last', 'mean', 'tokens'].includes(pooling)) throw invalidRequest(`pooling must be last, mean or tokens, got ${JSON.stringify(pooling)}`, { field: 'pooling' });
  return checkTexts(request.texts, 'texts').map((text, i) => {
    const encoded = tokenizer.encode(text);
    if (encoded.length === 0) throw invalidRequest(`texts[${i}] encodes to no tokens`, { field: `texts.${i}` });
    const bos = bosPrefix(shape, request.addBos);
    const ids = [...bos, ...encoded];
    if (ids.length > shape.contextLength) {
      throw new RuntimeError('CONTEXT_OVERFLOW', `texts[${i}] has ${ids.length} tokens, the model's context is ${shape.contextLength}`, { index: i });
    }
    return { ids, poolStart: bos.length, pooling };
  });
}

/**
 * Classifier inputs the way @assay/forge trained them: (lowercased when the config says so) encoded without
 * special tokens, then only the first max_length ids kept. Empty texts are allowed (they pool to zero).
 */
export function prepareClassify(request: ClassifyRequest, model: PreparationModel): { items: PreparedClassifyItem[]; threshold: number } {
  const head = model.shape.classifier;
  if (!head) throw new RuntimeError('UNSUPPORTED', `classify: ${model.shape.architecture} is not a text classifier`);
  const texts: unknown = request.texts;
  if (!Array.isArray(texts) || texts.length === 0) throw invalidRequest('texts must be a non-empty array of strings', { field: 'texts' });
  const threshold = request.threshold === undefined ? head.threshold : checkNumber(request.threshold, 'threshold', (v) => v >= 0 && v <= 1, 'in [0, 1]');
  const items = texts.map((text, i) => {
    if (typeof text !== 'string') throw invalidRequest(`texts[${i}] must be a string`, { field: `texts.${i}` });
    const ids = model.tokenizer.encode(head.lowercase ? text.toLowerCase() : text);
    return { ids: ids.length > model.shape.contextLength ? ids.slice(0, model.shape.contextLength) : ids };
  });
  return { items, threshold };
}
