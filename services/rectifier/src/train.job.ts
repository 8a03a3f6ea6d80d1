import { Inject, Injectable } from '@nestjs/common';
import { mkdtemp, rm } from 'fs/promises';
import { tmpdir } from 'os';
import * as path from 'path';
import { Logger } from 'pino';
import { ObjectStore } from '@assay/artifacts';
import { AssayError, RectifierTrainRequest, RectifierTrainResult } from '@assay/contracts';
import type { JobContext } from '@assay/messaging';
import { ASSAY_LOGGER, HandlesJob, loadPromptSet, MetricFactory, ModelHostService } from '@assay/platform';
import { initQHead, qHeadLayout, QTrainer, QTrainerState, QTrajectory, Rng } from '@assay/stats';
import { ATTR, withSpan } from '@assay/telemetry';
import { decodeBlob, encodeBlob } from './blob-codec';
import { qHeadConfig, writeQArtifactDir } from './q-artifact';
import { QHeadStore } from './q-head.store';
import { collectRollouts, decodeRollouts, encodeRollouts } from './rollouts';

/** Prompts per rollout batch (one checkpoint each). */
const ROLLOUT_PROMPTS = 16;
/** Every this many prompts (by position) is a validation prompt: its rollouts only measure the TD loss. */
const VALIDATION_EVERY = 10;

interface RolloutStats {
  trajectories: number;
  toxic: number;
  scoringFailures: number;
  actions: number;
}

interface TrainCheckpoint {
  stage: 'rollouts' | 'train' | 'done';
  batchesDone: number;
  stats: RolloutStats;
  /** Scratch blob of the newest trainer snapshot. */
  trainer?: string;
  initialValLoss?: number;
  lastLoss?: number;
  result?: RectifierTrainResult;
}

/**
 * The durable Q_D training job (queue `rectifier.train`): rollouts of L on the training prompts, batch by batch
 * (each batch's trajectories go to the job's scratch blobs, the checkpoint counts them), then SARSA epochs on the
 * frozen hidden states (trainer snapshots in scratch every `checkpointEvery` steps), then a Q artifact version in
 * the registry naming its L. A restarted worker resumes at the last checkpoint: no prompt is rolled out twice and
 * the trainer continues from its snapshot exactly.
 */
@Injectable()
export class TrainJob {
  constructor(
    private readonly models: ModelHostService,
    private readonly qheads: QHeadStore,
    private readonly store: ObjectStore,
    private readonly metrics: MetricFactory,
    @Inject(ASSAY_LOGGER) private readonly logger: Logger,
  ) {}

