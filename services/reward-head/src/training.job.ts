import { Injectable } from '@nestjs/common';
import { ModelRegistry } from '@assay/artifacts';
import { RewardTrainRequest, RewardTrainResult } from '@assay/contracts';
import { JobContext, JobStages } from '@assay/messaging';
import { HandlesJob } from '@assay/platform';
import { HeadEpoch, PreferenceFeatures, Rng, trainRewardHead } from '@assay/stats';
import { ATTR, withSpan } from '@assay/telemetry';
import { candidateConversations } from './end-of-turn';
import { EndOfTurnStates } from './end-of-turn-states.service';
import { HeadStore } from './head.store';
import { PreferencePair } from './preference-data';
import { RewardDataStore } from './reward-data.store';

/** The cached states of one batch of pairs: [chosen, rejected] per pair, as plain arrays (scratch JSON). */
type PairStates = [number[], number[]];

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function features(states: readonly PairStates[]): PreferenceFeatures {
  return { chosen: states.map((s) => s[0]), rejected: states.map((s) => s[1]) };
}

/** The seeded train/validation split of one pair list (the validation part first in the shuffled order). */
export function splitPairs<T>(pairs: readonly T[], fraction: number, seed: number): { train: T[]; validation: T[] } {
  const order = pairs.map((_, i) => i);
  new Rng(`reward-split:${seed}`).shuffle(order);
  const nValidation = pairs.length < 2 ? 0 : Math.min(pairs.length - 1, Math.round(pairs.length * fraction));
  return { validation: order.slice(0, nValidation).map((i) => pairs[i]), train: order.slice(nValidation).map((i) => pairs[i]) };
}

/**
 * Trains a reward head on a frozen L (spec dph.md §7): L's end-of-turn states of every chosen and rejected answer are
 * computed once, batch by batch, and cached as scratch blobs (JobStages: a restarted job redoes at most one batch);
 * then the head (identity or dense-tanh pooler, separable or contrastive loss with label smoothing) trains on the
 * cached states with validation after every epoch and early stopping (@assay/stats trainRewardHead: seconds, seeded
 * and deterministic, so a resumed job retrains it to the same weights). The head is saved as a new version naming L.
 */
@Injectable()
export class TrainingJob {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly states: EndOfTurnStates,
    private readonly data: RewardDataStore,
    private readonly heads: HeadStore,
  ) {}

  @HandlesJob('reward-head.train')
  async train(job: JobContext<RewardTrainRequest>): Promise<RewardTrainResult> {
    const request = job.payload;
    return withSpan('reward-head.train', { attributes: { [ATTR.jobId]: job.id, [ATTR.genAiRequestModel]: request.model, 'assay.reward.head': request.name } }, async () => {
      const stages = await JobStages.open(job);
      const modelRef = await stages.fixed('model', async () => (await this.registry.resolveRef(request.model)).ref);
      const model = await this.states.model(modelRef);
      const marker = await this.states.marker(model);
      const all = await this.data.pairs(request.data, request.maxPairs);
      const { train, validation } = request.validation
        ? { train: all, validation: await this.data.pairs(request.validation, request.maxPairs) }
        : splitPairs(all, request.validationFraction, request.seed);
      if (train.length === 0) throw new Error(`${request.data} holds no preference pairs`);
      const trainBatches = chunks(train, request.batchPairs);
      const validationBatches = chunks(validation, request.batchPairs);
      stages.plan(trainBatches.length + validationBatches.length + 1);
      const stateOf = async (batch: PreferencePair[]): Promise<PairStates[]> => {
        const conversations = batch.flatMap((p) => candidateConversations(p.context, [p.chosen, p.rejected], marker));
        const vectors = await this.states.states(model, conversations);
        return batch.map((_, i) => [Array.from(vectors[2 * i]), Array.from(vectors[2 * i + 1])]);
      };
      const trainStates = await stages.run('train-states', trainBatches, stateOf);
      const validationStates = await stages.run('validation-states', validationBatches, stateOf);

      const history: HeadEpoch[] = [];
      const trained = trainRewardHead(features(trainStates), validationStates.length > 0 ? features(validationStates) : null, {
        pooler: request.pooler,
        loss: request.loss,
        epsilon: request.epsilon,
        learningRate: request.learningRate,
        weightDecay: request.weightDecay,
        batchSize: request.batchSize,
        maxEpochs: request.maxEpochs,
        patience: request.patience === 0 ? Number.MAX_SAFE_INTEGER : request.patience,
        seed: request.seed,
        onEpoch: (epoch) => {
          history.push(epoch);
          if (epoch.epoch % 5 === 0) job.heartbeat();
        },
      });
      const best = trained.history.find((e) => e.epoch === trained.bestEpoch) ?? trained.history[trained.history.length - 1];
      const saved = await this.heads.save({
        name: request.name,
        model: modelRef,
        loss: request.loss,
        epsilon: request.epsilon,
        endOfTurn: marker,
        training: { jobId: job.id, data: request.data, validation: request.validation ?? null, pairs: { train: train.length, validation: validation.length }, pooler: request.pooler, learningRate: request.learningRate, weightDecay: request.weightDecay, batchSize: request.batchSize, epochs: trained.epochs, bestEpoch: trained.bestEpoch, seed: request.seed, history },
        state: trained.head.toJSON(),
      });
      await job.progress(1, `trained ${trained.epochs} epochs (best ${trained.bestEpoch})`, {
        epoch: trained.epochs,
        bestEpoch: trained.bestEpoch,
        trainLoss: best.trainLoss,
        ...(best.validationLoss !== null ? { validationLoss: best.validationLoss } : {}),
        ...(best.validationAccuracy !== null ? { validationAccuracy: best.validationAccuracy } : {}),
      });
      return {
        head: { name: saved.name, version: saved.version },
        model: modelRef,
        pairs: { train: train.length, validation: validation.length },
        epochs: trained.epochs,
        bestEpoch: trained.bestEpoch,
        trainLoss: best.trainLoss,
        validationLoss: best.validationLoss,
        validationAccuracy: best.validationAccuracy,
      };
    });
  }
}
