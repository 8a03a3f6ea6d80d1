import { z } from 'zod/v4';
import { ClientKeySchema, FiniteNumber, JobAcceptedSchema, LIMITS, ModelRefSchema, ObjectKeySchema, samplingTemperature } from './common';
import { defineService } from './contract';
import { SERVICE_PORT_OFFSETS } from './services';
import { ErrorEnvelopeSchema } from './errors';

const compiles = (pattern: string, flags: string) => {
  try {
    new RegExp(pattern, flags);
    return true;
  } catch {
    return false;
  }
};

/** How a completion is turned into a behaviour score in [0, 1] (NaN = unscorable: the pair is dropped). */
export const MetricSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('toxicity'), classifier: ModelRefSchema.default('assay-toxicity') }).meta({ description: 'P(toxic) of the completion from a registered text classifier.' }),
  z.object({ kind: z.literal('perspective') }).meta({ description: 'Perspective API TOXICITY summary score of the completion (PERSPECTIVE_API_URL/KEY).' }),
  z.object({ kind: z.literal('chrf') }).meta({ description: 'Sentence chrF of the completion against the prompt\'s reference, scaled to [0, 1].' }),
  z.object({ kind: z.literal('bleu') }).meta({ description: 'Sentence BLEU of the completion against the prompt\'s reference, scaled to [0, 1].' }),
  z
    .object({
      kind: z.literal('lexicon'),
      words: z.array(z.string().min(1).max(64)).min(1).max(10_000),
      mode: z.enum(['presence', 'fraction']).default('presence'),
    })
    .meta({ description: 'presence: 1 when any listed word occurs (case-insensitive, whole words); fraction: share of the completion\'s words that are listed.' }),
  z
    .object({ kind: z.literal('regex'), pattern: z.string().min(1).max(1000), flags: z.string().regex(/^[imsu]*$/).default('i') })
    .refine((m) => compiles(m.pattern, m.flags), { message: 'pattern is not a valid regular expression', path: ['pattern'] })
    .meta({ description: '1 when the completion matches the pattern, else 0.' }),
]).meta({ id: 'AuditMetric', description: 'How a completion is turned into a behaviour score in [0, 1].' });
export type Metric = z.infer<typeof MetricSchema>;
export type MetricInput = z.input<typeof MetricSchema>;

/** One prompt of an audit; `reference` is the expected output for chrF/BLEU. */
export const AuditPromptSchema = z.object({
  prompt: z.string().min(1).max(LIMITS.maxTextChars),
  reference: z.string().max(LIMITS.maxTextChars).optional(),
}).meta({ id: 'AuditPrompt' });
export type AuditPrompt = z.infer<typeof AuditPromptSchema>;

export const AUDIT_TESTS = ['witness', 'mean-difference'] as const;

export const AuditStartRequestSchema = z
  .object({
    reference: ModelRefSchema.meta({ description: 'The certified baseline M1.' }),
    candidate: ModelRefSchema.meta({ description: 'The model under audit M2 (may equal reference with other seeds).' }),
    prompts: z.union([
      ObjectKeySchema.meta({ description: 'Object key of a JSONL prompt set (field `prompt`, optional `reference` for chrF/BLEU) or a text file (one prompt per line).' }),
      z.array(z.union([z.string().min(1).max(LIMITS.maxTextChars), AuditPromptSchema])).min(1).max(5000),
    ]),
    metric: MetricSchema,
    epsilon: FiniteNumber.min(0)
      .max(0.5)
      .default(0)
      .meta({ description: 'Tolerance, charged per pair: witness test on the ½·tanh witness (IPM ≤ TV) scale; mean-difference test on the mean scale.' }),
    alpha: FiniteNumber.gt(0).max(0.5).default(0.05).meta({ description: 'Type I error: reject when the wealth reaches 1/alpha.' }),
    budget: z.number().int().min(2).max(1_000_000).default(2000).meta({ description: 'Most prompts generated per model (each is one paired sample).' }),
    batchSize: z.number().int().min(2).max(1000).default(50).meta({ description: 'Pairs per betting round (and per checkpoint).' }),
    test: z.enum(AUDIT_TESTS).default('witness'),
    maxNewTokens: z.number().int().min(1).max(512).default(32),
    temperature: samplingTemperature(5).default(0.7),
    topP: FiniteNumber.gt(0).max(1).default(0.9),
    seeds: z.object({ reference: z.number().int().min(0), candidate: z.number().int().min(0) }).default({ reference: 1000, candidate: 2000 }),
    shuffle: z.boolean().default(true).meta({ description: 'Visit prompts in a seeded random order (seed `shuffleSeed`), so an ordered file still gives exchangeable pairs.' }),
    shuffleSeed: z.number().int().min(0).default(0),
    clientKey: ClientKeySchema,
  })
  .meta({ id: 'AuditStartRequest' });
export type AuditStartRequest = z.infer<typeof AuditStartRequestSchema>;
export type AuditStartInput = z.input<typeof AuditStartRequestSchema>;

export const AuditIdSchema = z.string().min(1).max(128).meta({ description: 'The audit job id.' });
export const AuditGetRequestSchema = z.object({ id: AuditIdSchema }).meta({ id: 'AuditGetRequest' });
export type AuditGetRequest = z.infer<typeof AuditGetRequestSchema>;

export const AUDIT_DECISIONS = ['shift-detected', 'no-shift-detected', 'pending', 'failed'] as const;
export type AuditDecision = (typeof AUDIT_DECISIONS)[number];

