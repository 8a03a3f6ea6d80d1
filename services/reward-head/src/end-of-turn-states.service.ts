import { Injectable } from '@nestjs/common';
import { AssayError, ChatMessage, Completion } from '@assay/contracts';
import { HostedModel, ModelHostService } from '@assay/platform';
import { assertEndsWithAssistant, candidateConversations, cutAtEndOfTurn, endOfTurnMarker, ownTokenIds, PROBE_CONVERSATION, statesFollowScoredTokens } from './end-of-turn';

/** End-of-turn states of sampled answers, and how many took a scoring pass of their own. */
export interface SampledStates {
  states: Float32Array[];
  rescored: number;
}

/**
 * L's final-norm hidden states at the assistant's end-of-turn token (spec dph.md §3, §7), run in-process by the model
 * host: every conversation rendered with L's chat template, cut after its last end-of-turn marker, and all of them
 * in one hidden-states request (one batched forward pass; rows are left-padded with an attention mask, so a row's
 * state does not depend on its batch). Also the log baseline of multiple choice: the mean log-probability of each
 * answer's tokens after the rendered prompt.
 */
@Injectable()
export class EndOfTurnStates {
  private readonly markers = new Map<string, Promise<string>>();
  private readonly markerIds = new Map<string, Promise<number | undefined>>();

  constructor(private readonly models: ModelHostService) {}

  /** The loaded L, checked to have final-norm hidden states and a chat template (BAD_REQUEST otherwise). */
  async model(ref: string): Promise<HostedModel> {
    const model = await this.models.acquire(ref);
    if (!model.info.hasHiddenStates) {
      throw AssayError.badRequest(`model ${model.key} has no final-norm hidden-states output (add it with \`assay models prepare\`)`, { model: ref });
    }
    if (!model.info.hasChatTemplate) throw AssayError.badRequest(`model ${model.key} has no chat template (tokenizer_config.json chat_template)`, { model: ref });
    return model;
  }

  /** The template's end-of-turn marker (e.g. `<|im_end|>`), found once per model. */
  marker(model: HostedModel): Promise<string> {
    let marker = this.markers.get(model.key);
    if (!marker) {
      marker = this.models.engine.renderChat({ model: model.key, messages: PROBE_CONVERSATION, addGenerationPrompt: false }).then((r) => endOfTurnMarker(r.text));
      this.markers.set(model.key, marker);
      marker.catch(() => this.markers.delete(model.key));
    }
    return marker;
  }

  /** The marker's token id when it is one token (a special token): then generation can return end-of-turn states. */
  markerTokenId(model: HostedModel): Promise<number | undefined> {
    let id = this.markerIds.get(model.key);
    if (!id) {
      id = this.marker(model)
        .then((marker) => this.models.engine.tokenize({ model: model.key, texts: [marker] }))
        .then(({ tokenIds: [ids] }) => (ids.length === 1 ? ids[0] : undefined));
      this.markerIds.set(model.key, id);
      id.catch(() => this.markerIds.delete(model.key));
    }
    return id;
  }

  /**
   * The end-of-turn states of answers sampled for `context` (by generate with endOfTurnToken = the marker, from the
   * prompt `renderedPrompt`). A sample's own endOfTurnState is used when it was computed over exactly the token ids
   * that scoring its text feeds (the rendered prompt's, the sample's own tokens, the marker: see
   * statesFollowScoredTokens), so its reward is the one `score` gives for the text up to float rounding; the others
   * (text cut by a stop string, a special token the text skips, tokens that re-tokenise differently, no state) get
   * one batched pass over their texts, as `score` runs it.
   */
  async sampledStates(model: HostedModel, context: readonly ChatMessage[], samples: readonly Completion[], renderedPrompt: string | undefined): Promise<SampledStates> {
    if (samples.length === 0) return { states: [], rescored: 0 };
    const marker = await this.marker(model);
    const texts = await this.rewardTexts(model, candidateConversations(context, samples.map((s) => s.text), marker));
    const states = new Array<Float32Array | undefined>(samples.length).fill(undefined);
    const markerId = await this.markerTokenId(model);
    if (markerId !== undefined && renderedPrompt !== undefined && samples.some((s) => s.endOfTurnState?.length === model.info.hiddenSize)) {
      const { text: promptText, tokenIds: promptIds } = await this.models.engine.renderChat({ model: model.key, messages: [...context], addGenerationPrompt: true });
      // The generation service rendered the same prompt (same template), so it fed the same prompt tokens.
      if (promptText === renderedPrompt) {
        const { tokenIds } = await this.models.engine.tokenize({ model: model.key, texts });
        samples.forEach((sample, i) => {
          const state = sample.endOfTurnState;
          if (state?.length === model.info.hiddenSize && statesFollowScoredTokens(tokenIds[i], promptIds, ownTokenIds(sample), markerId)) states[i] = Float32Array.from(state);
        });
      }
    }
    const missing = states.flatMap((state, i) => (state ? [] : [i]));
    if (missing.length > 0) {
      // All of this request's rescored samples are in this pass: nothing to wait for (the batching window).
      const out = await this.models.engine.hiddenStates({ model: model.key, texts: missing.map((i) => texts[i]), pooling: 'last', addBos: false, immediate: true });
      missing.forEach((i, j) => (states[i] = out.vectors[j]));
    }
    return { states: states as Float32Array[], rescored: missing.length };
  }

  /** The texts whose last token is each conversation's assistant end-of-turn token. */
  async rewardTexts(model: HostedModel, conversations: readonly ChatMessage[][]): Promise<string[]> {
    conversations.forEach((c, i) => assertEndsWithAssistant(c, i));
    const marker = await this.marker(model);
    return Promise.all(
      conversations.map(async (messages) => {
        const { text } = await this.models.engine.renderChat({ model: model.key, messages, addGenerationPrompt: false });
        return cutAtEndOfTurn(text, marker, messages[messages.length - 1].content);
      }),
    );
  }

  /** One state per conversation (each ending with the assistant's turn), in one batched pass. */
  async states(model: HostedModel, conversations: readonly ChatMessage[][]): Promise<Float32Array[]> {
    if (conversations.length === 0) return [];
    const texts = await this.rewardTexts(model, conversations);
    const out = await this.models.engine.hiddenStates({ model: model.key, texts, pooling: 'last', addBos: false });
    return out.vectors;
  }

  /**
   * The log baseline (spec §3): per answer, the mean log-probability of its tokens after the context rendered with
   * the assistant's turn opened (content tokens only: neither template tokens nor the end-of-turn marker).
   */
  async meanAnswerLogprobs(model: HostedModel, context: readonly ChatMessage[], answers: readonly string[]): Promise<number[]> {
    const { text: prompt } = await this.models.engine.renderChat({ model: model.key, messages: [...context], addGenerationPrompt: true });
    const out = await this.models.engine.score({ model: model.key, items: answers.map((continuation) => ({ context: prompt, continuation })), addBos: false });
    return out.results.map((r) => r.sumLogprob / Math.max(1, r.numTokens));
  }
}
