import { z } from 'zod/v4';
import { ClientKeySchema, FiniteNumber, JobAcceptedSchema, JobIdSchema, LIMITS, ModelRefSchema, ObjectKeySchema } from './common';
import { defineService, jobStatusSchema } from './contract';
import { SERVICE_PORT_OFFSETS } from './services';
import { ChatMessageSchema, SamplingSchema } from './generation';

/**
 * The reward-head service (issue 11, spec shared/specs/dph.md): Direct Preference Heads read L's final-norm hidden
 * state at the assistant's last end-of-turn token and return one scalar per candidate answer. Subjects are
 * `assay.reward.*`; the service is `reward-head`.
 */

/** Most candidates one score/rerank request may carry, and most samples of a best-of-n request. */
export const REWARD_LIMITS = { maxCandidates: 64, maxN: 64 } as const;

export const RewardHeadRefSchema = ModelRefSchema.meta({
  description: 'A trained reward head: "name" (latest version) or "name@version". Heads are versioned artifacts of the model registry and name the L they read.',
  example: 'hh-harmless@latest',
});

const ConversationSchema = z.array(ChatMessageSchema).min(1).max(LIMITS.maxBatch);

/** What every reward request shares: the head, the optional L check, and the conversation before the answer. */
const RewardContextShape = {
  head: RewardHeadRefSchema,
  model: ModelRefSchema.optional().meta({
    description: 'The L the caller expects ("name" or "name@version"); BAD_REQUEST when the head was trained on another one. Default: the head\'s own L.',
  }),
  prompt: z.string().min(1).max(LIMITS.maxTextChars).optional().meta({ description: 'A user message (the conversation is [{role: user, content: prompt}]). Give prompt or messages.' }),
  messages: ConversationSchema.optional().meta({
    description: 'The conversation before the answer; its last turn must not be the assistant\'s (each candidate becomes the assistant\'s reply).',
  }),
};

const exactlyOneContext = (r: { prompt?: string; messages?: unknown }) => (r.prompt !== undefined) !== (r.messages !== undefined);
const contextMessage = { message: 'give exactly one of prompt or messages', path: ['prompt'] };

export const RewardScoreRequestSchema = z
  .object({
    ...RewardContextShape,
    candidates: z
      .array(z.string().max(LIMITS.maxTextChars))
      .min(1, 'give at least one candidate')
      .max(REWARD_LIMITS.maxCandidates)
      .meta({ description: 'Assistant answers to score. A trailing end-of-turn token is optional: the reward is the same with or without it.' }),
  })
  .refine(exactlyOneContext, contextMessage)
  .meta({ id: 'RewardScoreRequest' });
export type RewardScoreRequest = z.infer<typeof RewardScoreRequestSchema>;
export type RewardScoreInput = z.input<typeof RewardScoreRequestSchema>;

export const RewardHeadIdSchema = z.object({ name: z.string(), version: z.string() }).meta({ id: 'RewardHeadId' });

export const RewardScoreResponseSchema = z
  .object({
    head: RewardHeadIdSchema,
    model: z.string().meta({ description: 'The L whose hidden states were read, "name@version".' }),
    rewards: z.array(FiniteNumber).meta({ description: 'One reward per candidate, in the order of the request (one batched forward pass).' }),
  })
  .meta({ id: 'RewardScoreResponse' });
export type RewardScoreResponse = z.infer<typeof RewardScoreResponseSchema>;

export const RankedCandidateSchema = z
  .object({ index: z.number().int().meta({ description: 'Position in the request\'s candidates.' }), candidate: z.string(), reward: FiniteNumber })
  .meta({ id: 'RankedCandidate' });

export const RewardRerankResponseSchema = z
  .object({
    head: RewardHeadIdSchema,
    model: z.string(),
    ranked: z.array(RankedCandidateSchema).meta({ description: 'Candidates by decreasing reward (ties keep the request order).' }),
  })
  .meta({ id: 'RewardRerankResponse' });
export type RewardRerankResponse = z.infer<typeof RewardRerankResponseSchema>;

