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
import { DecodeControl, generateBatch } from '../model-runner/decode-loop';
import { poolBatch, scoreBatch } from '../model-runner/full-passes';
import { LoadedModelReport, LoadModelTask } from './executor';
import { OnnxSession } from './onnx-session';

type HostedModel = RunnableModel & { session: OnnxSession; report: LoadedModelReport };

/**
 * The models of one thread: each loaded once (bundle + ONNX session) and run by key. Lives inside every
 * worker of the pool, or on the main thread for the in-process executor.
 */
export class ModelHost {
  private readonly models = new Map<string, HostedModel>();

  async load(task: LoadModelTask): Promise<LoadedModelReport> {
    const existing = this.models.get(task.key);
    if (existing) return existing.report;
    const bundle = await readModelBundle(task.dir, { variant: task.variant });
    const opened = await OnnxSession.open(bundle.modelPath, task.session);
    try {
      const io = describeModelIo(bundle, opened.session.signature);
      const report: LoadedModelReport = {
        key: task.key,
        io,
        signature: opened.session.signature,
        executionProviders: opened.executionProviders,
        warnings: opened.warnings,
      };
      this.models.set(task.key, { runner: bundle.runner, backend: opened.session, io, shape: bundle.shape, tokenizer: bundle.tokenizer, session: opened.session, report });
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

  generate(key: string, batch: GenerateSequenceSpec[], control?: DecodeControl): Promise<GeneratedSequence[]> {
    return generateBatch(this.get(key), batch, control);
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
  }

  private get(key: string): HostedModel {
    const model = this.models.get(key);
    if (!model) throw new RuntimeError('MODEL_NOT_LOADED', `model ${key} is not loaded in this executor`);
    return model;
  }
}
