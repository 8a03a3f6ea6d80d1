import { z } from 'zod/v4';

/** Hard bounds of the wire format. Services apply tighter, configurable caps on top (see platform config). */
export const LIMITS = {
  maxTextChars: 32_000,
  maxBatch: 256,
  maxNewTokens: 4096,
  maxSamples: 64,
  maxStopStrings: 8,
} as const;

/** `name` or `name@version`; names as in the model registry. */
export const ModelRefSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}(@[a-z0-9][a-z0-9._-]{0,63})?$/, 'expected "name" or "name@version" (lowercase name)')
  .meta({ description: 'Registered model: "name" (latest version) or "name@version".', example: 'med-guide@latest' });

export function splitModelRef(ref: string): { name: string; version?: string } {
  const [name, version] = ref.split('@');
  return version && version !== 'latest' ? { name, version } : { name };
}

export const ObjectKeySchema = z
  .string()
  .min(1)
  .max(512)
  .regex(/^[A-Za-z0-9._\-/=+@]+$/, 'object keys use [A-Za-z0-9._-/=+@]')
  .refine((key) => !key.startsWith('/') && !key.split('/').some((s) => s === '..' || s === ''), 'no absolute paths, empty or ".." segments');

export const FiniteNumber = z.number().refine(Number.isFinite, 'must be a finite number');

/**
 * Smallest non-zero sampling temperature. The sampler divides log-probabilities by the temperature: far below this
 * (5e-324 overflowed every quotient to −∞ and gave NaN log-probabilities) the arithmetic stops being exact, and
 * already at 0.01 a logit gap of 0.1 is a factor e^−10, i.e. greedy in all but name. Greedy is asked for explicitly,
 * with 0, where an API offers it.
 */
export const MIN_SAMPLING_TEMPERATURE = 0.01;

/** A sampling temperature in [MIN_SAMPLING_TEMPERATURE, max] (no greedy). */
export function samplingTemperature(max: number) {
  return FiniteNumber.min(MIN_SAMPLING_TEMPERATURE, `temperature must be at least ${MIN_SAMPLING_TEMPERATURE} (smaller values are not computed exactly)`).max(max);
}

export const UsageSchema = z.object({ inputTokens: z.number().int(), outputTokens: z.number().int() }).meta({ id: 'Usage' });
export type Usage = z.infer<typeof UsageSchema>;

export const JobAcceptedSchema = z
  .object({ jobId: z.string(), status: z.string(), statusUrl: z.string().optional() })
  .meta({ id: 'JobAccepted', description: 'A durable job was queued; follow it with `assay jobs watch <jobId>`.' });
export type JobAccepted = z.infer<typeof JobAcceptedSchema>;

/** Optional idempotency key: submitting the same key twice returns the same job. */
export const ClientKeySchema = z.string().min(1).max(128).regex(/^[A-Za-z0-9._:-]+$/).optional();

export const JobIdSchema = z.string().regex(/^[0-9a-f]{32}$/, 'a job id is 32 lowercase hex digits').meta({ description: 'A durable job id: 32 lowercase hex digits.' });
