import { z } from 'zod/v4';
import { ClientKeySchema, FiniteNumber, JobAcceptedSchema, JobIdSchema, LIMITS, ModelRefSchema, ObjectKeySchema } from './common';
import { defineService, jobStatusSchema } from './contract';
import { SERVICE_PORT_OFFSETS } from './services';

/**
 * The calibrator (issue 10, spec shared/specs/calibration.md): P(correct) for an answer of a model L, from a
 * calibrator fitted on graded answers of that L. Labelled datasets, fits and evaluations are durable jobs; the
 * confidence route scores answers with one fitted method.
 */

/** Most answers in one confidence request (one forward pass of L, or of the tuned model, per answer). */
export const CALIBRATOR_MAX_ANSWERS = 64;

/** Methods a fit can produce (spec §3): the base methods and their temperature-scaled twins (`-ts`, §3.3). */
export const CALIBRATION_BASE_METHODS = ['query', 'ct-query', 'probe', 'logits', 'verbal', 'sampling', 'logprob'] as const;
export type CalibrationBaseMethod = (typeof CALIBRATION_BASE_METHODS)[number];
export const CALIBRATION_METHODS = CALIBRATION_BASE_METHODS.flatMap((m) => [m, `${m}-ts`] as const);
export type CalibrationMethod = CalibrationBaseMethod | `${CalibrationBaseMethod}-ts`;
export const CalibrationMethodSchema = z.enum(CALIBRATION_METHODS as unknown as [CalibrationMethod, ...CalibrationMethod[]]).meta({ id: 'CalibrationMethod' });
export const CalibrationBaseMethodSchema = z.enum(CALIBRATION_BASE_METHODS);

const NameSchema = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'lowercase name: [a-z0-9._-], at most 64 characters');

// ---------------------------------------------------------------- confidence

export const ConfidenceRequestSchema = z
  .object({
    calibrator: ModelRefSchema.meta({ description: 'Registered calibrator: "name" (latest version) or "name@version".' }),
    model: ModelRefSchema.optional().meta({ description: "L, checked against the calibrator's L (BAD_REQUEST when it is another model)." }),
    question: z.string().min(1, 'question must not be empty').max(LIMITS.maxTextChars),
    answers: z
      .array(z.string().max(LIMITS.maxTextChars))
      .min(1, 'give at least one answer')
      .max(CALIBRATOR_MAX_ANSWERS, `at most ${CALIBRATOR_MAX_ANSWERS} answers per request`)
      .meta({ description: 'Answers of L to the question (as L wrote them; sanitised as §1.2 before scoring).' }),
  })
  .meta({ id: 'ConfidenceRequest' });
export type ConfidenceRequest = z.infer<typeof ConfidenceRequestSchema>;

export const ConfidenceResultSchema = z
  .object({
    pCorrect: FiniteNumber.min(0).max(1).meta({ description: 'Calibrated probability that the answer is correct.' }),
    method: z.string().meta({ description: 'The method that produced it (e.g. probe-ts).' }),
    calibratorVersion: z.string(),
  })
  .meta({ id: 'ConfidenceResult' });

export const ConfidenceResponseSchema = z
  .object({
    calibrator: z.object({ name: z.string(), version: z.string() }),
    model: z.string().meta({ description: 'L as name@version.' }),
    results: z.array(ConfidenceResultSchema).meta({ description: 'One per answer, in the order of the answers.' }),
  })
  .meta({ id: 'ConfidenceResponse' });
export type ConfidenceResponse = z.infer<typeof ConfidenceResponseSchema>;

// ---------------------------------------------------------------- labelled datasets

export const BUILTIN_QA_SETS = ['mmlu', 'medqa_usmle', 'medmcqa', 'truthfulqa', 'nq_open', 'squad_v2', 'pubmedqa'] as const;

