import { z } from 'zod/v4';
import { FiniteNumber, LIMITS, ModelRefSchema, samplingTemperature } from './common';
import { AttemptSchema, CertificateSchema, CertifyResponseSchema, REFUSAL_TEXT } from './certifier';
import { defineService } from './contract';
import { SERVICE_PORT_OFFSETS } from './services';

/**
 * The gateway: named, versioned assurance policies, and an OpenAI-compatible API (`/v1/chat/completions`,
 * `/v1/completions`, `/v1/models`) whose `model` names a policy (certified answers) or a plain registered model.
 */

/** Most choices (`n`) one OpenAI request may ask for: each choice is one certification of up to T draws. */
export const GATEWAY_MAX_N = 8;

export const PolicyNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'a policy name is lowercase letters, digits, ".", "_" and "-" (at most 64)')
  .meta({ description: 'Policy name; OpenAI clients send it as `model`.' });

export const PolicyRefSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}(@[0-9]{1,9})?$/, 'expected "name" or "name@version" (an integer version)')
  .meta({ description: 'A policy: "name" (latest version) or "name@version".' });

export const PolicySpecSchema = z
  .object({
    name: PolicyNameSchema,
    description: z.string().max(1000).default(''),
    model: ModelRefSchema.meta({ description: 'The large model L that answers.' }),
    guide: ModelRefSchema.meta({ description: 'The guide G of VALID (trained on in-domain responses only).' }),
    k: FiniteNumber.min(-64).max(64).meta({ description: 'Allowed log2-likelihood ratio per token (bits/token).' }),
    T: z.number().int().min(1).max(64).default(4).meta({ description: 'Draws before abstaining (the certificate charges log2 T).' }),
    maxLog2Epsilon: FiniteNumber.optional().meta({ description: 'Reject draws whose certificate log2 ε_y exceeds this (0: only non-vacuous answers).' }),
    rectifier: z
      .object({ name: ModelRefSchema, epsilon: FiniteNumber.min(0).max(1).optional() })
      .optional()
      .meta({ description: 'Draw from the rectified L of this registered rectifier (dead-end caps); the certificate uses the rectified sampling log-probability.' }),
    rewardHead: ModelRefSchema.optional().meta({ description: 'Rerank the accepted draws by this reward head (the highest reward among accepted draws is returned).' }),
    calibrator: ModelRefSchema.optional().meta({ description: 'Attach P(correct) from this calibrator to the returned answer.' }),
    sampling: z
      .object({
        maxNewTokens: z.number().int().min(1).max(LIMITS.maxNewTokens).default(64),
        temperature: samplingTemperature(10).default(1),
        topK: z.number().int().min(0).default(0),
      })
      .prefault({})
      .meta({ description: 'Defaults; a request may override max_tokens and temperature.' }),
    refusalText: z.string().min(1).max(2000).default(REFUSAL_TEXT).meta({ description: 'The answer of an abstention (finish_reason "content_filter").' }),
  })
  .meta({ id: 'PolicySpec' });
export type PolicySpec = z.infer<typeof PolicySpecSchema>;

export const PolicySchema = PolicySpecSchema.extend({
  version: z.number().int().min(1),
  createdAt: z.string(),
}).meta({ id: 'Policy' });
export type Policy = z.infer<typeof PolicySchema>;

export const PolicyGetRequestSchema = z.object({ ref: PolicyRefSchema }).meta({ id: 'PolicyGetRequest' });
export const PolicyListRequestSchema = z.object({ name: PolicyNameSchema.optional().meta({ description: 'Every version of this policy; all policies (latest versions) when absent.' }) });
export const PolicyListSchema = z.object({ policies: z.array(PolicySchema) }).meta({ id: 'PolicyList' });
export const PolicyDeleteRequestSchema = z.object({ name: PolicyNameSchema });
export const PolicyDeletedSchema = z.object({ name: z.string(), deletedVersions: z.number().int() }).meta({ id: 'PolicyDeleted' });

