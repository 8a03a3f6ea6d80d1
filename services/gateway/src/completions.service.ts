import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { ModelRegistry } from '@assay/artifacts';
import {
  AssayBlock,
  AssayError,
  ChatCompletion,
  ChatCompletionRequest,
  CompletionRequest,
  CertifyResponse,
  ModelList,
  Policy,
  splitModelRef,
  TextCompletion,
} from '@assay/contracts';
import { CertifierClient, derivedSeed, GenerationClient } from '@assay/platform';
import { activeTraceIds, ATTR, withSpan } from '@assay/telemetry';
import { PolicyService, splitPolicyRef } from './policy.service';
import { RecentRequest, RecentRequests } from './recent-requests';

type FinishReason = 'stop' | 'length' | 'content_filter';
/** One answer of a request (a choice), before it is put in OpenAI's shape. */
export interface Answer {
  text: string;
  finishReason: FinishReason;
  assay: AssayBlock;
}
interface Answers {
  answers: Answer[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}
type Input = { prompt: string } | { messages: ChatCompletionRequest['messages'] };
type Common = Pick<ChatCompletionRequest, 'model' | 'n' | 'max_tokens' | 'max_completion_tokens' | 'temperature' | 'top_p' | 'seed' | 'stop'>;

const FINISH: Record<string, FinishReason> = { eos: 'stop', stop: 'stop', length: 'length' };

/**
 * The OpenAI-compatible answers. `model` names a policy (`name` or `name@version`), answered by the certifier with the
 * policy's stages (each choice one certification: rectified draws, VALID, reranking among accepted draws, calibrated
 * confidence), or a plain registered model, answered by the generation service without assurance. An abstention is
 * an ordinary choice whose text is the policy's refusal, with finish_reason "content_filter".
 */
@Injectable()
export class CompletionsService {
  constructor(
    private readonly policies: PolicyService,
    private readonly certifier: CertifierClient,
    private readonly generation: GenerationClient,
    private readonly registry: ModelRegistry,
    private readonly recent: RecentRequests,
  ) {}

  async chat(request: ChatCompletionRequest): Promise<ChatCompletion> {
    const { id, created, answers, usage, assay } = await this.answer('chat', request, { messages: request.messages });
    return {
      id: `chatcmpl-${id}`,
      object: 'chat.completion',
      created,
      model: request.model,
      choices: answers.map((a, index) => ({
        index,
        message: { role: 'assistant', content: a.text, refusal: a.finishReason === 'content_filter' ? a.text : null },
        finish_reason: a.finishReason,
        logprobs: null,
        assay: a.assay,
      })),
      usage,
      assay,
    };
  }

  async complete(request: CompletionRequest): Promise<TextCompletion> {
    const { id, created, answers, usage, assay } = await this.answer('completion', request, { prompt: request.prompt });
    return {
      id: `cmpl-${id}`,
      object: 'text_completion',
      created,
      model: request.model,
      choices: answers.map((a, index) => ({ index, text: a.text, finish_reason: a.finishReason, logprobs: null, assay: a.assay })),
      usage,
      assay,
    };
  }

  /** Policies (latest versions) and plain registered models. */
  async models(): Promise<ModelList> {
    const [{ policies }, models] = await Promise.all([this.policies.list(), this.registry.list()]);
    const created = (iso: string | undefined) => Math.floor((iso ? Date.parse(iso) : 0) / 1000) || 0;
    return {
      object: 'list',
      data: [
        ...policies.map((p) => ({ id: p.name, object: 'model' as const, created: created(p.createdAt), owned_by: 'assay-policy', assay: { kind: 'policy' as const, version: String(p.version) } })),
        ...models
          .filter((m) => !policies.some((p) => p.name === m.name))
          .map((m) => ({ id: m.name, object: 'model' as const, created: 0, owned_by: 'assay', assay: { kind: 'model' as const, version: m.latestVersion } })),
      ],
    };
  }

  private async answer(kind: 'chat' | 'completion', request: Common, input: Input) {
    const started = Date.now();
    const id = randomBytes(12).toString('hex');
    const created = Math.floor(started / 1000);
    const result = await withSpan('gateway.completion', { attributes: { [ATTR.assayOperation]: `gateway.${kind}`, [ATTR.genAiRequestModel]: request.model } }, async (span) => {
      const policy = await this.policyOf(request.model);
      const out = policy ? await this.assured(policy, request, input) : await this.plain(request, input);
      span.setAttribute('assay.gateway.statuses', out.answers.map((a) => a.assay.status).join(','));
      return out;
    });
    const entry: RecentRequest = {
      id,
      at: new Date(started).toISOString(),
      model: request.model,
      kind,
      prompt: 'prompt' in input ? input.prompt : input.messages.map((m) => `${m.role}: ${m.content}`).join('\n'),
      choices: result.answers.map((a) => ({ text: a.text, finishReason: a.finishReason, assay: a.assay })),
      latencyMs: Date.now() - started,
    };
    this.recent.add(entry);
    return { id, created, ...result, assay: result.answers[0].assay };
  }