export const DatasetSourceSchema = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('builtin'), set: z.enum(BUILTIN_QA_SETS) }).meta({ description: 'A QA set of ../shared/data (ASSAY_DATA_ROOT).' }),
    z
      .object({ kind: z.literal('jsonl'), key: ObjectKeySchema })
      .meta({ description: 'Object key of a user JSONL: `{question, answers}` (open-ended) or `{question, choices, label}` (multiple choice, label = index of the right choice).' }),
    z
      .object({
        kind: z.literal('graded-knowledge'),
        people: z.number().int().min(10).max(20_000).default(500),
        seed: z.union([z.number().int(), z.string().max(64)]).default(0),
        format: z.enum(['open', 'choice']).default('open'),
        questions: z
          .enum(['one', 'all'])
          .default('one')
          .meta({ description: "Questions per fact: 'one' (the task's own template draw) or 'all' (every question template of the fact's attribute; splits stay by fact, so more held-out answers for the same L)." }),
      })
      .meta({ description: 'The forge\'s graded-knowledge task (its own train/val/test split by fact); L must have been trained on the same task options.' }),
  ])
  .meta({ id: 'CalibrationDatasetSource' });
export type DatasetSource = z.infer<typeof DatasetSourceSchema>;

export const DatasetRequestSchema = z
  .object({
    model: ModelRefSchema.meta({ description: 'L, which answers every question (greedy, §1.2).' }),
    source: DatasetSourceSchema,
    maxItems: z.number().int().min(3).max(100_000).default(1000).meta({ description: 'Questions used (a seeded sample when the source has more).' }),
    kshot: z.number().int().min(0).max(8).optional().meta({ description: 'Solved examples before each question (§1.1). Default: 5 for mmlu, 1 for open-ended, 0 for other multiple choice.' }),
    maxNewTokens: z.number().int().min(1).max(128).default(30).meta({ description: 'Open-ended answer length (§1.2); multiple choice answers one token.' }),
    splits: z
      .object({ train: FiniteNumber.min(0).max(1), val: FiniteNumber.min(0).max(1), test: FiniteNumber.min(0).max(1) })
      .default({ train: 0.6, val: 0.2, test: 0.2 })
      .refine((s) => Math.abs(s.train + s.val + s.test - 1) < 1e-9, 'split shares must sum to 1'),
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(137),
    clientKey: ClientKeySchema,
  })
  .meta({ id: 'CalibrationDatasetRequest' });
export type DatasetRequest = z.infer<typeof DatasetRequestSchema>;

const SplitCountsSchema = z.object({ train: z.number().int(), val: z.number().int(), test: z.number().int() });

export const DatasetResultSchema = z
  .object({
    dataset: z.string().meta({ description: 'Dataset id: the object prefix `calibration-datasets/<id>/` holding rows.jsonl and manifest.json.' }),
    model: z.string().meta({ description: 'L as name@version.' }),
    format: z.enum(['open', 'choice']),
    counts: SplitCountsSchema,
    accuracy: z.object({ train: FiniteNumber.nullable(), val: FiniteNumber.nullable(), test: FiniteNumber.nullable() }).meta({ description: "Share of L's answers graded correct, per split." }),
    rowsKey: z.string(),
  })
  .meta({ id: 'CalibrationDatasetResult' });
export type DatasetResult = z.infer<typeof DatasetResultSchema>;

// ---------------------------------------------------------------- fits

export const FitRequestSchema = z
  .object({
    name: NameSchema.meta({ description: 'Registry name of the calibrator (a new version per fit).' }),
    dataset: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,127}$/).meta({ description: 'A dataset id from a dataset job (its L is the calibrator\'s L).' }),
    methods: z.array(CalibrationBaseMethodSchema).min(1).max(CALIBRATION_BASE_METHODS.length).default(['query', 'probe']).meta({
      description: 'Base methods to fit; each also gets its temperature-scaled twin (-ts), fitted on the validation split.',
    }),
    serve: CalibrationMethodSchema.optional().meta({ description: 'The method the confidence route uses. Default: the first of probe-ts, ct-query-ts, query-ts, … that was fitted.' }),
    probe: z
      .object({
        hidden: z.array(z.number().int().min(1).max(4096)).max(6).default([256, 128, 64]),
        learningRate: FiniteNumber.gt(0).max(1).default(1e-3),
        maxEpochs: z.number().int().min(1).max(10_000).default(200),
        patience: z.number().int().min(1).max(1000).default(20),
        pooling: z.enum(['last', 'mean']).default('last').meta({
          description: "Features: L's final hidden state at the last token of C + \" \" + P (spec §3.2), or the mean over its tokens (our option: a small L's last-token state may carry no correctness signal).",
        }),
      })
      .prefault({}),
    ctQuery: z
      .object({
        rank: z.number().int().min(1).max(64).default(8),
        alpha: FiniteNumber.gt(0).max(1024).default(32),
        targets: z.array(z.string().min(1).max(64)).max(16).optional().meta({ description: "LoRA target modules (default PEFT's: q_proj, v_proj; c_attn for GPT-2)." }),
        steps: z.number().int().min(1).max(100_000).default(300),
        batchSize: z.number().int().min(1).max(256).default(8),
        learningRate: FiniteNumber.gt(0).max(1).default(1e-3),
        klWeight: FiniteNumber.min(0).max(100).default(1).meta({ description: 'Weight of the Jensen–Shannon term to the base model on gold sequences (§3.1).' }),
      })
      .prefault({}),
    samples: z.number().int().min(2).max(32).default(10).meta({ description: 'Samples per question for the sampling baseline (§3.4).' }),
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(137),
    clientKey: ClientKeySchema,
  })
  .meta({ id: 'CalibratorFitRequest' });
