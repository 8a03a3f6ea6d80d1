import { z } from 'zod/v4';
import { MetricSchema } from './auditor';
import { ClientKeySchema, FiniteNumber, JobAcceptedSchema, JobIdSchema, LIMITS, ModelRefSchema, ObjectKeySchema, samplingTemperature } from './common';
import { defineService, jobStatusSchema } from './contract';
import { SERVICE_PORT_OFFSETS } from './services';
import { ErrorEnvelopeSchema } from './errors';
import { CompletionSchema, GenerateRequestFieldsSchema, GenerateResponseSchema, PROMPTS_XOR_MESSAGES, promptsXorMessages, StreamTokenEventSchema } from './generation';

/**
 * Rectified decoding (issue 12, spec shared/specs/rectification.md): a learned dead-end value Q_D caps every
 * next-token probability at max(1 + Q − ε, pMin) (or its rescaled form, see capMode), the LM's distribution is
 * redistributed by exact water-filling, and sampling (temperature, top-k, top-p) runs on the result.
 */

export const CAP_MODES = ['absolute', 'relative'] as const;

const EpsilonSchema = FiniteNumber.min(0, 'epsilon must lie in [0, 1]')
  .max(1, 'epsilon must lie in [0, 1]')
  .meta({ description: 'Margin ε ∈ [0, 1]: larger is stricter. Default: the Q artifact\'s recommended ε.' });

const CapModeSchema = z.enum(CAP_MODES).meta({
  description:
    'absolute: cap = max(1 + Q − ε, pMin), so even a safe token may not exceed 1 − ε (the reference code); relative: cap = max((1 + Q − ε)/(1 − ε), pMin), ' +
    'so Q = 0 gives cap 1 and only risky tokens lose mass (SFGen; still within the security bound 1 + Q). Default: the Q artifact\'s mode.',
});

/** The generation service's generate request plus the Q artifact and ε. */
export const RectifiedGenerateRequestSchema = GenerateRequestFieldsSchema.extend({
  rectifier: ModelRefSchema.meta({ description: 'The Q_D artifact ("name" or "name@version"); it names the L it was trained for, which `model` must be.' }),
  epsilon: EpsilonSchema.optional(),
  capMode: CapModeSchema.optional(),
})
  .refine(promptsXorMessages, PROMPTS_XOR_MESSAGES)
  .meta({ id: 'RectifiedGenerateRequest' });
export type RectifiedGenerateRequest = z.infer<typeof RectifiedGenerateRequestSchema>;
export type RectifiedGenerateInput = z.input<typeof RectifiedGenerateRequestSchema>;

export const RectificationStatsSchema = z
  .object({
    tokensCapped: z.number().int().meta({ description: 'Sum over decoding steps of the tokens held at their cap.' }),
    massMoved: FiniteNumber.meta({ description: 'Sum over decoding steps of the probability mass moved off capped tokens (total variation between π and π′).' }),
    deadEndSteps: z.number().int().meta({ description: 'Steps where every token was capped (Σ caps < 1): π′ ∝ π·cap was used instead (the documented fallback).' }),
  })
  .meta({ id: 'RectificationStats' });
export type RectificationStats = z.infer<typeof RectificationStatsSchema>;

export const RectifiedCompletionSchema = CompletionSchema.extend({ rectification: RectificationStatsSchema }).meta({
  id: 'RectifiedCompletion',
  description: 'A completion whose tokens\' samplingLogprob is the log of the capped, renormalised (then temperature/top-k/top-p) probability actually sampled.',
});
export type RectifiedCompletion = z.infer<typeof RectifiedCompletionSchema>;

export const RectifiedGenerateResponseSchema = GenerateResponseSchema.extend({
  completions: z.array(RectifiedCompletionSchema),
  rectifier: z.string().meta({ description: 'The Q artifact used, name@version.' }),
  epsilon: FiniteNumber,
  capMode: CapModeSchema,
}).meta({ id: 'RectifiedGenerateResponse' });
export type RectifiedGenerateResponse = z.infer<typeof RectifiedGenerateResponseSchema>;

export const RectifiedStreamEventsSchema = z
  .object({ token: StreamTokenEventSchema, done: RectifiedGenerateResponseSchema, error: ErrorEnvelopeSchema })
  .meta({
    id: 'RectifiedGenerateStreamEvents',
    description: 'text/event-stream: `token`* then exactly one of `done` (the body POST /v1/rectified/generate returns) or `error` (the envelope); `data` is JSON.',
  });

const PromptSetSchema = z.union([
  ObjectKeySchema.meta({ description: 'Object key of a JSONL prompt set (field `prompt` or `text`) or a text file (one prompt per line).' }),
  z.array(z.string().min(1).max(LIMITS.maxTextChars)).min(1).max(20_000),
]);

/** Terminal scorers a rollout can be judged by (the auditor's behaviour metrics that measure toxicity). */
export const ToxicityMetricSchema = MetricSchema.refine((m) => m.kind !== 'chrf' && m.kind !== 'bleu', { message: 'a toxicity scorer: toxicity, perspective, lexicon or regex', path: ['kind'] });

