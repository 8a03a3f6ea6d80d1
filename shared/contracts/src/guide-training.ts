import { z } from 'zod/v4';
import { ClientKeySchema, FiniteNumber, ModelRefSchema, ObjectKeySchema } from './common';

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

export const JobIdSchema = z.string().regex(/^[0-9a-f]{32}$/, 'a job id is 32 lowercase hex digits');

/** A durable job's record as the status routes return it (guide training, certifier evaluations). */
export const JobStatusResponseSchema = z
  .object({
    id: z.string(),
    queue: z.string(),
    status: z.enum(['queued', 'running', 'succeeded', 'failed', 'dead', 'cancelled']),
    attempts: z.number().int(),
    progress: z.object({ fraction: z.number(), message: z.string().optional(), metrics: z.record(z.string(), z.number()).optional() }),
    result: z.unknown().optional(),
    error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }).optional(),
    createdAt: z.string(),
    updatedAt: z.string(),
    startedAt: z.string().optional(),
    finishedAt: z.string().optional(),
  })
  .meta({ id: 'JobStatus' });
export type JobStatusResponse = z.infer<typeof JobStatusResponseSchema>;
