// Protocol: what services depend on.
export * from './engine/engine-client';
export { LocalEngine, LocalEngineOptions, RuntimeLogger } from './engine/local-engine';
export { MicroBatcher, MicroBatcherOptions } from './engine/micro-batcher';
export { CPU_MAX_PADDING_FRACTION } from './engine/engine-model';
export { planBatches, PlanItem, PlanLimits } from './engine/batch-planner';
export { GENERATE_DEFAULTS, hashTokenIds } from './engine/request-preparation';

// Chat templates (also for services that only read a model directory).
export { ChatTemplate, ChatMessage, RenderChatOptions, checkMessages } from './chat/chat-template';

// Configuration and errors.
export * from './config';
export { RUNTIME_ENV } from './env';
export { RuntimeError, RuntimeErrorKind } from './errors';

// Models: bundle, tokenizer, runners.
export { readModelBundle, describeModelIo, ModelBundle, MODEL_FILES, MODEL_VARIANTS, modelGraphCandidates, resolveModelGraph } from './model/model-bundle';
export { TextTokenizer } from './model/text-tokenizer';
export * from './model-runner/model-runner';
export { MODEL_RUNNERS, runnerFor } from './model-runner/runner-table';
export { OptimumDecoderRunner, GPT2_CONFIG_KEYS, DecoderConfigKeys } from './model-runner/optimum-decoder-runner';
export { TextClassifierRunner, TEXT_CLASSIFIER_IO } from './model-runner/text-classifier-runner';
export * from './model-runner/batch-types';
export { leftPad, rightPad, positionIdsFromMask, PaddedBatch } from './model-runner/batch-layout';
export { DecodeControl, DecodeLimits, DecodeScheduler } from './model-runner/decode-scheduler';
export { assembleCache, CacheRowSource } from './model-runner/kv-batch';

// Executors.
export * from './executor/executor';
export { InProcessExecutor } from './executor/in-process-executor';
export { WorkerPoolExecutor, WorkerPoolLogger } from './executor/worker-pool-executor';
export { OnnxSession, OpenedSession } from './executor/onnx-session';
export { QHeadRunner, QHeadSessions, qHeadGraph } from './executor/q-head-sessions';

// Pure algorithms.
export { logSoftmax, logSumExp, logSumExpArgmax, argmax } from './sampling/log-softmax';
export { sampleToken, candidateSet, SamplingParams, SampledToken, GREEDY, UniformSource } from './sampling/sampler';
export { sampleRectifiedToken, qValues, qValuesBatch, RectifySpec, RectifyStepStats, RectifiedToken } from './sampling/rectified-sampler';
export { IncrementalDetokenizer } from './decoding/incremental-detokenizer';
export { StopStringMatcher } from './decoding/stop-strings';

// Preparing user exports: the final-norm hidden states as an extra output (`assay models prepare`).
export { prepareModelDir, PrepareReport, PreparedGraph, HIDDEN_STATES_OUTPUT } from './prepare/prepare-model-dir';
