import { z } from 'zod/v4';
import { ErrorEnvelopeSchema, GeneratedTokenSchema, GenerateResponseSchema } from '@assay/contracts';

/**
 * The Server-Sent Events of `POST /v1/generate/stream` (documented in OpenAPI from these schemas).
 * Candidates for @assay/contracts once another service or the CLI consumes the stream.
 */
export const StreamTokenEventSchema = GeneratedTokenSchema.extend({
  promptIndex: z.number().int(),
  sampleIndex: z.number().int(),
  index: z.number().int().meta({ description: "Position in the completion's tokens (0, 1, …)." }),
}).meta({
  id: 'GenerateStreamToken',
  description:
    '`event: token`, sent as soon as the decoding step that sampled the token is done. Per completion, tokens arrive in order and are ' +
    'exactly `done`’s `completions[…].tokens`, so their texts add up to the completion’s text (unless a stop string matched: the final text is cut before it).',
});
export type StreamTokenEvent = z.infer<typeof StreamTokenEventSchema>;

export const GenerateStreamEventsSchema = z
  .object({
    token: StreamTokenEventSchema,
    done: GenerateResponseSchema.meta({ description: '`event: done`, last: the same body POST /v1/generate returns.' }),
    error: ErrorEnvelopeSchema.meta({ description: '`event: error`, last: the request failed after the stream opened.' }),
  })
  .meta({ id: 'GenerateStreamEvents', description: 'text/event-stream: `token`* then exactly one of `done` or `error`; `data` is JSON.' });
