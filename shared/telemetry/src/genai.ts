/**
 * Attribute names from the OpenTelemetry semantic conventions that Assay puts on its spans.
 * GenAI conventions are still "development" status upstream, so they are spelled out here once.
 */
export const ATTR = {
  messagingSystem: 'messaging.system',
  messagingDestination: 'messaging.destination.name',
  messagingOperation: 'messaging.operation.type',
  genAiOperation: 'gen_ai.operation.name',
  genAiSystem: 'gen_ai.system',
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
  jobId: 'assay.job.id',
  jobQueue: 'assay.job.queue',
  jobAttempt: 'assay.job.attempt',
} as const;

/** Event names for guardrail and evaluation outcomes (certifier, auditor, calibrator). */
export const EVENTS = {
  guardrailResult: 'gen_ai.guardrail.result',
  evaluationResult: 'gen_ai.evaluation.result',
} as const;

export const GEN_AI_SYSTEM = 'assay.onnxruntime';