export type FitRequest = z.infer<typeof FitRequestSchema>;

export const FittedMethodSchema = z.object({
  method: CalibrationMethodSchema,
  temperature: FiniteNumber.nullable().meta({ description: 'Fitted T of a -ts method (null otherwise).' }),
  valNllBefore: FiniteNumber.nullable(),
  valNllAfter: FiniteNumber.nullable(),
});

export const FitResultSchema = z
  .object({
    calibrator: z.string().meta({ description: 'name@version of the registered calibrator.' }),
    name: z.string(),
    version: z.string(),
    model: z.string(),
    serve: CalibrationMethodSchema,
    methods: z.array(FittedMethodSchema),
    tunedModel: z.string().nullable().meta({ description: 'ct-query: the registered tuned model (name@version), else null.' }),
    computedStages: z.record(z.string(), z.number().int()).meta({
      description: 'Batches each stage computed in the attempt that finished the job; stages finished by an earlier attempt (a worker that stopped mid-fit) are read back from the job\'s checkpoints, not refitted, and do not appear.',
    }),
  })
  .meta({ id: 'CalibratorFitResult' });
export type FitResult = z.infer<typeof FitResultSchema>;

// ---------------------------------------------------------------- evaluation

export const CalibrationEvalRequestSchema = z
  .object({
    calibrator: ModelRefSchema,
    datasets: z.array(z.string().regex(/^[a-z0-9][a-z0-9._-]{0,127}$/)).min(1).max(16).optional().meta({ description: "Dataset ids to evaluate on (their test split). Default: the calibrator's own dataset." }),
    methods: z.array(CalibrationMethodSchema).min(1).optional().meta({ description: 'Default: every method the calibrator holds.' }),
    clientKey: ClientKeySchema,
  })
  .meta({ id: 'CalibrationEvalRequest' });
export type CalibrationEvalRequest = z.infer<typeof CalibrationEvalRequestSchema>;

export const CalibrationMetricsSchema = z
  .object({
    n: z.number().int(),
    acc: FiniteNumber.nullable().meta({ description: 'Task accuracy (share of answers graded correct).' }),
    ece: FiniteNumber.nullable().meta({ description: 'Reliability ECE of P(correct) against correctness (10 bins).' }),
    ece_top_label: FiniteNumber.nullable().meta({ description: "The calibration-tuning paper's top-label binary ECE (§4, 10 bins)." }),
    auroc: FiniteNumber.nullable(),
    brier: FiniteNumber.nullable(),
    nll: FiniteNumber.nullable(),
    selective_acc_50: FiniteNumber.nullable(),
    selective_acc_80: FiniteNumber.nullable(),
    selective_acc_100: FiniteNumber.nullable(),
  })
  .meta({ id: 'CalibrationMetrics', description: 'null where a figure is undefined (e.g. AUROC of a one-class split).' });
export type CalibrationMetricsWire = z.infer<typeof CalibrationMetricsSchema>;

export const CalibrationEvalResultSchema = z
  .object({
    calibrator: z.string(),
    model: z.string(),
    split: z.literal('test'),
    results: z.record(z.string(), z.record(z.string(), CalibrationMetricsSchema)).meta({ description: 'dataset → method → metrics on its test split.' }),
    reportKey: z.string(),
    reportPath: z.string().meta({ description: 'GET this path on the calibrator (with the API key) for the HTML report.' }),
  })
  .meta({ id: 'CalibrationEvalResult' });
