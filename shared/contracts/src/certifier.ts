import { z } from 'zod/v4';
import { ClientKeySchema, FiniteNumber, JobAcceptedSchema, JobIdSchema, LIMITS, ModelRefSchema, ObjectKeySchema, samplingTemperature, UsageSchema } from './common';
import { ChatMessageSchema } from './generation';
import { RectificationStatsSchema } from './rectifier';
import { defineService, jobStatusSchema } from './contract';
import { SERVICE_PORT_OFFSETS } from './services';

export const REFUSAL_TEXT = 'I cannot answer this request: it falls outside the domain this assistant is certified for.';

export const CertifyRequestSchema = z
  .object({
    model: ModelRefSchema.meta({ description: 'The large model L.' }),
    guide: ModelRefSchema.meta({ description: 'The guide model G, trained only on in-domain responses.' }),
    prompt: z.string().min(1, 'prompt must not be empty').max(LIMITS.maxTextChars).optional().meta({ description: 'The prompt x. Give prompt or messages.' }),
    messages: z
      .array(ChatMessageSchema)
      .min(1)
      .max(LIMITS.maxBatch)
      .optional()
      .meta({ description: "A conversation, rendered with L's chat template (assistant turn opened) into the prompt x." }),
    k: FiniteNumber.min(-64).max(64).meta({ description: 'Allowed log2-likelihood ratio per token (bits/token).' }),
    T: z.number().int().min(1).max(64).default(4).meta({ description: 'Maximum number of draws before abstaining.' }),
    mode: z.enum(['batched', 'sequential']).default('batched'),
    maxNewTokens: z.number().int().min(1).max(LIMITS.maxNewTokens).default(64),
    temperature: samplingTemperature(10).default(1),
    topK: z.number().int().min(0).default(0),
    seed: z.number().int().min(0).max(2 ** 32 - 1).optional(),
    maxLog2Epsilon: FiniteNumber.optional().meta({
      description:
        'Reject draws whose certificate log2 ε_y exceeds this (still a valid certificate: rejecting never weakens a bound). 0 keeps only non-vacuous answers (ε_y < 1).',
    }),
    rectifier: z
      .object({ name: ModelRefSchema.meta({ description: 'A registered rectifier (dead-end value head Q_D).' }), epsilon: FiniteNumber.min(0).max(1).optional() })
      .optional()
      .meta({ description: 'Stage: draw the T answers from the rectified L (rectifier service); the ratio uses the rectified sampling log-probability.' }),
    rerank: z
      .object({ head: ModelRefSchema.meta({ description: 'A registered reward head.' }) })
      .optional()
      .meta({ description: 'Stage: among the accepted draws, return the one with the highest reward (reward-head service) instead of the first.' }),
    confidence: z
      .object({ calibrator: ModelRefSchema.meta({ description: 'A registered calibrator.' }) })
      .optional()
      .meta({ description: 'Stage: attach P(correct) of the returned answer (calibrator service).' }),
  })
  .refine((r) => (r.prompt !== undefined) !== (r.messages !== undefined), { message: 'give either prompt or messages', path: ['prompt'] })
  .meta({ id: 'CertifyRequest' });
export type CertifyRequest = z.infer<typeof CertifyRequestSchema>;

/** Why a draw was not accepted. Every rule depends on the draw alone, so rejecting never weakens the bound. */
export const DRAW_REJECTIONS = ['ratio', 'epsilon-cap', 'empty', 'not-canonical', 'guide-empty', 'guide-context', 'non-finite'] as const;
export type DrawRejection = (typeof DRAW_REJECTIONS)[number];

