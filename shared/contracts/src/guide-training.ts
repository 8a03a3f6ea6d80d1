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
      .meta({ description: '"train" trains a byte-level BPE tokenizer on the data; a model ref reuses that model\'s tokenizer (e.g. L\'s).' }),
    vocabSize: z.number().int().min(300).max(65_536).default(2048),
    baseModel: ModelRefSchema.optional().meta({ description: 'Fine-tune this guide instead of training from scratch.' }),
    layers: z.number().int().min(1).max(12).default(2),
    heads: z.number().int().min(1).max(16).default(4),
    dim: z.number().int().min(16).max(768).default(128),
    context: z.number().int().min(16).max(1024).default(128),
    steps: z.number().int().min(1).max(200_000).default(1500),
    batchSize: z.number().int().min(1).max(256).default(32),
    learningRate: FiniteNumber.gt(0).max(1).default(3e-3),
    validationFraction: FiniteNumber.min(0.01).max(0.5).default(0.1),
    earlyStoppingPatience: z.number().int().min(0).max(1000).default(5),
    seed: z.number().int().min(0).default(23633),
    clientKey: ClientKeySchema,
  })
  .meta({ id: 'GuideTrainRequest' });
export type GuideTrainRequest = z.infer<typeof GuideTrainRequestSchema>;

export const GuideTrainResultSchema = z
  .object({
    model: z.string(),
    version: z.string(),
    report: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'GuideTrainResult' });
export type GuideTrainResult = z.infer<typeof GuideTrainResultSchema>;
