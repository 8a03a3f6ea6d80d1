import { z } from 'zod/v4';
import { FiniteNumber, LIMITS, ModelRefSchema, UsageSchema } from './common';

export const SamplingSchema = z.object({
  maxNewTokens: z.number().int().min(1).max(LIMITS.maxNewTokens).default(64),
  temperature: FiniteNumber.min(0).max(10).default(1).meta({ description: '0 means greedy.' }),
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

export const GenerateRequestSchema = z
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
    returnHiddenStates: z.boolean().default(false),
  })
  .extend(SamplingSchema.shape)
  .refine((r) => (r.prompts.length > 0) !== (r.messages !== undefined), { message: 'give either prompts (non-empty) or messages', path: ['prompts'] })
  .meta({ id: 'GenerateRequest' });
export type GenerateRequest = z.infer<typeof GenerateRequestSchema>;

export const GeneratedTokenSchema = z.object({
  id: z.number().int(),
  text: z.string(),
  logprob: z.number().meta({ description: 'Natural-log probability under the model at temperature 1.' }),
  samplingLogprob: z.number().meta({ description: 'Natural-log probability under the sampling distribution actually used.' }),
});

export const CompletionSchema = z.object({
  promptIndex: z.number().int(),
  sampleIndex: z.number().int(),
  text: z.string(),
  tokens: z.array(GeneratedTokenSchema),
  finishReason: z.enum(['eos', 'stop', 'length']),
  hiddenStates: z.array(z.array(z.number())).optional(),
});
export type Completion = z.infer<typeof CompletionSchema>;

export const GenerateResponseSchema = z
  .object({
    model: z.string(),
    version: z.string(),
    completions: z.array(CompletionSchema),
    usage: UsageSchema,
    renderedPrompts: z.array(z.string()).optional().meta({ description: 'messages requests: each conversation as the chat template rendered it.' }),
  })
  .meta({ id: 'GenerateResponse' });
export type GenerateResponse = z.infer<typeof GenerateResponseSchema>;
