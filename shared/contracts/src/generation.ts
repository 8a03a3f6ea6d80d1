import { z } from 'zod/v4';
import { FiniteNumber, LIMITS, MIN_SAMPLING_TEMPERATURE, ModelRefSchema, UsageSchema } from './common';
import { defineService } from './contract';
import { SERVICE_PORT_OFFSETS } from './services';
import { ErrorEnvelopeSchema } from './errors';

export const SamplingSchema = z.object({
  maxNewTokens: z.number().int().min(1).max(LIMITS.maxNewTokens).default(64),
  temperature: FiniteNumber.min(0)
    .max(10)
    .refine((t) => t === 0 || t >= MIN_SAMPLING_TEMPERATURE, `temperature must be 0 (greedy) or at least ${MIN_SAMPLING_TEMPERATURE} (smaller values are not computed exactly)`)
    .default(1)
    .meta({ description: `0 means greedy; otherwise at least ${MIN_SAMPLING_TEMPERATURE}.` }),
  topK: z.number().int().min(0).max(100_000).default(0).meta({ description: '0 disables top-k.' }),
  topP: FiniteNumber.gt(0).max(1).default(1),
  seed: z.number().int().min(0).max(2 ** 32 - 1).optional(),
  stop: z.array(z.string().min(1).max(64)).max(LIMITS.maxStopStrings).default([]),
});
export type Sampling = z.infer<typeof SamplingSchema>;

export const ChatMessageSchema = z
  .object({ role: z.string().min(1).max(64), content: z.string().max(LIMITS.maxTextChars) })
  .meta({ id: 'ChatMessage', description: 'One turn of a conversation: role (system, user, assistant, ...) and its text.' });
export type ChatMessage = z.infer<typeof ChatMessageSchema>;
const ConversationSchema = z.array(ChatMessageSchema).min(1).max(LIMITS.maxBatch);

/** The generate request's fields before its cross-field check (services that extend it, e.g. the rectifier, start here). */
export const GenerateRequestFieldsSchema = z
  .object({
    model: ModelRefSchema,
    prompts: z
      .array(z.string().min(1, 'prompt must not be empty').max(LIMITS.maxTextChars))
      .max(LIMITS.maxBatch)
      .default([])
      .meta({ description: 'Texts to continue. Give prompts or messages. Two identical prompts are two independent samples.' }),
    messages: z
      .union([ConversationSchema, z.array(ConversationSchema).min(1).max(LIMITS.maxBatch)])
      .optional()
      .meta({
        description:
          "Chat: one conversation, or a list of conversations, rendered with the model's chat template (tokenizer_config.json chat_template) " +
          'with the assistant turn opened; each conversation is one prompt (promptIndex = its position).',
      }),
    variant: z
      .string()
      .regex(/^[a-z0-9]{1,16}$/)
      .optional()
      .meta({ description: 'Weight variant of the model to run: fp32 (model.onnx), fp16 (model_fp16.onnx), quantized (model_quantized.onnx), ... Default: the service\'s configured variant.' }),
    n: z.number().int().min(1).max(LIMITS.maxSamples).default(1),
    returnHiddenStates: z.boolean().default(false).meta({ description: 'Also return, per completion, the final-norm hidden state of every generated token (for heads such as probes and reward models).' }),
    endOfTurnToken: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .meta({
        description:
          "A token (its text, e.g. `<|im_end|>`; it must encode to exactly one token) whose final-norm hidden state each completion then carries as endOfTurnState: " +
          'the state at this token placed right after the completion, what reward heads read. Costs one extra cached decoding step per completion and one more position than prompt + maxNewTokens.',
      }),
  })
  .extend(SamplingSchema.shape);

/** The one check across the fields: exactly one of prompts (non-empty) and messages. */
export function promptsXorMessages(r: { prompts: string[]; messages?: unknown }): boolean {
  return (r.prompts.length > 0) !== (r.messages !== undefined);
}
export const PROMPTS_XOR_MESSAGES = { message: 'give either prompts (non-empty) or messages', path: ['prompts'] };

export const GenerateRequestSchema = GenerateRequestFieldsSchema.extend({
  scoreWith: ModelRefSchema.optional().meta({
    description:
      "A second model with the same tokenizer (equal sha256 of tokenizer.json), e.g. VALID's guide G: each completion's tokens, a final EOS " +
      'dropped, are also scored under it after BOS alone (no prompt), exactly as `assay.likelihood.score` scores an empty context, in the same ' +
      'process and without a second round trip. Returned as `scoredWith` and `completions[].scoredWith`.',
  }),
})
  .refine(promptsXorMessages, PROMPTS_XOR_MESSAGES)
  .meta({ id: 'GenerateRequest' });
