import { RuntimeError } from '../errors';
import { describeModelIo, readModelBundle } from '../model/model-bundle';
import {
  ClassifiedSequence,
  ClassifySequenceSpec,
  GeneratedSequence,
  GenerateSequenceSpec,
  PooledSequence,
  PoolSequenceSpec,
  RunnableModel,
  ScoredSequence,
  ScoreSequenceSpec,
} from '../model-runner/batch-types';
import { classifyBatch } from '../model-runner/classify-pass';
import { DecodeControl, DecodeLimits, DecodeScheduler } from '../model-runner/decode-scheduler';
import { poolBatch, scoreBatch } from '../model-runner/full-passes';
import { LoadedModelReport, LoadModelTask } from './executor';
import { OnnxSession, OpenedSession } from './onnx-session';
import { SessionConfig } from '../config';
import { withLogitsWindow } from '../prepare/logits-window';
import { readFile, stat } from 'fs/promises';
import { RunQueue } from './run-queue';
import { QHeadSessions } from './q-head-sessions';

/** Graphs up to this size are rewritten in memory for serving (see logits-window.ts); larger ones load as they are. */
const SERVING_REWRITE_MAX_BYTES = 1024 ** 3;

/**
 * A decoder's session on the serving rewrite of its graph (logits only where needed), or on the file as it
 * is when the graph cannot be rewritten or the rewrite does not load (the fallback is reported as a warning).
 */
async function openServing(modelPath: string, decoder: boolean, config: SessionConfig): Promise<OpenedSession> {
  const size = (await stat(modelPath)).size;
  if (!decoder || size > SERVING_REWRITE_MAX_BYTES) return OnnxSession.open(modelPath, config);
  const rewritten = withLogitsWindow(new Uint8Array(await readFile(modelPath)));
  if (!rewritten) return OnnxSession.open(modelPath, config);
  try {
    return await OnnxSession.open(modelPath, config, rewritten);
  } catch (error) {
    const opened = await OnnxSession.open(modelPath, config);
    opened.warnings.push(`serving rewrite of ${modelPath} did not load (${(error as Error).message.split('\n')[0]}); serving the graph as it is`);
    return opened;
  }
}

type HostedModel = RunnableModel & { session: OnnxSession; report: LoadedModelReport; decoder?: DecodeScheduler };

/** Continuous-batching limits when a load does not give any (the runtime's batching defaults). */
const DEFAULT_LIMITS: DecodeLimits = { maxBatchSize: 32, maxBatchTokens: 16384 };

/**
 * The models of one thread: each loaded once (bundle + ONNX session) and run by key. Lives inside every
 * worker of the pool, or on the main thread for the in-process executor.
 */
export class ModelHost {
  private readonly models = new Map<string, HostedModel>();
  /** One forward pass at a time on this thread, whichever model and kind of work. */
  private readonly runs = new RunQueue();
  /** Rectified decoding's Q heads, one onnxruntime session per distinct head (created with the first model's session config). */
  private qHeads?: QHeadSessions;

  async load(task: LoadModelTask): Promise<LoadedModelReport> {
    const existing = this.models.get(task.key);
    if (existing) return existing.report;
    const bundle = await readModelBundle(task.dir, { variant: task.variant });
    const opened = await openServing(bundle.modelPath, bundle.runner.task === 'text-generation', task.session);
    try {
      const io = describeModelIo(bundle, opened.session.signature);
      const report: LoadedModelReport = {
        key: task.key,
        io,
        signature: opened.session.signature,
        executionProviders: opened.executionProviders,
        warnings: opened.warnings,
      };
      const model: HostedModel = { runner: bundle.runner, backend: this.runs.wrap(opened.session), io, shape: bundle.shape, tokenizer: bundle.tokenizer, session: opened.session, report };
      if (bundle.runner.task === 'text-generation') {
        this.qHeads ??= new QHeadSessions(task.session, (backend) => this.runs.wrap(backend));
        model.decoder = new DecodeScheduler(model, task.limits ?? DEFAULT_LIMITS, this.qHeads);
      }
      this.models.set(task.key, model);
      return report;
    } catch (error) {
      await opened.session.release();
      throw error;
    }
  }

  async unload(key: string): Promise<void> {
    const model = this.models.get(key);
    if (!model) return;
    this.models.delete(key);
    await model.session.release();
  }

  /** Joins the model's continuously batched decode loop; resolves when every sequence of `batch` is done. */
  generate(key: string, batch: GenerateSequenceSpec[], control?: DecodeControl): Promise<GeneratedSequence[]> {
    const model = this.get(key);
    if (!model.decoder) return Promise.reject(new RuntimeError('UNSUPPORTED', `${model.shape.architecture} is a ${model.runner.task} model, not a decoder`));
    return model.decoder.submit(batch, control);
  }

  score(key: string, batch: ScoreSequenceSpec[]): Promise<ScoredSequence[]> {
    return scoreBatch(this.get(key), batch);
  }

  pool(key: string, batch: PoolSequenceSpec[]): Promise<PooledSequence[]> {
    return poolBatch(this.get(key), batch);
  }

  classify(key: string, batch: ClassifySequenceSpec[]): Promise<ClassifiedSequence[]> {
    return classifyBatch(this.get(key), batch);
  }

  async close(): Promise<void> {
    await Promise.all([...this.models.keys()].map((key) => this.unload(key)));
    await this.qHeads?.release();
    this.qHeads = undefined;
  }

  private get(key: string): HostedModel {
    const model = this.models.get(key);
    if (!model) throw new RuntimeError('MODEL_NOT_LOADED', `model ${key} is not loaded in this executor`);
    return model;
  }
}
