import { Inject, Injectable } from '@nestjs/common';
import { ModelRegistry } from '@assay/artifacts';
import { AssayError, BestOfNRequest, BestOfNResponse, ChatMessage, RewardRerankResponse, RewardScoreRequest, RewardScoreResponse } from '@assay/contracts';
import { AssayConfig, ASSAY_CONFIG, GenerationClient, HostedModel } from '@assay/platform';
import { argmax } from '@assay/stats';
import { candidateConversations, contextConversation } from './end-of-turn';
import { EndOfTurnStates } from './end-of-turn-states.service';
import { HeadStore, LoadedHead } from './head.store';

/** A head with the L it reads, loaded and checked against the caller's expectation. */
export interface HeadOnModel {
  loaded: LoadedHead;
  model: HostedModel;
  id: { name: string; version: string };
}

/** Most stop strings a generate request may carry (LIMITS.maxStopStrings). */
const MAX_STOP = 8;

/**
 * Scoring, reranking and best-of-n with a trained head: rewards are the head applied to L's end-of-turn states of
 * the candidates (one batched pass). Best-of-n samples from L through the generation service in one batch, which
 * returns each sample's end-of-turn state with it; only samples whose text would not re-tokenise to what was sampled
 * take a scoring pass (EndOfTurnStates.sampledStates).
 */
@Injectable()
export class RewardService {
  constructor(
    private readonly heads: HeadStore,
    private readonly states: EndOfTurnStates,
    private readonly registry: ModelRegistry,
    private readonly generation: GenerationClient,
    @Inject(ASSAY_CONFIG) private readonly config: AssayConfig,
  ) {}

  /** The head (NOT_FOUND when unknown) and its L; BAD_REQUEST when the caller names another L than the head's. */
  async headOnModel(headRef: string, expectedModel?: string): Promise<HeadOnModel> {
    const loaded = await this.heads.load(headRef);
    const own = loaded.artifact.model;
    if (expectedModel !== undefined) {
      const { ref } = await this.registry.resolveRef(expectedModel);
      if (ref !== own) {
        throw AssayError.badRequest(`reward head ${loaded.artifact.name}@${loaded.artifact.version} was trained on ${own}, not on ${ref}`, { head: headRef, model: expectedModel, headModel: own });
      }
    }
    const model = await this.states.model(own);
    if (model.info.hiddenSize !== loaded.head.dim) {
      throw AssayError.internal(`reward head ${headRef} reads ${loaded.head.dim}-dimensional states, ${own} has ${model.info.hiddenSize}`);
    }
    return { loaded, model, id: { name: loaded.artifact.name, version: loaded.artifact.version } };
  }

  /** Rewards of conversations that end with the assistant's turn, in one batched pass. */
  async rewardsOf(target: HeadOnModel, conversations: readonly ChatMessage[][]): Promise<number[]> {
    return this.headRewards(target, await this.states.states(target.model, conversations));
  }

  /** The head applied to end-of-turn states (INTERNAL when one is not finite). */
  private headRewards(target: HeadOnModel, states: Float32Array[]): number[] {
    const rewards = Array.from(target.loaded.head.rewards(states));
    const bad = rewards.findIndex((r) => !Number.isFinite(r));
    if (bad >= 0) throw AssayError.internal(`the reward of candidate ${bad} is not finite`);
    return rewards;
  }

  /** Rewards of candidate answers to one context (prompt or messages). */
  async candidateRewards(target: HeadOnModel, context: readonly ChatMessage[], candidates: readonly string[]): Promise<number[]> {
    const marker = await this.states.marker(target.model);
    return this.rewardsOf(target, candidateConversations(context, candidates, marker));
  }

  async score(request: RewardScoreRequest): Promise<RewardScoreResponse> {
    const context = contextConversation(request);
    const target = await this.headOnModel(request.head, request.model);
    const rewards = await this.candidateRewards(target, context, request.candidates);
    return { head: target.id, model: target.loaded.artifact.model, rewards };
  }

  async rerank(request: RewardScoreRequest): Promise<RewardRerankResponse> {
    const scored = await this.score(request);
    const ranked = scored.rewards
      .map((reward, index) => ({ index, candidate: request.candidates[index], reward }))
      .sort((a, b) => b.reward - a.reward || a.index - b.index);
    return { head: scored.head, model: scored.model, ranked };
  }

  async bestOfN(request: BestOfNRequest): Promise<BestOfNResponse> {
    const context = contextConversation(request);
    if (request.maxNewTokens > this.config.runtime.maxNewTokens) {
      throw AssayError.badRequest(`maxNewTokens ${request.maxNewTokens} exceeds the configured cap of ${this.config.runtime.maxNewTokens} (ASSAY_MAX_NEW_TOKENS)`, { field: 'maxNewTokens' });
    }
    const target = await this.headOnModel(request.head, request.model);
    if (request.minReward !== undefined && target.loaded.artifact.loss !== 'separable') {
      throw AssayError.badRequest(`minReward needs a separable head (anchored rewards); ${request.head} is ${target.loaded.artifact.loss}, whose rewards are meaningful only against each other`, { field: 'minReward' });
    }
    const [marker, markerId] = await Promise.all([this.states.marker(target.model), this.states.markerTokenId(target.model)]);
    // A model that writes the marker as text (not a special token) stops at it too.
    const stop = request.stop.includes(marker) || request.stop.length >= MAX_STOP ? request.stop : [...request.stop, marker];
    const generated = await this.generation.generate({
      model: target.loaded.artifact.model,
      messages: context,
      n: request.n,
      maxNewTokens: request.maxNewTokens,
      temperature: request.temperature,
      topK: request.topK,
      topP: request.topP,
      stop,
      ...(request.seed !== undefined ? { seed: request.seed } : {}),
      // The decode loop feeds the marker after each sample and returns that one state: no second pass (spec §3).
      ...(markerId !== undefined ? { endOfTurnToken: marker } : {}),
    });
    const completions = [...generated.completions].sort((a, b) => a.sampleIndex - b.sampleIndex);
    const { states, rescored } = await this.states.sampledStates(target.model, context, completions, generated.renderedPrompts?.[0]);
    const rewards = this.headRewards(target, states);
    const samples = completions.map((c, i) => ({ text: c.text, reward: rewards[i], finishReason: c.finishReason }));
    const best = argmax(rewards);
    const base = { head: target.id, model: target.loaded.artifact.model, samples, rescored };
    if (request.minReward !== undefined && rewards[best] < request.minReward) {
      return { ...base, chosen: null, text: null, reward: null, outcome: 'no-acceptable-candidate' };
    }
    return { ...base, chosen: best, text: samples[best].text, reward: rewards[best], outcome: 'chosen' };
  }
}
