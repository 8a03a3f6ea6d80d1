import { z } from 'zod/v4';
import { ClientKeySchema, FiniteNumber, JobAcceptedSchema, JobIdSchema, LIMITS, ModelRefSchema, ObjectKeySchema } from './common';
import { defineService, jobStatusSchema } from './contract';

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
}).meta({ id: 'CertifyAttempt' });
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
}).meta({ id: 'Certificate' });
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

export const ResponseSetSchema = z
  .object({
    key: ObjectKeySchema.meta({
      description: 'JSONL with `response` (or `text`, `answer`) and optional `prompt`; or plain text, one item per line (a response, or a prompt when kind is prompts).',
    }),
    kind: z.enum(['responses', 'prompts']).default('responses').meta({ description: 'prompts: L generates the responses first (generation service).' }),
  })
  .meta({ id: 'ResponseSet' });
export type ResponseSet = z.infer<typeof ResponseSetSchema>;

/** How items are cut and generated, shared by evaluations and benchmarks. */
const ItemScoringSchema = z.object({
  T: z.number().int().min(1).max(64).default(1).meta({ description: 'VALID rounds the certificate charges for (+log2 T).' }),
  minTokens: z.number().int().min(1).default(1).meta({ description: 'Items with fewer response tokens (N_y) are dropped (the notebook uses 10).' }),
  maxItems: z.number().int().min(1).max(100_000).default(2000).meta({ description: 'Per set.' }),
  maxResponseTokens: z.number().int().min(1).max(LIMITS.maxNewTokens).default(128).meta({ description: 'Responses are cut to this many of L\'s tokens (no EOS), and further if a model\'s context needs it.' }),
  maxNewTokens: z.number().int().min(1).max(LIMITS.maxNewTokens).default(64).meta({ description: 'Generation length for kind=prompts.' }),
  temperature: FiniteNumber.gt(0).max(10).default(1).meta({ description: 'Sampling temperature for kind=prompts; a generated answer is scored under the distribution it was sampled from, as on the certify path.' }),
  seed: z.number().int().min(0).max(2 ** 32 - 1).default(23633),
});

export const CertifyEvalRequestSchema = z
  .object({
    model: ModelRefSchema,
    guide: ModelRefSchema,
    inDomain: ResponseSetSchema,
    outOfDomain: ResponseSetSchema,
    targetFrr: FiniteNumber.min(0).max(1).default(0.1),
    targetEpsilonLog2: FiniteNumber.optional().meta({ description: 'Also find the k whose domain certificate on the OOD set is this log2 ε.' }),
    clientKey: ClientKeySchema,
  })
  .extend(ItemScoringSchema.shape)
  .meta({ id: 'CertifyEvalRequest' });
export type CertifyEvalRequest = z.infer<typeof CertifyEvalRequestSchema>;

export const CertifyEvalResultSchema = z
  .object({
    auroc: z.number(),
    k: z.number().meta({ description: 'k (bits/token) at the target FRR: the (1 − FRR) quantile of in-domain ratios.' }),
    targetFrr: z.number(),
    frr: z.number(),
    oodRejection: z.number().meta({ description: 'Fraction of the out-of-domain set rejected at k. Was `ood_rejection` before 0.2.' }),
    domainCertificateLog2: z.number().meta({ description: 'max over the OOD sample of log2 ε_y at k. Was `domain_certificate_log2` before 0.2.' }),
    youden: z.object({ k: z.number(), j: z.number(), frr: z.number(), oodRejection: z.number() }),
    kForTargetEpsilon: z.number().nullable(),
    atTargetEpsilon: z.object({ log2Epsilon: z.number(), k: z.number().nullable(), frr: z.number().nullable(), oodRejection: z.number().nullable() }).optional(),
    T: z.number().int(),
    counts: z.object({ inDomain: z.number().int(), outOfDomain: z.number().int(), dropped: z.number().int() }),
    tokenizersMatch: z.boolean(),
    reportKey: z.string(),
    reportPath: z.string().meta({ description: 'GET this path on the certifier (with the API key) for the HTML report.' }),
    reportUrl: z.string().optional().meta({ description: 'Presigned object-store URL of index.html (expires).' }),
  })
  .meta({ id: 'CertifyEvalResult' });
export type CertifyEvalResult = z.infer<typeof CertifyEvalResultSchema>;

export const CertifyBenchRequestSchema = z
  .object({
    model: ModelRefSchema,
    guide: ModelRefSchema,
    data: ObjectKeySchema.meta({
      description: 'JSONL multiple choice: `question`, `options` ({"A": ..., "B": ...}), `answer_idx` (gold letter), optional `answer` (gold text; defaults to options[answer_idx]). MedQA/MMLU-style.',
    }),
    outOfDomain: ResponseSetSchema.optional().meta({ description: 'OOD sample to calibrate k for each ε (spec §4: k is computed on OOD data). Required with epsilonsLog2.' }),
    epsilonsLog2: z.array(FiniteNumber).max(200).default([]),
    ks: z.array(FiniteNumber.min(-64).max(64)).max(200).default([]).meta({ description: 'Also report certified accuracy at these k directly.' }),
    choicePrompt: z.string().min(1).max(2000).default('Question: {question}\n{options}\nAnswer:').meta({
      description: 'Path A prompt; {question} and {options} ("A. text" lines) are filled in. L scores each marker " A", " B", ... after it.',
    }),
    answerContext: z.string().min(1).max(2000).default('Question: {question}\nAnswer:\n').meta({ description: 'Path B: L scores the gold answer text after this context; G scores it alone.' }),
    clientKey: ClientKeySchema,
  })
  .extend(ItemScoringSchema.shape)
  .extend({ maxItems: z.number().int().min(1).max(100_000).default(200) })
  .refine((r) => r.epsilonsLog2.length === 0 || r.outOfDomain !== undefined, { message: 'epsilonsLog2 needs an outOfDomain set to calibrate k on', path: ['outOfDomain'] })
  .refine((r) => r.epsilonsLog2.length + r.ks.length > 0, { message: 'give epsilonsLog2 (with outOfDomain) or ks', path: ['ks'] })
  .meta({ id: 'CertifyBenchRequest' });
