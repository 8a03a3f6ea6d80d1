import { z } from 'zod/v4';
import { ClientKeySchema, FiniteNumber, JobAcceptedSchema, JobIdSchema, ModelRefSchema, ObjectKeySchema } from './common';
import { defineService, jobStatusSchema } from './contract';
import { SERVICE_PORT_OFFSETS } from './services';

export const GuideTrainRequestSchema = z
  .object({
    data: ObjectKeySchema.meta({
      description: 'Object key of in-domain responses: JSONL (field `text`, `response` or `answer`) or plain text (one example per blank-line-separated paragraph).',
    }),
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/),
    tokenizer: z
      .union([z.literal('train'), ModelRefSchema])
      .default('train')
      .meta({ description: '"train" trains a byte-level BPE tokenizer on the data; a model ref reuses that model\'s tokenizer (e.g. L\'s), so the certifier can feed L\'s token ids straight to G.' }),
    vocabSize: z.number().int().min(300).max(65_536).default(2048),
    baseModel: ModelRefSchema.optional().meta({
      description: 'Fine-tune this guide (its weights.bin) instead of training from scratch; its tokenizer and architecture are kept, so tokenizer/layers/heads/dim/context are ignored.',
    }),
    layers: z.number().int().min(1).max(12).default(2),
    heads: z.number().int().min(1).max(16).default(4),
    dim: z.number().int().min(16).max(768).default(128),
    context: z.number().int().min(16).max(1024).default(128),
    steps: z.number().int().min(1).max(200_000).default(1500),
    batchSize: z.number().int().min(1).max(256).default(32),
    learningRate: FiniteNumber.gt(0).max(1).default(3e-3),
    dropout: FiniteNumber.min(0).max(0.5).default(0),
    validationFraction: FiniteNumber.min(0.01).max(0.5).default(0.1),
    evalEvery: z.number().int().min(1).max(100_000).default(100).meta({ description: 'Validate every this many steps.' }),
    earlyStoppingPatience: z.number().int().min(0).max(1000).default(5).meta({ description: 'Validations without improvement before stopping; 0 never stops early.' }),
    progressEvery: z.number().int().min(1).max(10_000).default(10).meta({ description: 'Progress event every this many steps.' }),
    checkpointEvery: z.number().int().min(1).max(100_000).default(200).meta({ description: 'Durable checkpoint (object store) every this many steps.' }),
    maxExamples: z.number().int().min(2).max(1_000_000).default(200_000),
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(23633),
    clientKey: ClientKeySchema,
  })
  .refine((r) => r.dim % r.heads === 0, { message: 'heads must divide dim', path: ['heads'] })
  .meta({ id: 'GuideTrainRequest' });
export type GuideTrainRequest = z.infer<typeof GuideTrainRequestSchema>;

/** Metrics of a guide-training progress event (job.progress metrics). */
export const GuideTrainProgressMetricsSchema = z.object({
  step: z.number().int(),
  steps: z.number().int(),
  loss: z.number(),
  valLoss: z.number().optional(),
  tokensPerSec: z.number(),
  etaSec: z.number(),
});
export type GuideTrainProgressMetrics = z.infer<typeof GuideTrainProgressMetricsSchema>;

export const GuideTrainResultSchema = z
  .object({
    model: z.string(),
    version: z.string(),
    report: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'GuideTrainResult' });
export type GuideTrainResult = z.infer<typeof GuideTrainResultSchema>;

export const GuideTrainJobStatusSchema = jobStatusSchema(GuideTrainResultSchema, 'GuideTrainJobStatus', 'A guide-training job; progress metrics are {step, steps, loss, valLoss, tokensPerSec, etaSec}.');

export const GUIDE_TRAINING_CONTRACT = defineService({
  service: 'guide-training',
  description: 'Durable training jobs of guide models G.',
  portOffset: SERVICE_PORT_OFFSETS['guide-training'],
  subjects: {
    'assay.guide-training.train': { request: GuideTrainRequestSchema, reply: JobAcceptedSchema, summary: 'Queue guide training' },
  },
  queues: {
    'guide-training.train': { payload: GuideTrainRequestSchema, result: GuideTrainResultSchema, summary: 'Train a guide G on in-domain responses and register it' },
  },
  routes: {
    submitGuideTraining: {
      method: 'post',
      path: '/v1/guides',
      status: 202,
      summary: 'Queue the training of a guide G on in-domain responses (a durable job)',
      body: GuideTrainRequestSchema,
      response: JobAcceptedSchema,
    },
    getGuideTrainingJob: {
      method: 'get',
      path: '/v1/guides/jobs/{id}',
      summary: 'Status, progress ({step, loss, valLoss, tokensPerSec, etaSec}) and result of a guide-training job',
      params: { id: JobIdSchema },
      response: GuideTrainJobStatusSchema,
    },
  },
});
