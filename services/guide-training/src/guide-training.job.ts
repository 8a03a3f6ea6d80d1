import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Logger } from 'pino';
import { ModelRegistry, ObjectStore, ResolvedModel, timestampVersion } from '@assay/artifacts';
import { AssayError, GuideTrainRequest, GuideTrainResult } from '@assay/contracts';
import { decodeCheckpoint, encodeCheckpoint, GptTrainerCheckpoint, GptWeights, TokenizerJson, trainGpt, TrainProgress, WEIGHTS_FILE, writeLmDir } from '@assay/forge';
import { JobContext, JobScratch } from '@assay/messaging';
import { ASSAY_LOGGER, HandlesJob } from '@assay/platform';
import { ATTR, withSpan } from '@assay/telemetry';
import { borrowedTokenizer, GuideTokenizer, openTokenizer, trainGuideTokenizer } from './guide-tokenizer';
import { parseResponses } from './training-data';

/** Scratch blobs of the job (JobContext.scratch, under `jobs/<jobId>/`). */
const TOKENIZER_BLOB = 'tokenizer.json';
const TRAINER_BLOB = 'checkpoint.bin';

/** What the job keeps in its KV checkpoint: small; the tokenizer and the trainer's snapshot are scratch blobs. */
interface GuideJobState {
  /** The version this job publishes, fixed on the first attempt so a retry never publishes twice. */
  version: string;
  tokenizer: Omit<GuideTokenizer, 'text'>;
  base?: { name: string; version: string };
  /** Step of the trainer snapshot in the TRAINER_BLOB scratch blob, once one was saved. */
  step?: number;
}

/**
 * Trains a guide G (spec valid.md §1): a small GPT trained only on in-domain responses, each example
 * BOS + response + EOS, never a prompt. Progress every `progressEvery` steps; the trainer's snapshot goes to the
 * object store every `checkpointEvery` steps, so a worker that stops mid-run is resumed exactly where it left off.
 * The guide is registered with its training report and forge's `weights.bin` (the checkpoint codec of its
 * GptWeights, see writeLmDir), which is what fine-tuning loads, since there is no ONNX → GptWeights importer.
 */
@Injectable()
export class GuideTrainingJob {
  constructor(
    private readonly store: ObjectStore,
    private readonly registry: ModelRegistry,
    @Inject(ASSAY_LOGGER) private readonly logger: Logger,
  ) {}

  @HandlesJob('guide-training.train')
  async train(job: JobContext<GuideTrainRequest>): Promise<GuideTrainResult> {
    const request = job.payload;
    const attributes = { [ATTR.jobId]: job.id, [ATTR.jobAttempt]: job.attempt, 'assay.guide': request.name };
    return withSpan('guide-training.train', { attributes }, async (span) => {
      const responses = await this.readResponses(request);
      let state = await job.loadCheckpoint<GuideJobState>();
      if (state) {
        const published = await this.publishedResult(request.name, state.version);
        if (published) return published;
      } else {
        state = await this.prepare(job.scratch, request, responses);
        await job.checkpoint(state);
      }
      const tokenizer: GuideTokenizer = { ...state.tokenizer, text: await job.scratch.getText(TOKENIZER_BLOB) };
      const encoder = openTokenizer(tokenizer.text);
      const examples = responses.map((r) => encoder.encode(r)).filter((ids) => ids.length > 0);
      const base = state.base ? await this.baseWeights(state.base) : undefined;
      const resumeFrom = state.step !== undefined ? decodeCheckpoint<GptTrainerCheckpoint>(new Uint8Array(await job.scratch.get(TRAINER_BLOB))) : undefined;
      span.setAttribute('assay.resumed_from_step', resumeFrom?.step ?? 0);
      if (resumeFrom) this.logger.info({ jobId: job.id, step: resumeFrom.step }, 'resuming guide training from checkpoint');

      let current: GuideJobState = state;
      const { weights, report } = await trainGpt({
        ...(base ? { initialWeights: base } : { model: { vocabSize: tokenizer.vocabSize, contextLength: request.context, layers: request.layers, heads: request.heads, dim: request.dim } }),
        examples,
        valFraction: request.validationFraction,
        bosId: tokenizer.bosId,
        eosId: tokenizer.eosId,
        batchSize: request.batchSize,
        maxSteps: request.steps,
        learningRate: request.learningRate,
        dropout: request.dropout,
        evalEvery: request.evalEvery,
        patience: request.earlyStoppingPatience > 0 ? request.earlyStoppingPatience : null,
        seed: request.seed,
        progressEvery: request.progressEvery,
        onProgress: (p) => void job.progress(Math.min(1, p.step / p.steps), progressMessage(p), progressMetrics(p)),
        checkpointEvery: request.checkpointEvery,
        onCheckpoint: async (checkpoint: GptTrainerCheckpoint) => {
          await job.scratch.put(TRAINER_BLOB, encodeCheckpoint(checkpoint));
          current = { ...current, step: checkpoint.step };
          await job.checkpoint(current);
        },
        resumeFrom,
        signal: job.signal,
      }).catch((error: unknown) => {
        // The trainer's own errors (too little data, a checkpoint of other data, divergence) recur on retry.
        throw error instanceof AssayError ? error : AssayError.badRequest(`guide training failed: ${(error as Error).message}`);
      });
      if (report.stopReason === 'aborted') {
        throw AssayError.unavailable(`guide training of job ${job.id} stopped at step ${report.steps}; it resumes from its last checkpoint`, { reason: String(job.signal.reason?.details?.reason ?? 'aborted') });
      }
      const fullReport = {
        ...report,
        examples: examples.length,
        data: request.data,
        tokenizer: { source: tokenizer.source, vocabSize: tokenizer.vocabSize, bosId: tokenizer.bosId, eosId: tokenizer.eosId },
        baseModel: state.base ? `${state.base.name}@${state.base.version}` : null,
        resumedFromStep: resumeFrom?.step ?? null,
        jobId: job.id,
      };
      await this.publish(request, state, tokenizer, weights, fullReport);
      return { model: request.name, version: state.version, report: fullReport };
    });
  }