export type CalibrationEvalResult = z.infer<typeof CalibrationEvalResultSchema>;

export const DatasetJobStatusSchema = jobStatusSchema(DatasetResultSchema, 'CalibrationDatasetJobStatus', 'A labelled-dataset job.');
export const FitJobStatusSchema = jobStatusSchema(FitResultSchema, 'CalibratorFitJobStatus', 'A calibrator fit job.');
export const CalibrationEvalJobStatusSchema = jobStatusSchema(CalibrationEvalResultSchema, 'CalibrationEvalJobStatus', 'A calibration evaluation job.');

export const CALIBRATOR_CONTRACT = defineService({
  service: 'calibrator',
  description: 'Calibrated P(correct) for answers of an LLM: labelled datasets, fitted calibrators (query, CT, probe, TS, baselines), evaluations.',
  portOffset: SERVICE_PORT_OFFSETS.calibrator,
  subjects: {
    'assay.calibrator.confidence': { request: ConfidenceRequestSchema, reply: ConfidenceResponseSchema, summary: 'P(correct) of each answer to a question' },
    'assay.calibrator.dataset': { request: DatasetRequestSchema, reply: JobAcceptedSchema, summary: 'Queue a labelled dataset (L answers, graded)' },
    'assay.calibrator.fit': { request: FitRequestSchema, reply: JobAcceptedSchema, summary: 'Queue a calibrator fit' },
    'assay.calibrator.evaluate': { request: CalibrationEvalRequestSchema, reply: JobAcceptedSchema, summary: 'Queue a calibration evaluation' },
  },
  queues: {
    'calibrator.dataset': { payload: DatasetRequestSchema, result: DatasetResultSchema, summary: 'L answers a QA source; answers graded and split' },
    'calibrator.fit': { payload: FitRequestSchema, result: FitResultSchema, summary: 'Fit calibration methods on a labelled dataset and register the calibrator' },
    'calibrator.evaluate': { payload: CalibrationEvalRequestSchema, result: CalibrationEvalResultSchema, summary: 'Metrics of every method on test splits, with an HTML report' },
  },
  routes: {
    confidence: {
      method: 'post',
      path: '/v1/confidence',
      summary: 'Calibrated P(correct) of each answer to a question',
      body: ConfidenceRequestSchema,
      response: ConfidenceResponseSchema,
    },
    submitCalibrationDataset: { method: 'post', path: '/v1/calibration/datasets', status: 202, summary: 'Queue a labelled dataset job', body: DatasetRequestSchema, response: JobAcceptedSchema },
    getCalibrationDataset: { method: 'get', path: '/v1/calibration/datasets/{id}', summary: 'Status and result of a dataset job', params: { id: JobIdSchema }, response: DatasetJobStatusSchema },
    submitCalibratorFit: { method: 'post', path: '/v1/calibration/fits', status: 202, summary: 'Queue a calibrator fit', body: FitRequestSchema, response: JobAcceptedSchema },
    getCalibratorFit: { method: 'get', path: '/v1/calibration/fits/{id}', summary: 'Status, progress and result of a fit job', params: { id: JobIdSchema }, response: FitJobStatusSchema },
    submitCalibrationEval: { method: 'post', path: '/v1/calibration/evaluations', status: 202, summary: 'Queue a calibration evaluation', body: CalibrationEvalRequestSchema, response: JobAcceptedSchema },
    getCalibrationEval: { method: 'get', path: '/v1/calibration/evaluations/{id}', summary: 'Status and result of an evaluation job', params: { id: JobIdSchema }, response: CalibrationEvalJobStatusSchema },
    getCalibrationReportFile: {
      method: 'get',
      path: '/v1/calibration/reports/{jobId}/{file}',
      summary: 'A file of a calibration report (index.html, report.json, *.svg)',
      params: { jobId: z.string().meta({ description: 'The evaluation job id.' }), file: z.string().meta({ description: 'index.html, report.json or a figure (*.svg).' }) },
      produces: ['text/html', 'image/svg+xml', 'application/json'] as const,
    },
  },
});