  /** The policy `model` names, or null when it names none (then it must be a plain registered model). */
  private async policyOf(model: string): Promise<Policy | null> {
    if (!/^[a-z0-9][a-z0-9._-]{0,63}(@[0-9]{1,9})?$/.test(model)) return null;
    const { name, version } = splitPolicyRef(model);
    const latest = await this.policies.latestOf(name);
    if (latest === null) return null;
    return version === undefined ? latest : this.policies.get(model);
  }

  /** n certifications with the policy's stages, in parallel (each an independent answer; seeded per choice). */
  private async assured(policy: Policy, request: Common, input: Input): Promise<Answers> {
    const traceId = activeTraceIds().traceId ?? null;
    const responses = await Promise.all(
      Array.from({ length: request.n }, (_, i) =>
        this.certifier.certify({
          model: policy.model,
          guide: policy.guide,
          ...input,
          k: policy.k,
          T: policy.T,
          maxLog2Epsilon: policy.maxLog2Epsilon,
          maxNewTokens: request.max_completion_tokens ?? request.max_tokens ?? policy.sampling.maxNewTokens,
          temperature: request.temperature ?? policy.sampling.temperature,
          topK: policy.sampling.topK,
          seed: request.seed === null || request.seed === undefined ? undefined : derivedSeed(request.seed, i),
          ...(policy.rectifier ? { rectifier: policy.rectifier } : {}),
          ...(policy.rewardHead ? { rerank: { head: policy.rewardHead } } : {}),
          ...(policy.calibrator ? { confidence: { calibrator: policy.calibrator } } : {}),
        }),
      ),
    );
    const answers = responses.map((r) => this.assuredAnswer(policy, r, traceId));
    const promptTokens = responses[0].usage?.inputTokens ?? 0;
    const completionTokens = responses.reduce((s, r) => s + (r.usage?.outputTokens ?? 0), 0);
    return { answers, usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens } };
  }

  private assuredAnswer(policy: Policy, response: CertifyResponse, traceId: string | null): Answer {
    const accepted = response.status === 'accepted';
    const chosen = accepted && response.chosen !== undefined ? response.attempts[response.chosen] : undefined;
    return {
      text: accepted ? response.text : policy.refusalText,
      finishReason: accepted ? (FINISH[chosen?.finishReason ?? 'eos'] ?? 'stop') : 'content_filter',
      assay: {
        policy: { name: policy.name, version: policy.version },
        status: response.status,
        certificate: response.certificate ?? null,
        attempts: response.attempts,
        reward: response.reward ?? null,
        pCorrect: response.pCorrect ?? null,
        rectification: response.rectification ?? null,
        stages: response.stages ?? ['sample', 'certify'],
        traceId,
      },
    };
  }

  /** A plain registered model: n samples from the generation service, no assurance. */
  private async plain(request: Common, input: Input): Promise<Answers> {
    const { name } = splitModelRef(request.model);
    const known = /^[a-z0-9][a-z0-9._-]{0,63}(@[a-z0-9][a-z0-9._-]{0,63})?$/.test(request.model) ? await this.registry.versions(name).catch(() => [] as string[]) : [];
    if (known.length === 0) throw AssayError.notFound(`the model ${request.model} does not exist: it is neither a policy nor a registered model`, { field: 'model', model: request.model });
    const stop = request.stop === null || request.stop === undefined ? [] : typeof request.stop === 'string' ? [request.stop] : request.stop;
    const reply = await this.generation.generate({
      model: request.model,
      ...('prompt' in input ? { prompts: [input.prompt] } : { messages: input.messages.map((m) => ({ role: m.role, content: m.content })) }),
      n: request.n,
      ...(request.max_completion_tokens ?? request.max_tokens ? { maxNewTokens: (request.max_completion_tokens ?? request.max_tokens)! } : {}),
      temperature: request.temperature ?? 1,
      topP: request.top_p ?? 1,
      ...(request.seed === null || request.seed === undefined ? {} : { seed: request.seed }),
      stop,
    });
    const traceId = activeTraceIds().traceId ?? null;
    return {
      answers: reply.completions.map((c) => ({
        text: c.text,
        finishReason: FINISH[c.finishReason] ?? 'stop',
        assay: { policy: null, status: 'unassured', certificate: null, reward: null, pCorrect: null, rectification: null, stages: ['sample'], traceId },
      })),
      usage: { prompt_tokens: reply.usage.inputTokens, completion_tokens: reply.usage.outputTokens, total_tokens: reply.usage.inputTokens + reply.usage.outputTokens },
    };
  }
}
