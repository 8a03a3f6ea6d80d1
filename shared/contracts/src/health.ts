import { z } from 'zod/v4';

/** `assay.<service>.health`: any JSON object (or nothing) in, liveness out. */
export const HealthRequestSchema = z.object({}).passthrough().optional().meta({ id: 'HealthRequest' });
export const HealthReplySchema = z
  .object({ service: z.string(), status: z.literal('ok'), uptimeSec: z.number().int() })
  .meta({ id: 'HealthReply', description: 'The service process answers; readiness (models, NATS, object store) is GET /readyz.' });
export type HealthReply = z.infer<typeof HealthReplySchema>;
