import { z } from 'zod/v4';
import { LIMITS, ModelRefSchema, UsageSchema } from './common';
import { defineService } from './contract';
import { SERVICE_PORT_OFFSETS } from './services';

export const ScoreItemSchema = z
  .object({
    context: z.string().max(LIMITS.maxTextChars).default(''),
    continuation: z.string().max(LIMITS.maxTextChars).optional(),
    continuationIds: z.array(z.number().int().min(0)).max(LIMITS.maxNewTokens).optional(),
  })
  .refine((item) => (item.continuation !== undefined && item.continuation.length > 0) !== (item.continuationIds !== undefined), {
    message: 'give exactly one of a non-empty continuation or continuationIds',
  })
  .meta({ id: 'ScoreItem', description: 'A context and one continuation, as text or as token ids of the model\'s tokenizer.' });

export const ScoreRequestSchema = z
  .object({ model: ModelRefSchema, items: z.array(ScoreItemSchema).min(1).max(LIMITS.maxBatch) })
  .meta({
    id: 'ScoreRequest',
    description:
      'Log-probabilities of each continuation given its context. Context and continuation are tokenized separately and concatenated after BOS, so the boundary never merges tokens across them.',
  });
export type ScoreRequest = z.infer<typeof ScoreRequestSchema>;

export const ScoredTokenSchema = z.object({ id: z.number().int(), text: z.string(), logprob: z.number() });
export const ScoreResultSchema = z.object({
  tokens: z.array(ScoredTokenSchema),
  sumLogprob: z.number(),
  numTokens: z.number().int(),
}).meta({ id: 'ScoreResult' });
export type ScoreResult = z.infer<typeof ScoreResultSchema>;

export const ScoreResponseSchema = z
  .object({ model: z.string(), version: z.string(), results: z.array(ScoreResultSchema), usage: UsageSchema })
  .meta({ id: 'ScoreResponse' });
export type ScoreResponse = z.infer<typeof ScoreResponseSchema>;

export const LIKELIHOOD_CONTRACT = defineService({
  service: 'likelihood',
  description: 'Log-probabilities of continuations given contexts.',
  portOffset: SERVICE_PORT_OFFSETS.likelihood,
  subjects: {
    'assay.likelihood.score': { request: ScoreRequestSchema, reply: ScoreResponseSchema, summary: 'Score continuations' },
  },
  routes: {
    score: { method: 'post', path: '/v1/score', summary: 'Log-probability of each continuation token given its context', body: ScoreRequestSchema, response: ScoreResponseSchema },
  },
});
