import { randomInt } from 'crypto';
import pino from 'pino';
import { RuntimeConfig, RuntimeConfigInput, runtimeConfig } from '../config';
import { RuntimeError } from '../errors';
import { Executor } from '../executor/executor';
import { InProcessExecutor } from '../executor/in-process-executor';
import { WorkerPoolExecutor } from '../executor/worker-pool-executor';
import { readModelBundle } from '../model/model-bundle';
import { GeneratedSequence, PooledSequence, ScoredSequence } from '../model-runner/batch-types';
import { PlanItem, planBatches } from './batch-planner';
import {
  BatchingStats,
  EngineClient,
  EngineHealth,
  GenerateRequest,
  GenerateResult,
  HiddenStatesRequest,
  HiddenStatesResult,
  ModelInfo,
  ScoreRequest,
  ScoreResult,
} from './engine-client';
import { MicroBatcher } from './micro-batcher';
import {
  PreparationModel,
  PreparedGenerate,
  PreparedGenerateSequence,
  PreparedPoolItem,
  PreparedScoreItem,
  prepareGenerate,
  preparePool,
  prepareScore,
} from './request-preparation';
import { toCompletion, toScoreResult } from './results';

export interface RuntimeLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface LocalEngineOptions {
  config?: RuntimeConfigInput;
  /** Overrides the executor the config would build (benchmarks, tests). */
  executor?: Executor;
  logger?: RuntimeLogger;
}

type Kind = 'generate' | 'score' | 'hiddenStates';

interface EngineModel {
  info: ModelInfo;
  key: string;
  prep: PreparationModel;
  generate: MicroBatcher<PreparedGenerate, GeneratedSequence[]>;
  score: MicroBatcher<PreparedScoreItem[], ScoredSequence[]>;
  hiddenStates: MicroBatcher<PreparedPoolItem[], PooledSequence[]>;
  executorCalls: Record<Kind, number>;
  inFlight: Set<Promise<unknown>>;
}

/**
 * The in-process engine: validates and tokenizes on the caller's thread, merges concurrent requests per
 * model and kind (micro-batcher), splits merged batches to the configured limits (batch planner) and
 * runs them on the executor, several at once when it has several workers.
 */
export class LocalEngine implements EngineClient {
  readonly config: RuntimeConfig;
  private readonly executor: Executor;
  private readonly logger: RuntimeLogger;
  private readonly models = new Map<string, EngineModel>();
  private readonly loading = new Set<string>();
  private loads = 0;
  private closed = false;

  constructor(options: LocalEngineOptions = {}) {
    this.config = runtimeConfig(options.config);
    this.logger = options.logger ?? pino({ name: 'assay-runtime', level: process.env.LOG_LEVEL ?? 'info' });
    this.executor =
      options.executor ?? (this.config.executor.kind === 'in-process' ? new InProcessExecutor() : new WorkerPoolExecutor(this.config.executor, this.logger));
  }

  async loadModel(name: string, dir: string): Promise<ModelInfo> {
    this.assertOpen();
    if (typeof name !== 'string' || name.length === 0) throw new RuntimeError('INVALID_REQUEST', 'model name must be a non-empty string');
    if (this.models.has(name) || this.loading.has(name)) throw new RuntimeError('MODEL_ALREADY_LOADED', `a model named "${name}" is already loaded`, { name });
    this.loading.add(name);
    try {
      const bundle = await readModelBundle(dir);
      const key = `${name}#${++this.loads}`;
      const report = await this.executor.loadModel({ key, dir: bundle.dir, session: this.config.session });
      for (const warning of report.warnings) this.logger.warn({ model: name, warning }, 'runtime: execution provider fallback');
      const info: ModelInfo = {
        name,
        dir: bundle.dir,
        architecture: bundle.shape.architecture,
        vocabSize: bundle.shape.vocabSize,
        tokenizerSize: bundle.tokenizer.size,
        contextLength: bundle.shape.contextLength,
        layers: bundle.shape.layers,
        heads: bundle.shape.heads,
        hiddenSize: bundle.shape.hiddenSize,
        bosTokenId: bundle.shape.bosTokenId,
        eosTokenIds: bundle.shape.eosTokenIds,
        padTokenId: bundle.shape.padTokenId,
        hasKvCache: report.io.pastInputs.length > 0,
        hasHiddenStates: report.io.hiddenStates !== undefined,
        executionProviders: report.executionProviders,
      };
      this.models.set(name, this.engineModel(info, key, { shape: bundle.shape, tokenizer: bundle.tokenizer, hasHiddenStates: info.hasHiddenStates }));
      this.logger.info({ model: name, dir: info.dir, providers: info.executionProviders, kv: info.hasKvCache }, 'runtime: model loaded');
      return info;
    } finally {
      this.loading.delete(name);
    }
  }