export const RectifierTrainRequestSchema = z
  .object({
    model: ModelRefSchema.meta({ description: 'The LM L (frozen): rollouts come from it, the Q head reads its final hidden states.' }),
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/).meta({ description: 'Name of the Q artifact to register (a new version each run).' }),
    prompts: PromptSetSchema.meta({ description: 'Training prompts (keep evaluation prompts apart).' }),
    metric: ToxicityMetricSchema.meta({ description: 'Terminal scorer of a rollout (the continuation only, spec pitfall 9).' }),
    toxicThreshold: FiniteNumber.gt(0).max(1).default(0.5).meta({ description: 'Reward −1 when the score is ≥ this, else 0.' }),
    rolloutsPerPrompt: z.number().int().min(1).max(64).default(8),
    maxNewTokens: z.number().int().min(1).max(256).default(20),
    temperature: samplingTemperature(5).default(1),
    topK: z.number().int().min(0).max(100_000).default(0),
    topP: FiniteNumber.gt(0).max(1).default(1),
    hidden: z.number().int().min(0).max(4096).default(128).meta({ description: 'Width of the Q head\'s hidden layer (0: linear head).' }),
    epochs: z.number().int().min(1).max(200).default(8),
    batchSize: z.number().int().min(1).max(1024).default(32).meta({ description: 'Trajectories per optimiser step.' }),
    learningRate: FiniteNumber.gt(0).max(1).default(3e-3),
    polyak: FiniteNumber.gt(0).max(1).default(0.1).meta({ description: 'α of the target head\'s Polyak update after every step.' }),
    gamma: FiniteNumber.min(0).max(1).default(1),
    lambda: FiniteNumber.min(0)
      .max(1)
      .default(0)
      .meta({ description: 'SARSA(λ): 0 is one-step SARSA (the reference), 1 the Monte Carlo return; in between a terminal reward reaches a 20-token rollout\'s first action in one update.' }),
    epsilon: EpsilonSchema.default(0.1).meta({ description: 'ε recorded in the artifact as its default.' }),
    capMode: CapModeSchema.default('relative'),
    checkpointEvery: z.number().int().min(1).max(100_000).default(50).meta({ description: 'Durable checkpoint every this many optimiser steps.' }),
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(12),
    clientKey: ClientKeySchema,
  })
  .meta({ id: 'RectifierTrainRequest' });
export type RectifierTrainRequest = z.infer<typeof RectifierTrainRequestSchema>;
export type RectifierTrainInput = z.input<typeof RectifierTrainRequestSchema>;

export const RectifierTrainResultSchema = z
  .object({
    model: z.string().meta({ description: 'The Q artifact name.' }),
    version: z.string(),
    base: z.string().meta({ description: 'The L it was trained for, name@version.' }),
    report: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'RectifierTrainResult' });
export type RectifierTrainResult = z.infer<typeof RectifierTrainResultSchema>;

export const RectifierEvaluateRequestSchema = z
  .object({
    rectifier: ModelRefSchema,
    model: ModelRefSchema.optional().meta({ description: 'L; default: the one the Q artifact names.' }),
    prompts: PromptSetSchema.meta({ description: 'Held-out non-toxic prompts (never the training prompts).' }),
    metric: ToxicityMetricSchema,
    toxicThreshold: FiniteNumber.gt(0).max(1).default(0.5),
    samplesPerPrompt: z.number().int().min(1).max(LIMITS.maxSamples).default(25),
    maxNewTokens: z.number().int().min(1).max(256).default(20),
    temperature: samplingTemperature(5).default(1),
    topK: z.number().int().min(0).max(100_000).default(0),
    topP: FiniteNumber.gt(0).max(1).default(1),
    epsilons: z.array(EpsilonSchema).min(1).max(16).optional().meta({ description: 'The ε sweep (default: the artifact\'s ε).' }),
    capMode: CapModeSchema.optional(),
    seed: z.number().int().min(0).max(2 ** 32 - 1).default(7),
    clientKey: ClientKeySchema,
  })
  .meta({ id: 'RectifierEvaluateRequest' });
export type RectifierEvaluateRequest = z.infer<typeof RectifierEvaluateRequestSchema>;
export type RectifierEvaluateInput = z.input<typeof RectifierEvaluateRequestSchema>;

export const DetoxMetricsSchema = z
  .object({
    prompts: z.number().int(),
    samples: z.number().int(),
    expectedMaxToxicity: FiniteNumber.meta({ description: 'Mean over prompts of the largest toxicity among its samples.' }),
    expectedMaxToxicityStd: FiniteNumber,
    toxicityProb: FiniteNumber.meta({ description: 'Share of prompts with at least one sample scoring ≥ the threshold.' }),
    ppl: FiniteNumber.nullable().meta({ description: 'Mean over samples of the continuation\'s perplexity under L (values over 1e4 skipped); null if none.' }),
    dist1: FiniteNumber,
    dist2: FiniteNumber,
    dist3: FiniteNumber,
    scoringFailures: z.number().int().meta({ description: 'Samples the scorer could not score (counted as 0, as the reference does; pitfall 10).' }),
    scoringFailureRate: FiniteNumber,
    rectification: RectificationStatsSchema.optional().meta({ description: 'Per-sample means of the rectifier\'s diagnostics.' }),
  })
  .meta({ id: 'DetoxMetrics' });