export const BestOfNRequestSchema = z
  .object({
    ...RewardContextShape,
    n: z.number().int().min(1).max(REWARD_LIMITS.maxN).default(8).meta({ description: 'Samples drawn from L by the generation service, in one batch.' }),
    minReward: FiniteNumber.optional().meta({
      description:
        'Separable heads only (their rewards are anchored at ±log((1−ε)/ε)): when the best reward is below this, no candidate is chosen ("no acceptable candidate"). BAD_REQUEST for a contrastive head.',
    }),
  })
  .extend(SamplingSchema.shape)
  .refine(exactlyOneContext, contextMessage)
  .meta({ id: 'BestOfNRequest' });
export type BestOfNRequest = z.infer<typeof BestOfNRequestSchema>;
export type BestOfNInput = z.input<typeof BestOfNRequestSchema>;

export const BestOfNSampleSchema = z
  .object({ text: z.string(), reward: FiniteNumber, finishReason: z.enum(['eos', 'stop', 'length']) })
  .meta({ id: 'BestOfNSample' });

export const BestOfNResponseSchema = z
  .object({
    head: RewardHeadIdSchema,
    model: z.string(),
    samples: z.array(BestOfNSampleSchema).meta({ description: 'The n samples in generation order, with their rewards.' }),
    chosen: z.number().int().nullable().meta({ description: 'Index of the sample with the highest reward (the first on a tie); null when none reaches minReward.' }),
    text: z.string().nullable().meta({ description: 'The chosen sample\'s text; null when none is acceptable.' }),
    reward: FiniteNumber.nullable(),
    outcome: z.enum(['chosen', 'no-acceptable-candidate']),
    seed: z.number().int().optional().meta({ description: 'The sampling seed the generation service used.' }),
    rescored: z
      .number()
      .int()
      .optional()
      .meta({
        description:
          'Samples whose reward needed a scoring pass of their own: the others read the end-of-turn state the generation service returned with the sample, computed over exactly the tokens ' +
          'that scoring the text would feed; a sample whose text does not re-tokenise to its sampled tokens (a stop string cut it, a skipped special token, another tokenisation) is scored from its text.',
      }),
  })
  .meta({ id: 'BestOfNResponse' });
export type BestOfNResponse = z.infer<typeof BestOfNResponseSchema>;

export const REWARD_POOLERS = ['identity', 'dense-tanh'] as const;
export const REWARD_LOSSES = ['separable', 'contrastive'] as const;

export const RewardTrainRequestSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/).meta({ description: 'Registry name of the head.' }),
    model: ModelRefSchema.meta({ description: 'The frozen backbone L whose end-of-turn states the head reads (resolved to a version once).' }),
    data: ObjectKeySchema.meta({
      description:
        'JSONL preference pairs {prompt | messages, chosen, rejected} (`assay reward train --builtin …` uploads the built-in sets: hh_rlhf_harmless_test, multiple-choice sets as pairs, toxicity sets as pairs).',
    }),
    validation: ObjectKeySchema.optional().meta({ description: 'JSONL pairs for validation and early stopping; default: validationFraction of data, split off by a seeded shuffle.' }),
    pooler: z.enum(REWARD_POOLERS).default('identity'),
    loss: z.enum(REWARD_LOSSES).default('separable'),
    epsilon: FiniteNumber.min(0).max(0.49).default(0.1).meta({ description: 'Label smoothing ε (spec §2; 0 is the plain logistic loss).' }),
    learningRate: FiniteNumber.gt(0).max(1).default(1e-2),
    weightDecay: FiniteNumber.min(0).max(1).default(0.1),
    batchSize: z.number().int().min(1).max(1024).default(32),
    maxEpochs: z.number().int().min(1).max(10_000).default(200),
    patience: z.number().int().min(0).max(1000).default(10).meta({ description: 'Epochs without a better validation loss before stopping; 0 never stops early.' }),
    validationFraction: FiniteNumber.min(0).max(0.5).default(0.2),
    maxPairs: z.number().int().min(1).max(200_000).default(20_000),
    batchPairs: z.number().int().min(1).max(256).default(16).meta({ description: 'Pairs per feature-extraction batch (and per checkpoint).' }),
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(0),
    clientKey: ClientKeySchema,
  })
  .meta({ id: 'RewardTrainRequest' });
