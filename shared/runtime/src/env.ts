/** Every environment variable the runtime reads, in one place. */
export const RUNTIME_ENV = {
  executor: 'ASSAY_RUNTIME_EXECUTOR', // worker-threads | in-process
  workers: 'ASSAY_RUNTIME_WORKERS',
  executionProviders: 'ASSAY_RUNTIME_EXECUTION_PROVIDERS', // comma-separated, in order of preference: cuda,cpu
  intraOpNumThreads: 'ASSAY_RUNTIME_INTRA_OP_THREADS',
  interOpNumThreads: 'ASSAY_RUNTIME_INTER_OP_THREADS',
  graphOptimizationLevel: 'ASSAY_RUNTIME_GRAPH_OPTIMIZATION', // disabled | basic | extended | all
  batchWindowMs: 'ASSAY_RUNTIME_BATCH_WINDOW_MS',
  maxBatchSize: 'ASSAY_RUNTIME_MAX_BATCH_SIZE',
  maxBatchTokens: 'ASSAY_RUNTIME_MAX_BATCH_TOKENS',
  modelVariant: 'ASSAY_RUNTIME_MODEL_VARIANT', // fp32 | fp16 | quantized | ...: the graph file loaded when a load does not name one
} as const;