// ---- OpenAI-compatible wire shapes (the subset Assay serves) ----

const StopSchema = z.union([z.string().min(1).max(64), z.array(z.string().min(1).max(64)).max(LIMITS.maxStopStrings)]);

const OpenAiCommon = {
  model: z.string().min(1).max(200).meta({ description: 'A policy (`name` or `name@version`) or a plain registered model.' }),
  n: z.number().int().min(1).max(GATEWAY_MAX_N, `n must be at most ${GATEWAY_MAX_N}`).default(1),
  max_tokens: z.number().int().min(1).max(LIMITS.maxNewTokens).nullish(),
  max_completion_tokens: z.number().int().min(1).max(LIMITS.maxNewTokens).nullish(),
  temperature: FiniteNumber.min(0).max(2).nullish(),
  top_p: FiniteNumber.gt(0).max(1).nullish(),
  seed: z.number().int().min(0).max(2 ** 32 - 1).nullish(),
  stop: StopSchema.nullish(),
  stream: z.boolean().nullish(),
  user: z.string().max(256).nullish(),
};

export const ChatCompletionMessageSchema = z.object({
  role: z.enum(['system', 'developer', 'user', 'assistant']),
  content: z.string({ error: 'message content must be a string' }).max(LIMITS.maxTextChars),
  name: z.string().max(64).optional(),
});

export const ChatCompletionRequestSchema = z
  .object({ ...OpenAiCommon, messages: z.array(ChatCompletionMessageSchema).min(1).max(LIMITS.maxBatch) })
  .meta({ id: 'ChatCompletionRequest' });
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequestSchema>;

export const CompletionRequestSchema = z
  .object({ ...OpenAiCommon, prompt: z.string({ error: 'prompt must be a string' }).min(1).max(LIMITS.maxTextChars) })
  .meta({ id: 'CompletionRequest' });
export type CompletionRequest = z.infer<typeof CompletionRequestSchema>;

export const AssayBlockSchema = z
  .object({
    policy: z.object({ name: z.string(), version: z.number().int() }).nullable().meta({ description: 'null for a plain model (no assurance).' }),
    status: z.enum(['accepted', 'abstained', 'unassured']),
    certificate: CertificateSchema.nullable(),
    attempts: z.array(AttemptSchema).optional(),
    reward: FiniteNumber.nullable().meta({ description: 'The reward head\'s reward of the returned answer (rerank stage).' }),
    pCorrect: FiniteNumber.nullable().meta({ description: 'The calibrator\'s P(correct) of the returned answer (confidence stage).' }),
    rectification: CertifyResponseSchema.shape.rectification.unwrap(),
    stages: z.array(z.string()).meta({ description: 'The stages this answer went through, in order.' }),
    traceId: z.string().nullable(),
  })
  .meta({ id: 'AssayBlock' });
export type AssayBlock = z.infer<typeof AssayBlockSchema>;

const OpenAiUsageSchema = z.object({ prompt_tokens: z.number().int(), completion_tokens: z.number().int(), total_tokens: z.number().int() });

export const ChatCompletionSchema = z
  .object({
    id: z.string(),
    object: z.literal('chat.completion'),
    created: z.number().int(),
    model: z.string(),
    choices: z.array(
      z.object({
        index: z.number().int(),
        message: z.object({ role: z.literal('assistant'), content: z.string(), refusal: z.string().nullable() }),
        finish_reason: z.enum(['stop', 'length', 'content_filter']),
        logprobs: z.null(),
        assay: AssayBlockSchema,
      }),
    ),
    usage: OpenAiUsageSchema,
    assay: AssayBlockSchema.meta({ description: 'The first choice\'s block (each choice also carries its own).' }),
  })
  .meta({ id: 'ChatCompletion' });
export type ChatCompletion = z.infer<typeof ChatCompletionSchema>;