export type RewardTrainRequest = z.infer<typeof RewardTrainRequestSchema>;
export type RewardTrainInput = z.input<typeof RewardTrainRequestSchema>;

export const RewardTrainResultSchema = z
  .object({
    head: RewardHeadIdSchema,
    model: z.string().meta({ description: 'The L the head reads, "name@version".' }),
    pairs: z.object({ train: z.number().int(), validation: z.number().int() }),
    epochs: z.number().int(),
    bestEpoch: z.number().int(),
    trainLoss: FiniteNumber,
    validationLoss: FiniteNumber.nullable(),
    validationAccuracy: FiniteNumber.nullable(),
  })
  .meta({ id: 'RewardTrainResult' });
export type RewardTrainResult = z.infer<typeof RewardTrainResultSchema>;

export const RewardEvalRequestSchema = z
  .object({
    head: RewardHeadRefSchema,
    pairs: ObjectKeySchema.optional().meta({ description: 'Held-out JSONL pairs {prompt | messages, chosen, rejected}: pairwise accuracy with a 95% Wilson interval and the reward distributions.' }),
    multipleChoice: ObjectKeySchema.optional().meta({
      description: 'Held-out JSONL {prompt | messages, choices[], label}: accuracy of DPH (argmax reward) against the log baseline (argmax mean log-probability of the answer).',
    }),
    bestOfN: z
      .object({
        prompts: ObjectKeySchema.meta({ description: 'JSONL {prompt} or text (one prompt per line), not used in training.' }),
        ns: z.array(z.number().int().min(1).max(REWARD_LIMITS.maxN)).min(1).max(8).default([1, 2, 4, 8]),
        classifier: ModelRefSchema.default('assay-toxicity').meta({ description: 'Text classifier scoring the chosen samples (P(positive label), e.g. P(toxic)).' }),
        maxPrompts: z.number().int().min(1).max(10_000).default(100),
      })
      .extend(SamplingSchema.shape)
      .optional()
      .meta({ description: 'The best-of-n curve: max(ns) samples per prompt in one batch; for each n, the mean classifier score of the highest-reward sample of each disjoint block of n samples (independent best-of-n draws; n = 1 is the mean of plain samples), averaged over prompts.' }),
    maxItems: z.number().int().min(1).max(100_000).default(2000),
    clientKey: ClientKeySchema,
  })
  .refine((r) => r.pairs !== undefined || r.multipleChoice !== undefined || r.bestOfN !== undefined, { message: 'give pairs, multipleChoice or bestOfN', path: ['pairs'] })
  .meta({ id: 'RewardEvalRequest' });
export type RewardEvalRequest = z.infer<typeof RewardEvalRequestSchema>;
export type RewardEvalInput = z.input<typeof RewardEvalRequestSchema>;

const IntervalSchema = z.object({ estimate: FiniteNumber, low: FiniteNumber, high: FiniteNumber, n: z.number().int() });

export const RewardEvalResultSchema = z
  .object({
    head: RewardHeadIdSchema,
    model: z.string(),
    pairwise: IntervalSchema.extend({ meanChosen: FiniteNumber, meanRejected: FiniteNumber })
      .optional()
      .meta({ description: 'Share of held-out pairs with r(chosen) > r(rejected), 95% Wilson interval.' }),
    multipleChoice: z
      .object({ n: z.number().int(), dphAccuracy: FiniteNumber, logAccuracy: FiniteNumber, dph: IntervalSchema, log: IntervalSchema })
      .optional(),
    bestOfN: z.array(z.object({ n: z.number().int(), meanScore: FiniteNumber, prompts: z.number().int() })).optional().meta({ description: 'Mean classifier score of the chosen sample per n.' }),
    reportKey: z.string(),
    reportPath: z.string().meta({ description: 'GET this path on the reward-head service (with the API key) for the HTML report.' }),
  })
  .meta({ id: 'RewardEvalResult' });
export type RewardEvalResult = z.infer<typeof RewardEvalResultSchema>;