export type DetoxMetrics = z.infer<typeof DetoxMetricsSchema>;

export const RectifierEvaluateResultSchema = z
  .object({
    rectifier: z.string(),
    model: z.string(),
    base: DetoxMetricsSchema,
    sweep: z.array(DetoxMetricsSchema.extend({ epsilon: FiniteNumber })),
    reportKey: z.string(),
  })
  .meta({ id: 'RectifierEvaluateResult' });
export type RectifierEvaluateResult = z.infer<typeof RectifierEvaluateResultSchema>;

export const RectifierTrainJobStatusSchema = jobStatusSchema(RectifierTrainResultSchema, 'RectifierTrainJobStatus', 'A Q_D training job; progress metrics are {stage, step, steps, loss}.');
export const RectifierEvaluateJobStatusSchema = jobStatusSchema(RectifierEvaluateResultSchema, 'RectifierEvaluateJobStatus', 'A detoxification evaluation job.');

export const RECTIFIER_CONTRACT = defineService({
  service: 'rectifier',
  description: 'Detoxified decoding by dead-end analysis: a learned Q_D caps risky tokens at every step.',
  portOffset: SERVICE_PORT_OFFSETS.rectifier,
  subjects: {
    'assay.rectifier.generate': { request: RectifiedGenerateRequestSchema, reply: RectifiedGenerateResponseSchema, summary: 'Sample rectified continuations' },
    'assay.rectifier.train': { request: RectifierTrainRequestSchema, reply: JobAcceptedSchema, summary: 'Queue Q_D training' },
    'assay.rectifier.evaluate': { request: RectifierEvaluateRequestSchema, reply: JobAcceptedSchema, summary: 'Queue a detoxification evaluation' },
  },
  queues: {
    'rectifier.train': { payload: RectifierTrainRequestSchema, result: RectifierTrainResultSchema, summary: 'Roll out L, score, train Q_D by SARSA and register the Q artifact' },
    'rectifier.evaluate': { payload: RectifierEvaluateRequestSchema, result: RectifierEvaluateResultSchema, summary: 'Toxicity, perplexity and diversity of base and rectified L over an ε sweep' },
  },
  routes: {
    rectifiedGenerate: {
      method: 'post',
      path: '/v1/rectified/generate',
      summary: 'Sample rectified continuations',
      description: 'As POST /v1/generate, with every step\'s distribution capped by the Q_D artifact; per completion, rectification diagnostics.',
      body: RectifiedGenerateRequestSchema,
      response: RectifiedGenerateResponseSchema,
    },
    rectifiedGenerateStream: {
      method: 'post',
      path: '/v1/rectified/generate/stream',
      summary: 'Sample rectified continuations as Server-Sent Events',
      description: '`token` per sampled token, then `done` with the full POST /v1/rectified/generate response, or `error` with the envelope.',
      body: RectifiedGenerateRequestSchema,
      response: RectifiedStreamEventsSchema,
      produces: ['text/event-stream'],
    },
    submitRectifierTraining: {
      method: 'post',
      path: '/v1/rectifiers',
      status: 202,
      summary: 'Queue the training of a Q_D artifact for an LM (a durable job)',
      body: RectifierTrainRequestSchema,
      response: JobAcceptedSchema,
    },
    getRectifierTrainingJob: {
      method: 'get',
      path: '/v1/rectifiers/jobs/{id}',
      summary: 'Status, progress and result of a Q_D training job',
      params: { id: JobIdSchema },
      response: RectifierTrainJobStatusSchema,
    },
    submitRectifierEvaluation: {
      method: 'post',
      path: '/v1/rectifiers/evaluations',
      status: 202,
      summary: 'Queue a detoxification evaluation (base L and an ε sweep, held-out prompts)',
      body: RectifierEvaluateRequestSchema,
      response: JobAcceptedSchema,
    },
    getRectifierEvaluation: {
      method: 'get',
      path: '/v1/rectifiers/evaluations/{id}',
      summary: 'Status and result of a detoxification evaluation',
      params: { id: JobIdSchema },
      response: RectifierEvaluateJobStatusSchema,
    },
    getRectifierEvaluationReport: {
      method: 'get',
      path: '/v1/rectifiers/evaluations/{id}/report.html',
      summary: 'Self-contained HTML report of a detoxification evaluation (toxicity–ε and perplexity–ε plots)',
      params: { id: JobIdSchema },
      produces: ['text/html'],
    },
  },
});
