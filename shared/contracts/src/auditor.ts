import { z } from 'zod/v4';
import { ClientKeySchema, FiniteNumber, LIMITS, ModelRefSchema, ObjectKeySchema } from './common';

export const MetricSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('toxicity'), classifier: ModelRefSchema.default('assay-toxicity') }),
  z.object({ kind: z.literal('perspective') }),
  z.object({ kind: z.literal('chrf') }),
  z.object({ kind: z.literal('bleu') }),
  z.object({ kind: z.literal('lexicon'), words: z.array(z.string().min(1).max(64)).min(1).max(10_000) }),
  z.object({ kind: z.literal('regex'), pattern: z.string().min(1).max(1000), flags: z.string().regex(/^[imsu]*$/).default('i') }),
]);
export type Metric = z.infer<typeof MetricSchema>;

export const AuditStartRequestSchema = z
  .object({
    reference: ModelRefSchema,
    candidate: ModelRefSchema,
    prompts: z.union([
      ObjectKeySchema.meta({ description: 'Object key of a JSONL/text prompt set (field `prompt`, optional `reference` for chrF/BLEU).' }),
      z.array(z.string().min(1).max(LIMITS.maxTextChars)).min(1).max(5000),
    ]),
    metric: MetricSchema,
    epsilon: FiniteNumber.min(0).max(0.5).default(0),
    alpha: FiniteNumber.gt(0).max(0.5).default(0.05),
    budget: z.number().int().min(2).max(1_000_000).default(2000),
    batchSize: z.number().int().min(2).max(1000).default(50),
    test: z.enum(['witness', 'mean-difference']).default('witness'),
    maxNewTokens: z.number().int().min(1).max(512).default(32),
    temperature: FiniteNumber.gt(0).max(5).default(0.7),
    topP: FiniteNumber.gt(0).max(1).default(0.9),
    seeds: z.object({ reference: z.number().int().min(0), candidate: z.number().int().min(0) }).default({ reference: 1000, candidate: 2000 }),
    clientKey: ClientKeySchema,
  })
  .meta({ id: 'AuditStartRequest' });
export type AuditStartRequest = z.infer<typeof AuditStartRequestSchema>;

export const AuditGetRequestSchema = z.object({ id: z.string().min(1).max(128) });

export const AuditReportSchema = z
  .object({
    id: z.string(),
    status: z.string(),
    decision: z.enum(['shift-detected', 'no-shift-detected', 'pending']),
    samplesUsed: z.number().int(),
    samplesToDecision: z.number().int().nullable(),
    logWealth: z.array(z.object({ samples: z.number().int(), logWealth: z.number() })),
    threshold: z.number(),
    means: z.object({
      reference: z.object({ mean: z.number(), low: z.number(), high: z.number() }),
      candidate: z.object({ mean: z.number(), low: z.number(), high: z.number() }),
    }),
    plotUrl: z.string().optional(),
  })
  .meta({ id: 'AuditReport' });
export type AuditReport = z.infer<typeof AuditReportSchema>;