export type CertifyBenchRequest = z.infer<typeof CertifyBenchRequestSchema>;

export const CertifiedAccuracyPointSchema = z.object({
  log2Epsilon: z.number().nullable().meta({ description: 'null for a k given directly.' }),
  k: z.number().nullable().meta({ description: 'null when no k in [−100, 100] certifies this ε on the OOD set.' }),
  certifiedAccuracy: z.number(),
  frr: z.number(),
}).meta({ id: 'CertifiedAccuracyPoint' });

export const CertifyBenchResultSchema = z
  .object({
    accuracy: z.number().meta({ description: 'Unconstrained multiple-choice accuracy of L (argmax over option markers).' }),
    chance: z.number(),
    n: z.number().int(),
    points: z.array(CertifiedAccuracyPointSchema),
    T: z.number().int(),
    tokenizersMatch: z.boolean(),
    reportKey: z.string(),
    reportPath: z.string(),
    reportUrl: z.string().optional(),
  })
  .meta({ id: 'CertifyBenchResult' });
export type CertifyBenchResult = z.infer<typeof CertifyBenchResultSchema>;

export const CertifyEvalJobStatusSchema = jobStatusSchema(CertifyEvalResultSchema, 'CertifyEvalJobStatus', 'A VALID evaluation job.');
export const CertifyBenchJobStatusSchema = jobStatusSchema(CertifyBenchResultSchema, 'CertifyBenchJobStatus', 'A certified benchmark job.');

const REPORT_FILES = ['text/html', 'image/svg+xml', 'application/json'] as const;

export const CERTIFIER_CONTRACT = defineService({
  service: 'certifier',
  description: 'VALID domain certification: certified answers, evaluations and certified benchmarks.',
  portOffset: 4,
  subjects: {
    'assay.certifier.certify': { request: CertifyRequestSchema, reply: CertifyResponseSchema, summary: 'Certified answer (VALID)' },
    'assay.certifier.evaluate': { request: CertifyEvalRequestSchema, reply: JobAcceptedSchema, summary: 'Queue a certification evaluation' },
    'assay.certifier.benchmark': { request: CertifyBenchRequestSchema, reply: JobAcceptedSchema, summary: 'Queue certified benchmarking on multiple choice' },
  },
  queues: {
    'certifier.evaluate': { payload: CertifyEvalRequestSchema, result: CertifyEvalResultSchema, summary: 'VALID evaluation on in-domain and out-of-domain sets, with an HTML report' },
    'certifier.benchmark': { payload: CertifyBenchRequestSchema, result: CertifyBenchResultSchema, summary: 'Certified benchmarking on multiple-choice data, with an HTML report' },
  },
  routes: {
    certify: {
      method: 'post',
      path: '/v1/certify',
      summary: 'Answer a prompt with VALID: accepted with its certificate, or abstained',
      body: CertifyRequestSchema,
      response: CertifyResponseSchema,
    },
    submitEvaluation: {
      method: 'post',
      path: '/v1/evaluations',
      status: 202,
      summary: 'Queue a VALID evaluation on in-domain and out-of-domain sets (a durable job; result: CertifyEvalResult)',
      body: CertifyEvalRequestSchema,
      response: JobAcceptedSchema,
    },
    getEvaluation: {
      method: 'get',
      path: '/v1/evaluations/{id}',
      summary: 'Status, progress and result of an evaluation job',
      params: { id: JobIdSchema },
      response: CertifyEvalJobStatusSchema,
    },
    submitBenchmark: {
      method: 'post',
      path: '/v1/benchmarks',
      status: 202,
      summary: 'Queue a certified multiple-choice benchmark (a durable job; result: CertifyBenchResult)',
      body: CertifyBenchRequestSchema,
      response: JobAcceptedSchema,
    },
    getBenchmark: {
      method: 'get',
      path: '/v1/benchmarks/{id}',
      summary: 'Status, progress and result of a certified benchmark job',
      params: { id: JobIdSchema },
      response: CertifyBenchJobStatusSchema,
    },
    getReportFile: {
      method: 'get',
      path: '/v1/reports/{jobId}/{file}',
      summary: 'A file of an evaluation or benchmark report (index.html, report.json, *.svg)',
      params: { jobId: z.string().meta({ description: 'The evaluation or benchmark job id.' }), file: z.string().meta({ description: 'index.html, report.json or a figure (*.svg).' }) },
      produces: REPORT_FILES,
    },
  },
});