export type GenerateRequest = z.infer<typeof GenerateRequestSchema>;

export const GeneratedTokenSchema = z.object({
  id: z.number().int(),
  text: z.string(),
  logprob: z.number().meta({ description: 'Natural-log probability under the model at temperature 1.' }),
  samplingLogprob: z.number().meta({ description: 'Natural-log probability under the sampling distribution actually used.' }),
});
const GeneratedTokenComponent = GeneratedTokenSchema.meta({ id: 'GeneratedToken' });

export const CompletionSchema = z.object({
  promptIndex: z.number().int(),
  sampleIndex: z.number().int(),
  text: z.string(),
  tokens: z.array(GeneratedTokenComponent),
  finishReason: z.enum(['eos', 'stop', 'length']),
  hiddenStates: z.array(z.array(z.number())).optional().meta({ description: 'With returnHiddenStates: one final-norm hidden state per generated token.' }),
  endOfTurnState: z
    .array(z.number())
    .optional()
    .meta({
      description:
        "With endOfTurnToken: the final-norm hidden state at the end-of-turn token placed after the completion's tokens (all of them, a stop string's included, " +
        "except the EOS when finishReason is 'eos'; an EOS that is the end-of-turn token gives its own state). Absent when returnHiddenStates is also set and the completion ended with another EOS.",
    }),
  scoredWith: z
    .object({ logprobs: z.array(z.number()), sumLogprob: z.number() })
    .nullable()
    .optional()
    .meta({
      description:
        'With scoreWith (and equal tokenizers): natural-log probabilities of the tokens, a final EOS dropped, under that model after BOS; null when ' +
        'they cannot be scored there (no tokens left, longer than its context).',
    }),
}).meta({ id: 'Completion' });
export type Completion = z.infer<typeof CompletionSchema>;

export const GenerateResponseSchema = z
  .object({
    model: z.string(),
    version: z.string(),
    completions: z.array(CompletionSchema),
    usage: UsageSchema,
    renderedPrompts: z.array(z.string()).optional().meta({ description: 'messages requests: each conversation as the chat template rendered it.' }),
    scoredWith: z
      .object({
        model: z.string(),
        version: z.string(),
        tokenizersMatch: z.boolean().meta({ description: 'false: the tokenizers differ, and no completion was scored (each scoredWith is null).' }),
      })
      .optional()
      .meta({ description: 'With scoreWith: the model that scored the completions, resolved.' }),
  })
  .meta({ id: 'GenerateResponse' });
export type GenerateResponse = z.infer<typeof GenerateResponseSchema>;

/** The Server-Sent Events of `POST /v1/generate/stream`. */
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
    done: GenerateResponseSchema,
    error: ErrorEnvelopeSchema,
  })
  .meta({
    id: 'GenerateStreamEvents',
    description: 'text/event-stream: `token`* then exactly one of `done` (the body POST /v1/generate returns) or `error` (the envelope); `data` is JSON.',
  });

export const GENERATION_CONTRACT = defineService({
  service: 'generation',
  description: 'Sampling from decoder LMs (ONNX, KV cache, micro-batching), with per-token log-probs and optional hidden states.',
  portOffset: SERVICE_PORT_OFFSETS.generation,
  subjects: {
    'assay.generation.generate': { request: GenerateRequestSchema, reply: GenerateResponseSchema, summary: 'Sample continuations' },
  },
  routes: {
    generate: {
      method: 'post',
      path: '/v1/generate',
      summary: 'Sample continuations',
      description: 'Tokens list every sampled token (EOS and stop-string tokens included); text excludes EOS and the stop string.',
      body: GenerateRequestSchema,
      response: GenerateResponseSchema,
    },
    generateStream: {
      method: 'post',
      path: '/v1/generate/stream',
      summary: 'Sample continuations as Server-Sent Events',
      description:
        '`token` per sampled token as soon as it is decoded, then `done` with the full POST /v1/generate response (same seed, same completions), ' +
        'or `error` with the envelope. Invalid bodies and missing API keys fail as ordinary HTTP errors before the stream opens. Closing the connection cancels the generation.',
      body: GenerateRequestSchema,
      response: GenerateStreamEventsSchema,
      produces: ['text/event-stream'],
    },
  },
});
