import { z } from 'zod/v4';
import { ClientKeySchema, FiniteNumber, LIMITS, ModelRefSchema, ObjectKeySchema } from './common';

export const REFUSAL_TEXT = 'I cannot answer this request: it falls outside the domain this assistant is certified for.';

export const CertifyRequestSchema = z
  .object({
    model: ModelRefSchema.meta({ description: 'The large model L.' }),
    guide: ModelRefSchema.meta({ description: 'The guide model G, trained only on in-domain responses.' }),
    prompt: z.string().min(1, 'prompt must not be empty').max(LIMITS.maxTextChars),
    k: FiniteNumber.min(-64).max(64).meta({ description: 'Allowed log2-likelihood ratio per token (bits/token).' }),
    T: z.number().int().min(1).max(64).default(4).meta({ description: 'Maximum number of draws before abstaining.' }),
    mode: z.enum(['batched', 'sequential']).default('batched'),
    maxNewTokens: z.number().int().min(1).max(LIMITS.maxNewTokens).default(64),
    temperature: FiniteNumber.gt(0).max(10).default(1),
    topK: z.number().int().min(0).default(0),
    seed: z.number().int().min(0).max(2 ** 32 - 1).optional(),
  })
  .meta({ id: 'CertifyRequest' });
export type CertifyRequest = z.infer<typeof CertifyRequestSchema>;

export const AttemptSchema = z.object({
  index: z.number().int(),
  nTokens: z.number().int(),
  log2L: z.number(),
  log2G: z.number(),
  log2Ratio: z.number(),
  normalizedLog2Ratio: z.number(),
  accepted: z.boolean(),
  finishReason: z.string(),
});
export type Attempt = z.infer<typeof AttemptSchema>;

export const CertificateSchema = z.object({
  log2Epsilon: z.number(),
  epsilon: z.number(),
  nTokens: z.number().int(),
  log2L: z.number(),
  log2G: z.number(),
  k: z.number(),
  T: z.number().int(),
  perTokenLog2Ratio: z.array(z.number()),
  tokenizersMatch: z.boolean(),
});
export type Certificate = z.infer<typeof CertificateSchema>;

export const CertifyResponseSchema = z
  .object({
    status: z.enum(['accepted', 'abstained']),
    text: z.string(),
    certificate: CertificateSchema.optional(),
    attempts: z.array(AttemptSchema),
    model: z.string(),
    guide: z.string(),
  })
  .meta({ id: 'CertifyResponse' });
export type CertifyResponse = z.infer<typeof CertifyResponseSchema>;

const ResponseSetSchema = z
  .object({
    key: ObjectKeySchema.meta({ description: 'JSONL with `response` (or `text`) and optional `prompt`; or plain text, one item per line.' }),
    kind: z.enum(['responses', 'prompts']).default('responses').meta({ description: 'prompts: L generates the responses first.' }),
  });

export const CertifyEvalRequestSchema = z
  .object({
    model: ModelRefSchema,
    guide: ModelRefSchema,
    inDomain: ResponseSetSchema,
    outOfDomain: ResponseSetSchema,
    targetFrr: FiniteNumber.min(0).max(1).default(0.1),
    targetEpsilonLog2: FiniteNumber.optional(),
    T: z.number().int().min(1).max(64).default(1),
    minTokens: z.number().int().min(1).default(1),
    maxItems: z.number().int().min(1).max(100_000).default(2000),
    clientKey: ClientKeySchema,
  })
  .meta({ id: 'CertifyEvalRequest' });
export type CertifyEvalRequest = z.infer<typeof CertifyEvalRequestSchema>;

export const CertifyEvalResultSchema = z
  .object({
    auroc: z.number(),
    k: z.number(),
    frr: z.number(),
    ood_rejection: z.number(),
    domain_certificate_log2: z.number(),
    youden: z.object({ k: z.number(), j: z.number() }),
    kForTargetEpsilon: z.number().nullable(),
    counts: z.object({ inDomain: z.number().int(), outOfDomain: z.number().int() }),
    reportKey: z.string(),
    reportUrl: z.string().optional(),
  })
  .meta({ id: 'CertifyEvalResult' });
export type CertifyEvalResult = z.infer<typeof CertifyEvalResultSchema>;