export const AttemptSchema = z.object({
  index: z.number().int(),
  nTokens: z.number().int().meta({ description: 'N_y (G\'s tokens when the tokenizers differ); L\'s response tokens when the draw was rejected before G scored it.' }),
  log2L: FiniteNumber.nullable().meta({ description: 'null when L\'s log-probability is not a finite number (the draw is rejected).' }),
  log2G: FiniteNumber.nullable().meta({ description: 'null when G did not score the draw.' }),
  log2Ratio: FiniteNumber.nullable(),
  normalizedLog2Ratio: FiniteNumber.nullable(),
  log2Epsilon: FiniteNumber.nullable().meta({ description: 'The certificate log2 ε_y this draw would carry; null when G did not score it.' }),
  accepted: z.boolean(),
  rejection: z.enum(DRAW_REJECTIONS).optional().meta({
    description:
      'Why the draw was rejected: ratio (log2 L − log2 G > k·N_y), epsilon-cap (log2 ε_y > maxLog2Epsilon), empty (no text), not-canonical ' +
      '(re-encoding its text does not give back the sampled tokens: the text has another spelling, e.g. a lone UTF-8 byte), guide-empty (G\'s tokenizer ' +
      'makes no tokens of it), guide-context (longer than G\'s context), non-finite (a log-probability is not a finite number).',
  }),
  finishReason: z.string(),
}).meta({ id: 'CertifyAttempt' });
export type Attempt = z.infer<typeof AttemptSchema>;

export const CertificateSchema = z.object({
  log2Epsilon: FiniteNumber,
  epsilon: FiniteNumber.nullable().meta({ description: '2^log2Epsilon; 0 when it underflows, null when it exceeds the float range (such a certificate is vacuous).' }),
  vacuous: z.boolean().meta({ description: 'ε_y ≥ 1: the certificate bounds nothing (usual for in-domain text, which G finds likely).' }),
  nTokens: z.number().int(),
  log2L: FiniteNumber,
  log2G: FiniteNumber,
  k: FiniteNumber,
  T: z.number().int(),
  perTokenLog2Ratio: z.array(FiniteNumber),
  tokenizersMatch: z.boolean(),
}).meta({ id: 'Certificate' });
export type Certificate = z.infer<typeof CertificateSchema>;

export const CertifyResponseSchema = z
  .object({
    status: z.enum(['accepted', 'abstained']),
    text: z.string().meta({ description: 'The accepted answer, or the fixed refusal. The certificate holds for this text: only its one canonical tokenization is ever accepted.' }),
    certificate: CertificateSchema.optional(),
    chosen: z.number().int().optional().meta({ description: 'Index (in attempts) of the returned draw, when accepted.' }),
    attempts: z.array(AttemptSchema),
    model: z.string(),
    guide: z.string(),
    usage: UsageSchema.optional().meta({ description: 'Tokens of the prompt (once) and of every draw generated.' }),
    stages: z.array(z.enum(['rectify', 'sample', 'certify', 'rerank', 'confidence'])).optional().meta({ description: 'The stages the answer went through, in order.' }),
    reward: FiniteNumber.nullable().optional().meta({ description: 'rerank stage: the reward of the returned answer (null when abstained or not finite).' }),
    pCorrect: FiniteNumber.nullable().optional().meta({ description: 'confidence stage: the calibrated P(correct) of the returned answer (null when abstained).' }),
    rectification: RectificationStatsSchema.nullable()
      .optional()
      .meta({ description: 'rectifier stage, of the returned draw (null when abstained): tokens held at their cap, mass moved, steps at a dead end.' }),
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
  temperature: samplingTemperature(10).default(1).meta({ description: 'Sampling temperature for kind=prompts; a generated answer is scored under the distribution it was sampled from, as on the certify path.' }),
  seed: z.number().int().min(0).max(2 ** 32 - 1).default(23633),
});

export const CertifyEvalRequestSchema = z
  .object({
    model: ModelRefSchema,
    guide: ModelRefSchema,
    inDomain: ResponseSetSchema,
    outOfDomain: ResponseSetSchema,
    targetFrr: FiniteNumber.min(0).max(1).default(0.1),
    targetEpsilonLog2: FiniteNumber.optional().meta({ description: 'Also find the k whose domain certificate on the calibration OOD items is this log2 ε.' }),
    calibrationFraction: FiniteNumber.gt(0)
      .lt(1)
      .default(0.5)
      .meta({ description: 'Share of each set (split at random with `seed`) that chooses k; every reported figure is measured on the rest, held out.' }),
    clientKey: ClientKeySchema,
  })
  .extend(ItemScoringSchema.shape)
  .meta({ id: 'CertifyEvalRequest' });