  private async readResponses(request: GuideTrainRequest): Promise<string[]> {
    const content = await this.store.getBuffer(request.data).catch((error: unknown) => {
      const failure = AssayError.from(error);
      throw failure.code === 'NOT_FOUND' ? AssayError.badRequest(`no object "${request.data}" in the object store`) : failure;
    });
    const { responses } = parseResponses(content.toString('utf8'), request.maxExamples);
    if (responses.length < 2) throw AssayError.badRequest(`${request.data} holds ${responses.length} response(s); a guide needs at least 2 (one is held out)`);
    return responses;
  }

  /** First attempt: fixes the version, the base model's version and the tokenizer, and stores the tokenizer. */
  private async prepare(scratch: JobScratch, request: GuideTrainRequest, responses: string[]): Promise<GuideJobState> {
    const version = timestampVersion(new Date(), randomBytes(2).toString('hex'));
    let tokenizer: GuideTokenizer;
    let base: ResolvedModel | undefined;
    if (request.baseModel) {
      base = await this.registry.resolveModel(request.baseModel);
      tokenizer = await this.modelTokenizer(base);
    } else if (request.tokenizer === 'train') {
      tokenizer = trainGuideTokenizer(responses, request.vocabSize);
    } else {
      tokenizer = await this.modelTokenizer(await this.registry.resolveModel(request.tokenizer));
    }
    const { text, ...ids } = tokenizer;
    await scratch.put(TOKENIZER_BLOB, text, 'application/json');
    return { version, tokenizer: ids, ...(base ? { base: { name: base.name, version: base.version } } : {}) };
  }

  private async modelTokenizer(model: ResolvedModel): Promise<GuideTokenizer> {
    const [text, config] = await Promise.all([this.registry.readFile(model, 'tokenizer.json'), this.registry.readJson<Record<string, never>>(model, 'config.json')]);
    try {
      return borrowedTokenizer(text.toString('utf8'), config, model.ref);
    } catch (error) {
      throw AssayError.badRequest(`cannot use the tokenizer of ${model.ref}: ${(error as Error).message}`);
    }
  }

  private async baseWeights(base: { name: string; version: string }): Promise<GptWeights> {
    const model = await this.registry.resolveModel(`${base.name}@${base.version}`);
    return decodeCheckpoint<GptWeights>(new Uint8Array(await this.registry.readFile(model, WEIGHTS_FILE)));
  }

  private async publishedResult(name: string, version: string): Promise<GuideTrainResult | undefined> {
    const manifest = await this.registry.show(name, version).catch(() => undefined);
    if (!manifest) return undefined;
    return { model: name, version, report: (manifest.provenance.trainingReport ?? {}) as Record<string, unknown> };
  }

  private async publish(request: GuideTrainRequest, state: GuideJobState, tokenizer: GuideTokenizer, weights: GptWeights, report: Record<string, unknown>): Promise<void> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'assay-guide-'));
    try {
      // model.onnx and the Optimum files, plus weights.bin (what fine-tuning loads) and training-report.json.
      await writeLmDir(weights, JSON.parse(tokenizer.text) as TokenizerJson, dir, {
        bosTokenId: tokenizer.bosId,
        eosTokenId: tokenizer.eosId,
        padTokenId: tokenizer.padId,
        report,
        assay: { role: 'guide', trainedBy: 'guide-training' },
      });
      // Byte for byte, so a guide trained with L's tokenizer has L's tokenizer digest (see ModelPairService).
      fs.writeFileSync(path.join(dir, 'tokenizer.json'), tokenizer.text);
      await this.registry.push(dir, {
        name: request.name,
        version: state.version,
        provenance: {
          kind: 'trained-guide',
          ...(state.base ? { parent: state.base } : {}),
          trainingReport: report,
          data: request.data,
          tokenizer: tokenizer.source,
        },
        metadata: { role: 'guide', weights: WEIGHTS_FILE, weightsFormat: 'assay-checkpoint/GptWeights' },
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}

function progressMessage(p: TrainProgress): string {
  const val = p.valLoss === null ? '' : ` val ${p.valLoss.toFixed(3)}`;
  return `step ${p.step}/${p.steps} loss ${p.loss.toFixed(3)}${val}`;
}

function progressMetrics(p: TrainProgress): Record<string, number> {
  return {
    step: p.step,
    steps: p.steps,
    loss: p.loss,
    ...(p.valLoss === null ? {} : { valLoss: p.valLoss }),
    tokensPerSec: Math.round(p.tokensPerSec),
    etaSec: Math.round(p.etaSec),
  };
}