export const TextCompletionSchema = z
  .object({
    id: z.string(),
    object: z.literal('text_completion'),
    created: z.number().int(),
    model: z.string(),
    choices: z.array(z.object({ index: z.number().int(), text: z.string(), finish_reason: z.enum(['stop', 'length', 'content_filter']), logprobs: z.null(), assay: AssayBlockSchema })),
    usage: OpenAiUsageSchema,
    assay: AssayBlockSchema,
  })
  .meta({ id: 'TextCompletion' });
export type TextCompletion = z.infer<typeof TextCompletionSchema>;

export const ModelListSchema = z
  .object({
    object: z.literal('list'),
    data: z.array(
      z.object({
        id: z.string(),
        object: z.literal('model'),
        created: z.number().int(),
        owned_by: z.string(),
        assay: z.object({ kind: z.enum(['policy', 'model']), version: z.string() }),
      }),
    ),
  })
  .meta({ id: 'ModelList' });
export type ModelList = z.infer<typeof ModelListSchema>;

/** OpenAI's error body, with Assay's error code in `code` (NOT_FOUND, BAD_REQUEST, PAYLOAD_TOO_LARGE, ...). */
export const OpenAiErrorSchema = z
  .object({ error: z.object({ message: z.string(), type: z.string(), param: z.string().nullable(), code: z.string() }) })
  .meta({ id: 'OpenAiError' });
export type OpenAiError = z.infer<typeof OpenAiErrorSchema>;

export const GATEWAY_CONTRACT = defineService({
  service: 'gateway',
  description: 'OpenAI-compatible endpoint for assured answers (policies composing rectification, VALID, reranking and calibrated confidence) and the web console.',
  portOffset: SERVICE_PORT_OFFSETS.gateway,
  subjects: {
    'assay.gateway.create': { request: PolicySpecSchema, reply: PolicySchema, summary: 'Create a policy, or a new version of it' },
    'assay.gateway.get': { request: PolicyGetRequestSchema, reply: PolicySchema, summary: 'One policy version (latest by default)' },
    'assay.gateway.list': { request: PolicyListRequestSchema, reply: PolicyListSchema, summary: 'Policies (latest versions), or every version of one' },
    'assay.gateway.delete': { request: PolicyDeleteRequestSchema, reply: PolicyDeletedSchema, summary: 'Delete every version of a policy' },
  },
  routes: {
    createPolicy: { method: 'post', path: '/v1/policies', status: 201, summary: 'Create a policy, or a new version of it', body: PolicySpecSchema, response: PolicySchema },
    listPolicies: { method: 'get', path: '/v1/policies', summary: 'Policies (latest versions)', response: PolicyListSchema },
    getPolicy: { method: 'get', path: '/v1/policies/{ref}', summary: 'One policy version', params: { ref: PolicyRefSchema }, response: PolicySchema },
    deletePolicy: { method: 'post', path: '/v1/policies/{name}/delete', summary: 'Delete every version of a policy', params: { name: PolicyNameSchema }, response: PolicyDeletedSchema },
    chatCompletions: {
      method: 'post',
      path: '/v1/chat/completions',
      summary: 'OpenAI chat completion, certified by the policy named in `model`',
      description:
        'Errors are OpenAI-shaped ({error: {message, type, param, code}}) with Assay\'s code. With `stream: true`, standard chunks end in `data: [DONE]`; for a policy, the text is sent only once it is accepted.',
      body: ChatCompletionRequestSchema,
      response: ChatCompletionSchema,
      produces: ['application/json', 'text/event-stream'],
    },
    completions: {
      method: 'post',
      path: '/v1/completions',
      summary: 'OpenAI text completion, certified by the policy named in `model`',
      body: CompletionRequestSchema,
      response: TextCompletionSchema,
      produces: ['application/json', 'text/event-stream'],
    },
    listModels: { method: 'get', path: '/v1/models', summary: 'Policies and plain registered models, as OpenAI models', response: ModelListSchema },
  },
});
