import { Injectable } from '@nestjs/common';
import { AssayError, ChatMessage } from '@assay/contracts';
import { HostedModel, ModelHostService } from '@assay/platform';
import { assertEndsWithAssistant, cutAtEndOfTurn, endOfTurnMarker, PROBE_CONVERSATION } from './end-of-turn';

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
