import { randomInt } from 'crypto';
import * as path from 'path';
import pino from 'pino';
import { RuntimeConfig, RuntimeConfigInput, runtimeConfig } from '../config';
import { invalidRequest, RuntimeError } from '../errors';
import { Executor } from '../executor/executor';
import { InProcessExecutor } from '../executor/in-process-executor';
import { WorkerPoolExecutor } from '../executor/worker-pool-executor';
import { readModelBundle } from '../model/model-bundle';
import {
  BatchingStats,
  ClassifyRequest,
  ClassifyResult,
  EngineClient,
  EngineHealth,
  GenerateRequest,
  GenerateResult,
  HiddenStatesRequest,
  HiddenStatesResult,
  LoadModelOptions,
  ModelInfo,
  RenderChatRequest,
  RenderChatResult,
  ScoreRequest,
  ScoreResult,
  StreamedToken,
  TokenizeRequest,
  TokenizeResult,
} from './engine-client';
import { createEngineModel, EngineModel, REQUEST_KINDS, sum } from './engine-model';
import { PreparedGenerate, prepareClassify, prepareGenerate, preparePool, prepareScore } from './request-preparation';
import { classifierLabel, toCompletion, toScoreResult } from './results';
import { GeneratedSequence } from '../model-runner/batch-types';

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

  async loadModel(name: string, dir: string, options: LoadModelOptions = {}): Promise<ModelInfo> {
    this.assertOpen();
    if (typeof name !== 'string' || name.length === 0) throw new RuntimeError('INVALID_REQUEST', 'model name must be a non-empty string');
    if (this.models.has(name) || this.loading.has(name)) throw new RuntimeError('MODEL_ALREADY_LOADED', `a model named "${name}" is already loaded`, { name });
    this.loading.add(name);
    try {
      const bundle = await readModelBundle(dir, { variant: options.variant, preferredVariant: this.config.models.variant });
      const key = `${name}#${++this.loads}`;
      const { maxBatchSize, maxBatchTokens } = this.config.batching;
      const report = await this.executor.loadModel({ key, dir: bundle.dir, variant: bundle.variant, session: this.config.session, limits: { maxBatchSize, maxBatchTokens } });
      for (const warning of report.warnings) this.logger.warn({ model: name, warning }, 'runtime: execution provider fallback');
      const head = bundle.shape.classifier;
      const info: ModelInfo = {
        name,
        dir: bundle.dir,
        architecture: bundle.shape.architecture,
        variant: bundle.variant,
        modelFile: path.relative(bundle.dir, bundle.modelPath).split(path.sep).join('/'),
        task: bundle.runner.task,
        ...(head ? { classifier: { labels: head.labels, positiveLabel: head.positiveLabel, threshold: head.threshold, maxLength: bundle.shape.contextLength } } : {}),
        vocabSize: bundle.shape.vocabSize,
        tokenizerSize: bundle.tokenizer.size,
        contextLength: bundle.shape.contextLength,
        layers: bundle.shape.layers,
        heads: bundle.shape.heads,
        kvHeads: bundle.shape.kvHeads,
        headDim: bundle.shape.headDim,
        hiddenSize: bundle.shape.hiddenSize,
        bosTokenId: bundle.shape.bosTokenId,
        eosTokenIds: bundle.shape.eosTokenIds,
        padTokenId: bundle.shape.padTokenId,
        hasKvCache: report.io.pastInputs.length > 0,
        ...(report.io.pastInputs.length > 0 ? { kvCacheType: report.io.kvType } : {}),
        hasHiddenStates: report.io.hiddenStates !== undefined,
        hasChatTemplate: bundle.chatTemplate !== undefined,
        executionProviders: report.executionProviders,
      };
      const prep = { shape: bundle.shape, tokenizer: bundle.tokenizer, hasHiddenStates: info.hasHiddenStates, chatTemplate: bundle.chatTemplate };
      this.models.set(name, createEngineModel(this.executor, this.config.batching, info, key, prep));
      this.logger.info({ model: name, dir: info.dir, task: info.task, providers: info.executionProviders, kv: info.hasKvCache }, 'runtime: model loaded');
      return info;
    } finally {
      this.loading.delete(name);
    }
  }

  /** Stops taking requests for `name`, lets its in-flight batches finish, then releases its sessions. */
  async unloadModel(name: string): Promise<void> {
    const model = this.model(name);
    this.models.delete(name);
    for (const kind of REQUEST_KINDS) model[kind].flush();
    while (model.inFlight.size > 0) await Promise.allSettled([...model.inFlight]);
    await this.executor.unloadModel(model.key);
  }

  async listModels(): Promise<ModelInfo[]> {
    return [...this.models.values()].map((m) => m.info);
  }

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    const model = this.model(request?.model);
    return this.runGenerate(model, prepareGenerate(request, model.prep, () => randomInt(0, 2 ** 32)));
  }

  async generateStream(request: GenerateRequest, onToken: (token: StreamedToken) => void, options: { signal?: AbortSignal } = {}): Promise<GenerateResult> {
    const model = this.model(request?.model);
    const prepared = prepareGenerate(request, model.prep, () => randomInt(0, 2 ** 32));
    const { signal } = options;
    const cancelled = () => new RuntimeError('CANCELLED', 'generation cancelled: the caller stopped listening');
    if (signal?.aborted) throw cancelled();
    const stop = new AbortController();
    let listenerError: unknown;
    for (const seq of prepared.sequences) {
      // A batch retried after a failure replays the same (seeded) tokens: report each index once.
      let next = 0;
      seq.stream = {
        signal: stop.signal,
        onToken: ({ index, id, text, logprob, samplingLogprob }) => {
          if (stop.signal.aborted || index < next) return;
          next = index + 1;
          try {
            onToken({ promptIndex: seq.promptIndex, sampleIndex: seq.sampleIndex, index, id, text, logprob, samplingLogprob });
          } catch (error) {
            listenerError = error;
            stop.abort();
          }
        },
      };
    }
    let onAbort = (): void => undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => {
        stop.abort();
        reject(cancelled());
      };
    });
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const result = await Promise.race([this.runGenerate(model, prepared), aborted]);
      if (listenerError !== undefined) throw listenerError;
      return result;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Resolves as soon as the request's own sequences are done: the executor reports each sequence when it
   * finishes, so a request never waits for a longer one that shares its executor batch.
   */
  private async runGenerate(model: EngineModel, prepared: PreparedGenerate): Promise<GenerateResult> {
    const generated = new Array<GeneratedSequence>(prepared.sequences.length);
    let remaining = prepared.sequences.length;
    let allDone = (): void => undefined;
    const done = new Promise<void>((resolve) => (allDone = resolve));
    prepared.sequences.forEach((seq, i) => {
      seq.onDone = (result) => {
        if (generated[i] !== undefined) return;
        generated[i] = result;
        if (--remaining === 0) allDone();
      };
    });
    const batch = this.track(model, model.generate.submit(prepared));
    // Every row reports through onDone; the batch's own result only matters when it fails first.
    await Promise.race([done, batch.then(() => done)]);
    batch.catch(() => undefined);
    const completions = prepared.sequences.map((seq, i) => toCompletion(seq, generated[i], model.info.hiddenSize));
    return {
      model: model.info.name,
      completions,
      usage: { inputTokens: sum(prepared.promptTokens), outputTokens: sum(completions.map((c) => c.tokens.length)) },
      seed: prepared.seed,
      ...(prepared.renderedPrompts ? { renderedPrompts: prepared.renderedPrompts } : {}),
    };
  }

  async renderChat(request: RenderChatRequest): Promise<RenderChatResult> {
    const model = this.model(request?.model);
    const chat = model.prep.chatTemplate;
    if (!chat) throw new RuntimeError('UNSUPPORTED', `model ${model.info.name} has no chat template (tokenizer_config.json chat_template)`);
    const text = chat.render(request.messages, { addGenerationPrompt: request.addGenerationPrompt, variables: request.variables });
    return { model: model.info.name, text, tokenIds: model.prep.tokenizer.encode(text) };
  }

  async tokenize(request: TokenizeRequest): Promise<TokenizeResult> {
    const model = this.model(request?.model);
    if (!Array.isArray(request.texts) || request.texts.some((t) => typeof t !== 'string')) throw invalidRequest('texts must be an array of strings', { field: 'texts' });
    return { model: model.info.name, tokenIds: request.texts.map((text) => model.prep.tokenizer.encode(text)) };
  }

  async score(request: ScoreRequest): Promise<ScoreResult> {
    const model = this.model(request?.model);
    const prepared = prepareScore(request, model.prep);
    const scored = await this.track(model, model.score.submit(prepared, { immediate: request.immediate === true }));
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
    const pooled = await this.track(model, model.hiddenStates.submit(prepared, { immediate: request.immediate === true }));
    return {
      model: model.info.name,
      hiddenSize: model.info.hiddenSize,
      pooling: prepared[0].pooling,
      vectors: pooled.map((p) => p.vectors),
      rows: pooled.map((p) => p.rows),
      usage: { inputTokens: sum(prepared.map((p) => p.ids.length)), outputTokens: 0 },
    };
  }

  async classify(request: ClassifyRequest): Promise<ClassifyResult> {
    const model = this.model(request?.model);
    const { items, threshold } = prepareClassify(request, model.prep);
    const classified = await this.track(model, model.classify.submit(items));
    const head = model.prep.shape.classifier!;
    return {
      model: model.info.name,
      probabilities: classified.map((c) => c.probabilities[head.positiveIndex]),
      labels: classified.map((c) => classifierLabel(c.probabilities, head, threshold)),
      labelProbabilities: classified.map((c) => Array.from(c.probabilities)),
      positiveLabel: head.positiveLabel,
      threshold,
      usage: { inputTokens: sum(items.map((i) => i.ids.length)), outputTokens: 0 },
    };
  }

  async health(): Promise<EngineHealth> {
    const executor = this.executor.health();
    const batching = { generate: emptyStats(), score: emptyStats(), hiddenStates: emptyStats(), classify: emptyStats() };
    for (const model of this.models.values()) {
      for (const kind of REQUEST_KINDS) {
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

function emptyStats(): BatchingStats {
  return { requests: 0, batches: 0, executorCalls: 0 };
}
