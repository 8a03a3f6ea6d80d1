import { z } from 'zod/v4';
import { RUNTIME_ENV } from './env';

export const SessionConfigSchema = z.object({
  /** Tried in order; unavailable ones are skipped with a logged warning, CPU is always the last resort. */
  executionProviders: z.array(z.string().min(1)).min(1).default(['cpu']),
  /** Threads inside one operator; unset lets onnxruntime decide (all cores). */
  intraOpNumThreads: z.number().int().min(0).optional(),
  interOpNumThreads: z.number().int().min(0).optional(),
  graphOptimizationLevel: z.enum(['disabled', 'basic', 'extended', 'all']).default('all'),
});
export type SessionConfig = z.infer<typeof SessionConfigSchema>;

export const ExecutorConfigSchema = z.object({
  /** `worker-threads` keeps session.run off the event loop; `in-process` is for benchmarks and tools. */
  kind: z.enum(['worker-threads', 'in-process']).default('worker-threads'),
  /** Worker threads; each holds its own session per model (memory grows with it). */
  workers: z.number().int().min(1).max(64).default(1),
});
export type ExecutorConfig = z.infer<typeof ExecutorConfigSchema>;

export const BatchingConfigSchema = z.object({
  /**
   * How long the first scoring / pooling / classification request of a batch waits for company. 0 still merges
   * requests of the same tick. Generation never waits: its decode loop batches continuously (requests join
   * the running batch at the next step).
   */
  windowMs: z.number().min(0).max(1000).default(3),
  /** Sequences per forward batch (after expanding prompts × n samples / score items); for generation, rows decoding together. */
  maxBatchSize: z.number().int().min(1).default(32),
  /** Padded tokens per forward batch: batch × (longest prompt + new tokens); for generation, rows × longest prompt + maxNewTokens. */
  maxBatchTokens: z.number().int().min(1).default(16384),
  /**
   * Scoring, pooling and classification batches are cut where more than this share of their padded tokens
   * would be padding. Unset: 0.25 for models running on CPU only (a padded token costs a real one there and
   * bigger batches buy little), no limit on accelerators.
   */
  maxPaddingFraction: z.number().min(0).max(1).optional(),
});
export type BatchingConfig = z.infer<typeof BatchingConfigSchema>;

export const ModelsConfigSchema = z.object({
  /**
   * The weight variant loaded when a load does not ask for one (model.onnx = fp32, model_fp16.onnx,
   * model_quantized.onnx, ...); a directory without it falls back to fp32. Unset: fp32.
   */
  variant: z.string().min(1).optional(),
});
export type ModelsConfig = z.infer<typeof ModelsConfigSchema>;

export const RuntimeConfigSchema = z.object({
  executor: ExecutorConfigSchema.default(ExecutorConfigSchema.parse({})),
  session: SessionConfigSchema.default(SessionConfigSchema.parse({})),
  batching: BatchingConfigSchema.default(BatchingConfigSchema.parse({})),
  models: ModelsConfigSchema.default(ModelsConfigSchema.parse({})),
});
export type RuntimeConfig = z.infer<typeof RuntimeConfigSchema>;
export type RuntimeConfigInput = z.input<typeof RuntimeConfigSchema>;

export function runtimeConfig(input: RuntimeConfigInput = {}): RuntimeConfig {
  return RuntimeConfigSchema.parse(input);
}

/** Reads RUNTIME_ENV variables over `base`; throws one message naming the bad variable. */
export function runtimeConfigFromEnv(env: NodeJS.ProcessEnv = process.env, base: RuntimeConfigInput = {}): RuntimeConfig {
  const num = (name: string): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    const value = Number(raw);
    if (!Number.isFinite(value)) throw new Error(`${name} must be a number, got "${raw}"`);
    return value;
  };
  const str = (name: string): string | undefined => (env[name] === undefined || env[name] === '' ? undefined : env[name]);
  const defined = <T extends object>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
  const merged = {
    executor: { ...base.executor, ...defined({ kind: str(RUNTIME_ENV.executor), workers: num(RUNTIME_ENV.workers) }) },
    session: {
      ...base.session,
      ...defined({
        executionProviders: str(RUNTIME_ENV.executionProviders)?.split(',').map((s) => s.trim()).filter(Boolean),
        intraOpNumThreads: num(RUNTIME_ENV.intraOpNumThreads),
        interOpNumThreads: num(RUNTIME_ENV.interOpNumThreads),
        graphOptimizationLevel: str(RUNTIME_ENV.graphOptimizationLevel),
      }),
    },
    batching: {
      ...base.batching,
      ...defined({
        windowMs: num(RUNTIME_ENV.batchWindowMs),
        maxBatchSize: num(RUNTIME_ENV.maxBatchSize),
        maxBatchTokens: num(RUNTIME_ENV.maxBatchTokens),
      }),
    },
    models: { ...base.models, ...defined({ variant: str(RUNTIME_ENV.modelVariant) }) },
  };
  const parsed = RuntimeConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`invalid runtime config at ${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data;
}