  @HandlesJob('rectifier.train')
  async run(job: JobContext<RectifierTrainRequest>): Promise<RectifierTrainResult> {
    const request = job.payload;
    return withSpan('rectifier.train', { attributes: { [ATTR.jobId]: job.id, [ATTR.jobAttempt]: job.attempt, 'assay.rectifier.model': request.model } }, async () => {
      const cp: TrainCheckpoint = (await job.loadCheckpoint<TrainCheckpoint>()) ?? { stage: 'rollouts', batchesDone: 0, stats: { trajectories: 0, toxic: 0, scoringFailures: 0, actions: 0 } };
      if (cp.stage === 'done' && cp.result) return cp.result;
      if (job.attempt > 1) this.logger.info({ jobId: job.id, stage: cp.stage, batchesDone: cp.batchesDone }, 'Q training resumed from its checkpoint');
      const model = await this.models.acquire(request.model);
      if (!model.info.hasHiddenStates) throw AssayError.badRequest(`${model.name}@${model.version} has no hidden-states output (run \`assay models prepare\`): the Q head reads them`);
      const prompts = (await loadPromptSet(this.store, request.prompts)).map((p) => p.prompt);
      const batches = Math.ceil(prompts.length / ROLLOUT_PROMPTS);
      const metric = this.metrics.create(request.metric);

      for (let b = cp.batchesDone; b < batches && cp.stage === 'rollouts'; b++) {
        this.throwIfAborted(job);
        const slice = prompts.slice(b * ROLLOUT_PROMPTS, (b + 1) * ROLLOUT_PROMPTS);
        const rollouts = await collectRollouts(this.models.engine, model.key, slice, metric, {
          n: request.rolloutsPerPrompt,
          maxNewTokens: request.maxNewTokens,
          temperature: request.temperature,
          topK: request.topK,
          topP: request.topP,
          seed: (request.seed + b * 7919) >>> 0,
          toxicThreshold: request.toxicThreshold,
        });
        await job.scratch.put(`rollouts/${b}.bin`, encodeRollouts(rollouts));
        cp.stats.trajectories += rollouts.trajectories.length;
        cp.stats.toxic += rollouts.trajectories.filter((t) => t.reward < 0).length;
        cp.stats.scoringFailures += rollouts.scores.filter((s) => !Number.isFinite(s)).length;
        cp.stats.actions += rollouts.trajectories.reduce((s, t) => s + t.actions.length, 0);
        cp.batchesDone = b + 1;
        await job.checkpoint(cp);
        await job.progress((0.5 * cp.batchesDone) / batches, `rollouts ${cp.batchesDone}/${batches} batches, ${cp.stats.toxic}/${cp.stats.trajectories} toxic`, {
          stage: 0,
          trajectories: cp.stats.trajectories,
          toxic: cp.stats.toxic,
        });
      }

      const train: QTrajectory[] = [];
      const validation: QTrajectory[] = [];
      for (let b = 0; b < batches; b++) {
        const batch = decodeRollouts(await job.scratch.get(`rollouts/${b}.bin`));
        batch.trajectories.forEach((t, i) => ((b * ROLLOUT_PROMPTS + batch.promptOf[i]) % VALIDATION_EVERY === VALIDATION_EVERY - 1 ? validation : train).push(t));
      }
      if (train.length === 0) throw AssayError.badRequest('no rollouts to train on (every completion was empty)');
      const layout = qHeadLayout({ inDim: model.info.hiddenSize, hidden: request.hidden, vocab: model.info.vocabSize });
      const options = { learningRate: request.learningRate, polyak: request.polyak, gamma: request.gamma, lambda: request.lambda, batchSize: request.batchSize, seed: request.seed };
      const prior = Math.min(0.5, Math.max(0.01, cp.stats.toxic / Math.max(1, cp.stats.trajectories)));
      const trainer = new QTrainer(layout, train, options, cp.trainer ? decodeSnapshot(await job.scratch.get(cp.trainer)) : initQHead(layout, new Rng(request.seed), prior));
      if (cp.stage === 'rollouts') {
        cp.stage = 'train';
        cp.initialValLoss = validation.length > 0 ? trainer.tdLoss(validation) : undefined;
        await job.checkpoint(cp);
      }
      const totalSteps = request.epochs * trainer.stepsPerEpoch;
      const started = Date.now();
      const startStep = trainer.steps;
      let loss = cp.lastLoss ?? NaN;
      while (trainer.steps < totalSteps) {
        loss = trainer.step();
        if (trainer.steps % request.checkpointEvery === 0 || trainer.steps === totalSteps) {
          this.throwIfAborted(job);
          cp.trainer = await job.scratch.put('trainer.bin', encodeSnapshot(trainer.snapshot()));
          cp.lastLoss = loss;
          await job.checkpoint(cp);
          const rate = (trainer.steps - startStep) / Math.max(1e-3, (Date.now() - started) / 1000);
          await job.progress(0.5 + (0.5 * trainer.steps) / totalSteps, `SARSA step ${trainer.steps}/${totalSteps}, TD loss ${loss.toFixed(4)}`, {
            stage: 1,
            step: trainer.steps,
            steps: totalSteps,
            loss,
            stepsPerSec: rate,
          });
        }
      }

      const valLoss = validation.length > 0 ? trainer.tdLoss(validation) : null;
      const base = await this.qheads.describeBase(model);
      const report = {
        rollouts: cp.stats,
        toxicRate: cp.stats.toxic / Math.max(1, cp.stats.trajectories),
        trainTrajectories: train.length,
        validationTrajectories: validation.length,
        steps: totalSteps,
        epochs: request.epochs,
        finalTrainLoss: loss,
        initialValidationLoss: cp.initialValLoss ?? null,
        validationLoss: valLoss,
        hyperparameters: { ...options, hidden: request.hidden, rolloutsPerPrompt: request.rolloutsPerPrompt, maxNewTokens: request.maxNewTokens, temperature: request.temperature, topK: request.topK, topP: request.topP },
      };
      const dir = await mkdtemp(path.join(tmpdir(), 'assay-q-head-'));
      try {
        await writeQArtifactDir(dir, qHeadConfig(layout, base, { epsilon: request.epsilon, capMode: request.capMode }), layout, trainer.params);
        const pushed = await this.qheads.push(dir, request.name, { kind: 'trained-head', parent: { name: model.name, version: model.version }, trainingReport: report }, { base: `${base.name}@${base.version}`, jobId: job.id });
        const result: RectifierTrainResult = { model: pushed.name, version: pushed.version, base: `${base.name}@${base.version}`, report };
        await job.checkpoint({ ...cp, stage: 'done', result });
        this.logger.info({ jobId: job.id, q: `${pushed.name}@${pushed.version}`, toxicRate: report.toxicRate, valLoss }, 'Q_D trained');
        return result;
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }

  private throwIfAborted(job: JobContext<RectifierTrainRequest>): void {
    if (job.signal.aborted) throw job.signal.reason ?? AssayError.unavailable('Q training aborted');
  }
}

type SnapshotMeta = Omit<QTrainerState, 'params' | 'target' | 'adamM' | 'adamV'>;

function encodeSnapshot(state: QTrainerState): Buffer {
  const { params, target, adamM, adamV, ...meta } = state;
  return encodeBlob<SnapshotMeta>(meta, [params, target, adamM, adamV]);
}

function decodeSnapshot(buffer: Buffer): QTrainerState {
  const { meta, arrays } = decodeBlob<SnapshotMeta>(buffer);
  const [params, target, adamM, adamV] = arrays as Float64Array[];
  return { ...meta, params, target, adamM, adamV };
}