  /** Stops taking requests for `name`, lets its in-flight batches finish, then releases its sessions. */
  async unloadModel(name: string): Promise<void> {
    const model = this.model(name);
    this.models.delete(name);
    for (const batcher of [model.generate, model.score, model.hiddenStates]) batcher.flush();
    while (model.inFlight.size > 0) await Promise.allSettled([...model.inFlight]);
    await this.executor.unloadModel(model.key);
  }

  async listModels(): Promise<ModelInfo[]> {
    return [...this.models.values()].map((m) => m.info);
  }

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    const model = this.model(request?.model);
    const prepared = prepareGenerate(request, model.prep, () => randomInt(0, 2 ** 32));
    const generated = await this.track(model, model.generate.submit(prepared));
    const completions = prepared.sequences.map((seq, i) => toCompletion(seq, generated[i], model.info.hiddenSize));
    return {
      model: model.info.name,
      completions,
      usage: { inputTokens: sum(prepared.promptTokens), outputTokens: sum(completions.map((c) => c.tokens.length)) },
      seed: prepared.seed,
    };
  }

  async score(request: ScoreRequest): Promise<ScoreResult> {
    const model = this.model(request?.model);
    const prepared = prepareScore(request, model.prep);
    const scored = await this.track(model, model.score.submit(prepared));
    const results = prepared.map((item, i) => toScoreResult(item, scored[i], model.prep.tokenizer));
    return {
      model: model.info.name,
      results,
      usage: { inputTokens: sum(prepared.map((p) => p.ids.length)), outputTokens: 0 },
    };
  }

  async hiddenStates(request: HiddenStatesRequest): Promise<HiddenStatesResult> {
    const model = this.model(request?.model);
    const prepared = preparePool(request, model.prep);
    const pooled = await this.track(model, model.hiddenStates.submit(prepared));
    return {
      model: model.info.name,
      hiddenSize: model.info.hiddenSize,
      pooling: prepared[0].pooling,
      vectors: pooled.map((p) => p.vectors),
      rows: pooled.map((p) => p.rows),
      usage: { inputTokens: sum(prepared.map((p) => p.ids.length)), outputTokens: 0 },
    };
  }

  async health(): Promise<EngineHealth> {
    const executor = this.executor.health();
    const batching = { generate: emptyStats(), score: emptyStats(), hiddenStates: emptyStats() };
    for (const model of this.models.values()) {
      for (const kind of ['generate', 'score', 'hiddenStates'] as const) {
        const stats = model[kind].stats();
        batching[kind].requests += stats.requests;
        batching[kind].batches += stats.batches;
        batching[kind].executorCalls += model.executorCalls[kind];
      }
    }
    const degraded = executor.kind === 'worker-threads' && executor.aliveWorkers < executor.workers;
    return { status: this.closed ? 'closed' : degraded ? 'degraded' : 'ok', executor, models: [...this.models.keys()], batching };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const inFlight = [...this.models.values()].flatMap((m) => [...m.inFlight]);
    this.models.clear();
    await Promise.allSettled(inFlight);
    await this.executor.close();
  }

  private engineModel(info: ModelInfo, key: string, prep: PreparationModel): EngineModel {
    const { windowMs, maxBatchSize, maxBatchTokens } = this.config.batching;
    const limits = { maxBatchSize, maxBatchTokens, contextLength: info.contextLength };
    const executorCalls: Record<Kind, number> = { generate: 0, score: 0, hiddenStates: 0 };
    const executor = this.executor;

    /** Splits one merged batch into executor calls within the limits and runs them concurrently. */
    async function runPlanned<P, O>(kind: Kind, items: P[], plan: (p: P) => PlanItem, call: (group: P[]) => Promise<O[]>): Promise<O[]> {
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
    /** Flattens requests into sequences, runs them, and hands each request back its own slice. */
    function scatter<Req, P, O>(requests: Req[], itemsOf: (r: Req) => P[], run: (items: P[]) => Promise<O[]>): Promise<O[][]> {
      const flat = requests.flatMap(itemsOf);
      return run(flat).then((results) => {
        let offset = 0;
        return requests.map((r) => results.slice(offset, (offset += itemsOf(r).length)));
      });
    }
    const options = { windowMs, maxBatchSize, maxBatchTokens };
    const genSpec = (s: PreparedGenerateSequence) => ({ ...s, promptIds: Int32Array.from(s.promptIds) });
    return {
      info,
      key,
      prep,
      executorCalls,
      inFlight: new Set(),
      generate: new MicroBatcher<PreparedGenerate, GeneratedSequence[]>(
        { ...options, sizeOf: (r) => r.sequences.length, tokensOf: (r) => sum(r.sequences.map((s) => s.promptIds.length + s.maxNewTokens)) },
        (requests) =>
          scatter(
            requests,
            (r) => r.sequences,
            (seqs) =>
              runPlanned('generate', seqs, (s) => ({ length: s.promptIds.length, newTokens: s.maxNewTokens }), (group) => executor.generate(key, group.map(genSpec))),
          ),
      ),
      score: new MicroBatcher<PreparedScoreItem[], ScoredSequence[]>(
        { ...options, sizeOf: (r) => r.length, tokensOf: (r) => sum(r.map((s) => s.ids.length)) },
        (requests) =>
          scatter(
            requests,
            (r) => r,
            (items) =>
              runPlanned('score', items, (s) => ({ length: s.ids.length, newTokens: 0 }), (group) =>
                executor.score(key, group.map((s) => ({ ids: Int32Array.from(s.ids), targetStart: s.targetStart }))),
              ),
          ),
      ),
      hiddenStates: new MicroBatcher<PreparedPoolItem[], PooledSequence[]>(
        { ...options, sizeOf: (r) => r.length, tokensOf: (r) => sum(r.map((s) => s.ids.length)) },
        (requests) =>
          scatter(
            requests,
            (r) => r,
            (items) =>
              runPlanned('hiddenStates', items, (s) => ({ length: s.ids.length, newTokens: 0 }), (group) =>
                executor.pool(key, group.map((s) => ({ ...s, ids: Int32Array.from(s.ids) }))),
              ),
          ),
      ),
    };
  }

  private model(name: unknown): EngineModel {
    this.assertOpen();
    const model = typeof name === 'string' ? this.models.get(name) : undefined;
    if (!model) throw new RuntimeError('MODEL_NOT_LOADED', `model ${JSON.stringify(name)} is not loaded`, { model: name, loaded: [...this.models.keys()] });
    return model;
  }

  private track<T>(model: EngineModel, work: Promise<T>): Promise<T> {
    model.inFlight.add(work);
    const done = () => model.inFlight.delete(work);
    work.then(done, done);
    return work;
  }

  private assertOpen(): void {
    if (this.closed) throw new RuntimeError('EXECUTOR_CLOSED', 'engine is closed');
  }
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function emptyStats(): BatchingStats {
  return { requests: 0, batches: 0, executorCalls: 0 };
}
