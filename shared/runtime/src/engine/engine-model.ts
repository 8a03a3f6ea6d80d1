import { BatchingConfig } from '../config';
import { Executor, GenerateHooks } from '../executor/executor';
import {
  ClassifiedSequence,
  GeneratedSequence,
  GenerateSequenceSpec,
  PooledSequence,
  ScoredSequence,
} from '../model-runner/batch-types';
import { PlanItem, planBatches } from './batch-planner';
import { ModelInfo } from './engine-client';
import { MicroBatcher } from './micro-batcher';
import {
  PreparationModel,
  PreparedClassifyItem,
  PreparedGenerate,
  PreparedGenerateSequence,
  PreparedPoolItem,
  PreparedScoreItem,
} from './request-preparation';

/** See BatchingConfig.maxPaddingFraction. */
export const CPU_MAX_PADDING_FRACTION = 0.25;

export type RequestKind = 'generate' | 'score' | 'hiddenStates' | 'classify';
export const REQUEST_KINDS: readonly RequestKind[] = ['generate', 'score', 'hiddenStates', 'classify'];

/** A loaded model as the engine serves it: its info, preparation data and one micro-batcher per request kind. */
export interface EngineModel {
  info: ModelInfo;
  key: string;
  prep: PreparationModel;
  generate: MicroBatcher<PreparedGenerate, GeneratedSequence[]>;
  score: MicroBatcher<PreparedScoreItem[], ScoredSequence[]>;
  hiddenStates: MicroBatcher<PreparedPoolItem[], PooledSequence[]>;
  classify: MicroBatcher<PreparedClassifyItem[], ClassifiedSequence[]>;
  executorCalls: Record<RequestKind, number>;
  inFlight: Set<Promise<unknown>>;
}

export function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** What crosses to the executor: plain data only (the listener stays here; the worker only learns `stream`). */
function generateSpec(s: PreparedGenerateSequence): GenerateSequenceSpec {
  return {
    promptIds: Int32Array.from(s.promptIds),
    maxNewTokens: s.maxNewTokens,
    sampling: s.sampling,
    rngKey: s.rngKey,
    stop: s.stop,
    stopOnEos: s.stopOnEos,
    returnHiddenStates: s.returnHiddenStates,
    ...(s.endOfTurnToken !== undefined ? { endOfTurnToken: s.endOfTurnToken } : {}),
    stream: s.stream !== undefined,
    ...(s.rectify ? { rectify: s.rectify } : {}),
  };
}

/** Routes an executor batch's streamed tokens and finished sequences (by row) to the requests they belong to. */
function generateHooks(group: PreparedGenerateSequence[]): GenerateHooks {
  const streamed = group.some((s) => s.stream);
  return {
    ...(streamed
      ? {
          onTokens: (tokens) => {
            for (const token of tokens) group[token.row]?.stream?.onToken(token);
          },
          signals: group.map((s) => s.stream?.signal),
        }
      : {}),
    onSequence: (row, result) => group[row]?.onDone?.(result),
  };
}

/**
 * Wires one model's micro-batchers: each merged batch is split by the planner into executor calls within
 * the limits (run concurrently, so several workers share it), and each request gets back its own slice.
 */
export function createEngineModel(executor: Executor, batching: BatchingConfig, info: ModelInfo, key: string, prep: PreparationModel): EngineModel {
  const { windowMs, maxBatchSize, maxBatchTokens } = batching;
  const cpuOnly = info.executionProviders.every((p) => p === 'cpu');
  const maxPaddingFraction = batching.maxPaddingFraction ?? (cpuOnly ? CPU_MAX_PADDING_FRACTION : 1);
  // The padding limit only cuts single passes (the planner ignores it for generation).
  const limits = { maxBatchSize, maxBatchTokens, contextLength: info.contextLength, maxPaddingFraction };
  const executorCalls: Record<RequestKind, number> = { generate: 0, score: 0, hiddenStates: 0, classify: 0 };

  async function runPlanned<P, O>(kind: RequestKind, items: P[], plan: (p: P) => PlanItem, call: (group: P[]) => Promise<O[]>): Promise<O[]> {
    const out = new Array<O>(items.length);
    const groups = planBatches(items.map(plan), limits);
    executorCalls[kind] += groups.length;
    await Promise.all(
      groups.map(async (group) => {
        const results = await call(group.map((i) => items[i]));
        group.forEach((itemIndex, j) => (out[itemIndex] = results[j]));
      }),
    );
    return out;
  }
  function scatter<Req, P, O>(requests: Req[], itemsOf: (r: Req) => P[], run: (items: P[]) => Promise<O[]>): Promise<O[][]> {
    const flat = requests.flatMap(itemsOf);
    return run(flat).then((results) => {
      let offset = 0;
      return requests.map((r) => results.slice(offset, (offset += itemsOf(r).length)));
    });
  }
  /** A batcher for requests that are lists of whole sequences run in one pass (score, pool, classify). */
  function passBatcher<P extends { ids: number[] }, O>(kind: RequestKind, call: (group: P[]) => Promise<O[]>): MicroBatcher<P[], O[]> {
    // An empty classifier input still occupies one padded column.
    const length = (p: P) => Math.max(1, p.ids.length);
    return new MicroBatcher<P[], O[]>({ ...options, sizeOf: (r) => r.length, tokensOf: (r) => sum(r.map(length)) }, (requests) =>
      scatter(
        requests,
        (r) => r,
        (items) => runPlanned(kind, items, (p) => ({ length: length(p), newTokens: 0 }), call),
      ),
    );
  }
  const options = { windowMs, maxBatchSize, maxBatchTokens };
  return {
    info,
    key,
    prep,
    executorCalls,
    inFlight: new Set(),
    // Generation does not wait for company: the executor's decode loop batches continuously, so a request
    // arriving later joins the running batch at its next step anyway. Same-tick requests still merge.
    generate: new MicroBatcher<PreparedGenerate, GeneratedSequence[]>(
      { ...options, windowMs: 0, sizeOf: (r) => r.sequences.length, tokensOf: (r) => sum(r.sequences.map((s) => s.promptIds.length + s.maxNewTokens + (s.endOfTurnToken !== undefined ? 1 : 0))) },
      (requests) =>
        scatter(
          requests,
          (r) => r.sequences,
          (seqs) =>
            runPlanned(
              'generate',
              seqs,
              (s) => ({ length: s.promptIds.length, newTokens: s.maxNewTokens + (s.endOfTurnToken !== undefined ? 1 : 0) }),
              (group) => executor.generate(key, group.map(generateSpec), generateHooks(group)),
            ),
        ),
    ),
    score: passBatcher('score', (group: PreparedScoreItem[]) => executor.score(key, group.map((s) => ({ ids: Int32Array.from(s.ids), targetStart: s.targetStart })))),
    hiddenStates: passBatcher('hiddenStates', (group: PreparedPoolItem[]) => executor.pool(key, group.map((s) => ({ ...s, ids: Int32Array.from(s.ids) })))),
    classify: passBatcher('classify', (group: PreparedClassifyItem[]) => executor.classify(key, group.map((s) => ({ ids: Int32Array.from(s.ids) })))),
  };
}