export const AuditMeanSchema = z.object({
  /** Scores that entered the test (pairs with a NaN score are dropped for both models). */
  n: z.number().int(),
  mean: FiniteNumber.nullable(),
  /**
   * The anytime-valid confidence sequence's bounds at this n: they cover the model's mean at every sample size
   * simultaneously (so they stay valid while the audit runs and after it stops early); null before the first score.
   */
  low: FiniteNumber.nullable(),
  high: FiniteNumber.nullable(),
  level: FiniteNumber.meta({ description: 'Coverage, uniformly over sample sizes (0.95).' }),
  interval: z.enum(['anytime-valid', 'none']).meta({
    description:
      'anytime-valid: predictable plug-in empirical-Bernstein confidence sequence (Waudby-Smith & Ramdas 2023); none: no interval (no scores yet, or resumed from a checkpoint written before intervals were kept).',
  }),
}).meta({ id: 'AuditMean' });
export type AuditMean = z.infer<typeof AuditMeanSchema>;

export const WealthPointSchema = z.object({ samples: z.number().int(), logWealth: FiniteNumber }).meta({ id: 'WealthPoint' });

export const AuditReportSchema = z
  .object({
    id: z.string(),
    /** The job's status: queued, running, succeeded, failed, dead, cancelled. */
    status: z.string(),
    decision: z.enum(AUDIT_DECISIONS),
    /** Why the audit stopped: the wealth crossed 1/alpha, the budget or the prompt set ran out. */
    stopReason: z.enum(['rejected', 'budget-spent', 'prompts-spent']).nullable(),
    reference: z.string().optional(),
    candidate: z.string().optional(),
    metric: z.string().optional(),
    test: z.enum(AUDIT_TESTS).optional(),
    alpha: FiniteNumber.optional(),
    epsilon: FiniteNumber.optional(),
    budget: z.number().int().optional(),
    /** Prompts generated by each model so far (the budget spent). */
    samplesUsed: z.number().int(),
    /** Pairs that entered the test (samplesUsed − droppedPairs). */
    pairsUsed: z.number().int(),
    droppedPairs: z.number().int(),
    /** Pairs used when the decision was made (at rejection, or all of them at the end); null while pending. */
    samplesToDecision: z.number().int().nullable(),
    /** log-wealth after every batch, x = pairs used (thinned to ≤ 2000 points here; report.json has all). */
    logWealth: z.array(WealthPointSchema),
    finalLogWealth: FiniteNumber,
    /** log(1/alpha); null only while an audit queued by another client has not started (its alpha is not known yet). */
    threshold: FiniteNumber.nullable(),
    means: z.object({ reference: AuditMeanSchema, candidate: AuditMeanSchema }),
    /** Prompt index each later delivery of the job resumed at (empty when it ran in one go). */
    resumedAt: z.array(z.number().int()),
    /** Auditor route serving the log-wealth SVG (needs the API key); plotPresignedUrl works in a browser. */
    plotUrl: z.string().optional(),
    reportUrl: z.string().optional(),
    plotPresignedUrl: z.string().optional(),
    reportKey: z.string().optional(),
    error: ErrorEnvelopeSchema.optional(),
  })
  .meta({ id: 'AuditReport' });
export type AuditReport = z.infer<typeof AuditReportSchema>;

/** What the job stores as its result (small: the full report lives in the object store under reportKey). */
export const AuditResultSchema = z
  .object({
    reportKey: z.string(),
    decision: z.enum(AUDIT_DECISIONS),
    samplesUsed: z.number().int(),
    samplesToDecision: z.number().int().nullable(),
    finalLogWealth: FiniteNumber,
  })
  .meta({ id: 'AuditResult' });
export type AuditResult = z.infer<typeof AuditResultSchema>;

export const AUDITOR_CONTRACT = defineService({
  service: 'auditor',
  description: 'Anytime-valid behaviour-shift audits (testing by betting).',
  portOffset: SERVICE_PORT_OFFSETS.auditor,
  subjects: {
    'assay.auditor.start': { request: AuditStartRequestSchema, reply: JobAcceptedSchema, summary: 'Queue a behaviour-shift audit' },
    'assay.auditor.get': { request: AuditGetRequestSchema, reply: AuditReportSchema, summary: 'Audit decision and evidence' },
  },
  queues: {
    'auditor.audit': { payload: AuditStartRequestSchema, result: AuditResultSchema, summary: 'Anytime-valid behaviour-shift audit of a candidate model against a reference' },
  },
  routes: {
    submitAudit: {
      method: 'post',
      path: '/v1/audits',
      status: 202,
      summary: 'Queue an anytime-valid behaviour-shift audit of a candidate model against a reference',
      body: AuditStartRequestSchema,
      response: JobAcceptedSchema,
    },
    getAudit: {
      method: 'get',
      path: '/v1/audits/{id}',
      summary: 'Audit decision, samples to decision, per-model means with 95% anytime-valid confidence sequences and the log-wealth trajectory',
      params: { id: AuditIdSchema },
      response: AuditReportSchema,
    },
    getAuditPlot: {
      method: 'get',
      path: '/v1/audits/{id}/plot.svg',
      summary: 'Log-wealth trajectory with the log(1/α) rejection line (SVG)',
      params: { id: AuditIdSchema },
      produces: ['image/svg+xml'],
    },
    getAuditReport: {
      method: 'get',
      path: '/v1/audits/{id}/report.html',
      summary: 'Self-contained HTML report of the audit',
      params: { id: AuditIdSchema },
      produces: ['text/html'],
    },
  },
});