export type CertifyEvalRequest = z.infer<typeof CertifyEvalRequestSchema>;

const OperatingPointSchema = z
  .object({
    k: FiniteNumber,
    frr: FiniteNumber,
    oodRejection: FiniteNumber,
    j: FiniteNumber.meta({ description: "Youden's J = oodRejection − frr." }),
    domainCertificateLog2: FiniteNumber,
  })
  .meta({ id: 'CertifyOperatingPoint' });

export const CertifyEvalResultSchema = z
  .object({
    evaluation: z.literal('held-out').meta({ description: 'Every k is chosen on the calibration part of each set; every figure below (outside inSample) is measured on the held-out part.' }),
    split: z.object({
      calibrationFraction: FiniteNumber,
      seed: z.union([z.number(), z.string()]).nullable(),
      calibration: z.object({ inDomain: z.number().int(), outOfDomain: z.number().int() }),
      heldOut: z.object({ inDomain: z.number().int(), outOfDomain: z.number().int() }),
    }),
    auroc: FiniteNumber.meta({ description: 'Held out.' }),
    k: FiniteNumber.meta({ description: 'k (bits/token) for the target FRR, chosen on the calibration in-domain ratios (conformal rank ⌈(n+1)(1 − FRR)⌉).' }),
    targetFrr: FiniteNumber,
    frr: FiniteNumber.meta({ description: 'Held-out in-domain false-rejection rate at k: an unbiased estimate of the FRR on new in-domain text.' }),
    oodRejection: FiniteNumber.meta({ description: 'Held-out fraction of the out-of-domain set rejected at k. Was `ood_rejection` before 0.2.' }),
    domainCertificateLog2: FiniteNumber.meta({ description: 'max over the held-out OOD items of log2 ε_y at k. Was `domain_certificate_log2` before 0.2.' }),
    youden: z
      .object({ k: FiniteNumber, j: FiniteNumber, frr: FiniteNumber, oodRejection: FiniteNumber })
      .meta({ description: "k maximising Youden's J on the calibration part; J, FRR and OOD rejection at it held out." }),
    kForTargetEpsilon: FiniteNumber.nullable(),
    atTargetEpsilon: z
      .object({
        log2Epsilon: FiniteNumber,
        k: FiniteNumber.nullable(),
        frr: FiniteNumber.nullable(),
        oodRejection: FiniteNumber.nullable(),
        domainCertificateLog2: FiniteNumber.nullable().meta({ description: 'The ε-DC reached on the held-out OOD items at that k (may exceed the target).' }),
      })
      .optional(),
    inSample: z
      .object({ auroc: FiniteNumber, operatingPoint: OperatingPointSchema, youden: OperatingPointSchema, kForTargetEpsilon: FiniteNumber.nullable() })
      .meta({
        description:
          'IN-SAMPLE, optimistic, for comparison only: k chosen and every figure measured on all the items (k by the spec rule, the (1 − FRR) quantile), as evaluations reported before 0.3.',
      }),
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
  log2Epsilon: FiniteNumber.nullable().meta({ description: 'null for a k given directly.' }),
  k: FiniteNumber.nullable().meta({ description: 'null when no k in [−100, 100] certifies this ε on the OOD set.' }),
  certifiedAccuracy: FiniteNumber,
  frr: FiniteNumber,
}).meta({ id: 'CertifiedAccuracyPoint' });

export const CertifyBenchResultSchema = z
  .object({
    accuracy: FiniteNumber.meta({ description: 'Unconstrained multiple-choice accuracy of L (argmax over option markers).' }),
    chance: FiniteNumber,
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
  portOffset: SERVICE_PORT_OFFSETS.certifier,
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
