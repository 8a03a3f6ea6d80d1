/**
 * Attribute names Assay puts on its spans: OpenTelemetry semantic conventions where one exists (GenAI
 * conventions are still "development" status upstream, so they are spelled out here once), and Assay's
 * own under `assay.*`, never inside OpenTelemetry's `gen_ai.*` namespace.
 */
export const ATTR = {
  messagingSystem: 'messaging.system',
  messagingDestination: 'messaging.destination.name',
  messagingOperation: 'messaging.operation.type',
  genAiOperation: 'gen_ai.operation.name',
  /** Replaces the deprecated gen_ai.system. */
  genAiProviderName: 'gen_ai.provider.name',
  genAiRequestModel: 'gen_ai.request.model',
  genAiResponseModel: 'gen_ai.response.model',
  genAiMaxTokens: 'gen_ai.request.max_tokens',
  genAiTemperature: 'gen_ai.request.temperature',
  genAiTopP: 'gen_ai.request.top_p',
  genAiTopK: 'gen_ai.request.top_k',
  genAiSeed: 'gen_ai.request.seed',
  genAiInputTokens: 'gen_ai.usage.input_tokens',
  genAiOutputTokens: 'gen_ai.usage.output_tokens',
  genAiFinishReasons: 'gen_ai.response.finish_reasons',
  /** Assay's own operations (certify, evaluate, benchmark): not model calls, so not gen_ai.operation.name. */
  assayOperation: 'assay.operation.name',
  guardrailResult: 'assay.guardrail.result',
  jobId: 'assay.job.id',
  jobQueue: 'assay.job.queue',
  jobAttempt: 'assay.job.attempt',
} as const;

/**
 * Event names for guardrail and evaluation outcomes (certifier, auditor, calibrator). `gen_ai.evaluation.result`
 * is the semantic-convention event (with gen_ai.evaluation.name / .score.value); the guardrail verdict is Assay's.
 */
export const EVENTS = {
  guardrailResult: 'assay.guardrail.result',
  evaluationResult: 'gen_ai.evaluation.result',
} as const;

/** gen_ai.provider.name of models Assay serves itself (a custom value, as the convention allows). */
export const GEN_AI_PROVIDER = 'assay.onnxruntime';