export const RewardTrainJobStatusSchema = jobStatusSchema(RewardTrainResultSchema, 'RewardTrainJobStatus', 'A reward-head training job; progress metrics are {batches, totalBatches} while states are cached, then {epoch, trainLoss, validationLoss}.');
export const RewardEvalJobStatusSchema = jobStatusSchema(RewardEvalResultSchema, 'RewardEvalJobStatus', 'A reward-head evaluation job.');

export const REWARD_HEAD_CONTRACT = defineService({
  service: 'reward-head',
  subjectPrefix: 'reward',
  description: 'Direct Preference Heads: rewards read from L\'s own end-of-turn state, for scoring, reranking and best-of-n.',
  portOffset: SERVICE_PORT_OFFSETS['reward-head'],
  subjects: {
    'assay.reward.score': { request: RewardScoreRequestSchema, reply: RewardScoreResponseSchema, summary: 'Rewards of candidate answers (one batched pass)' },
    'assay.reward.rerank': { request: RewardScoreRequestSchema, reply: RewardRerankResponseSchema, summary: 'Candidates sorted by reward' },
    'assay.reward.best_of_n': { request: BestOfNRequestSchema, reply: BestOfNResponseSchema, summary: 'Sample n answers, return the one with the highest reward' },
    'assay.reward.train': { request: RewardTrainRequestSchema, reply: JobAcceptedSchema, summary: 'Queue the training of a reward head' },
    'assay.reward.evaluate': { request: RewardEvalRequestSchema, reply: JobAcceptedSchema, summary: 'Queue the evaluation of a reward head' },
  },
  queues: {
    'reward-head.train': { payload: RewardTrainRequestSchema, result: RewardTrainResultSchema, summary: 'Train a reward head on a frozen L from cached end-of-turn states and register it' },
    'reward-head.evaluate': { payload: RewardEvalRequestSchema, result: RewardEvalResultSchema, summary: 'Held-out pairwise accuracy, DPH vs log-likelihood multiple choice, best-of-n curve; HTML report' },
  },
  routes: {
    scoreRewards: { method: 'post', path: '/v1/rewards', summary: 'Rewards of candidate answers to one conversation', body: RewardScoreRequestSchema, response: RewardScoreResponseSchema },
    rerankCandidates: { method: 'post', path: '/v1/rewards/rerank', summary: 'Candidates sorted by decreasing reward', body: RewardScoreRequestSchema, response: RewardRerankResponseSchema },
    bestOfN: {
      method: 'post',
      path: '/v1/rewards/best-of-n',
      summary: 'Sample n answers from L in one batch and return the one with the highest reward',
      body: BestOfNRequestSchema,
      response: BestOfNResponseSchema,
    },
    submitRewardTraining: {
      method: 'post',
      path: '/v1/reward-heads',
      status: 202,
      summary: 'Queue the training of a reward head (a durable job; result: RewardTrainResult)',
      body: RewardTrainRequestSchema,
      response: JobAcceptedSchema,
    },
    getRewardTraining: {
      method: 'get',
      path: '/v1/reward-heads/jobs/{id}',
      summary: 'Status, progress and result of a reward-head training job',
      params: { id: JobIdSchema },
      response: RewardTrainJobStatusSchema,
    },
    submitRewardEvaluation: {
      method: 'post',
      path: '/v1/reward-evaluations',
      status: 202,
      summary: 'Queue the evaluation of a reward head (a durable job; result: RewardEvalResult)',
      body: RewardEvalRequestSchema,
      response: JobAcceptedSchema,
    },
    getRewardEvaluation: {
      method: 'get',
      path: '/v1/reward-evaluations/{id}',
      summary: 'Status, progress and result of a reward-head evaluation job',
      params: { id: JobIdSchema },
      response: RewardEvalJobStatusSchema,
    },
    getRewardReportFile: {
      method: 'get',
      path: '/v1/reward-evaluations/{jobId}/{file}',
      summary: 'A file of an evaluation report (index.html, report.json, *.svg)',
      params: { jobId: z.string().meta({ description: 'The evaluation job id.' }), file: z.string().meta({ description: 'index.html, report.json or a figure (*.svg).' }) },
      produces: ['text/html', 'image/svg+xml', 'application/json'],
    },
  },
});
