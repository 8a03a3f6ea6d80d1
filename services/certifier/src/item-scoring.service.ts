import { Inject, Injectable } from '@nestjs/common';
import { ScoreResponse } from '@assay/contracts';
import { AssayConfig, ASSAY_CONFIG, GenerationClient, JOB_RPC_TIMEOUT_MS, LikelihoodClient, ScoreItemInput } from '@assay/platform';
import { predictedLetter } from './benchmark-summary';
import { responseTokens } from './certify-attempts';
import type { EvaluationItem, MultipleChoiceItem } from './evaluation-items';
import type { ScoredItem } from './evaluation-summary';
import { estimatedItemBytes, fitResponse, packBatches, trimLeftToTokens } from './item-fitting';
import { ModelFacts, ModelFactsService } from './model-facts.service';
import { ModelPairService } from './model-pair.service';

const LN2 = Math.LN2;

export interface ScoringPair {
  large: ModelFacts;
  guide: ModelFacts;
  tokenizersMatch: boolean;
}

export interface ScoringSettings {
  maxResponseTokens: number;
  maxNewTokens: number;
  temperature: number;
  seed: number;
}

/** An item cut to fit: L's context, and either L's response ids or a prompt L must answer first. */
export interface PreparedItem {
  set: 'id' | 'ood';
  index: number;
  context: string;
  ids?: number[];
  generate?: boolean;
}

export interface PreparedChoice {
  context: string;
  letters: string[];
  answerIdx: string;
}

/**
 * Scores evaluation items with L and G through the generation and likelihood services, with the certify path's
 * rules (certify-attempts.ts): L scores y after the prompt (or BOS alone), G scores BOS + y and never the prompt;
 * EOS is neither scored nor counted; with matching tokenizers G rescores L's ids and N_y is L's count, otherwise G
 * re-tokenizes the decoded text and N_y is G's count.
 */
@Injectable()
export class ItemScoringService {
  constructor(
    private readonly generation: GenerationClient,
    private readonly likelihood: LikelihoodClient,
    private readonly facts: ModelFactsService,
    private readonly pairs: ModelPairService,
    @Inject(ASSAY_CONFIG) private readonly config: AssayConfig,
  ) {}

  async resolve(model: string, guide: string): Promise<{ model: string; guide: string }> {
    const [m, g] = await Promise.all([this.facts.resolve(model), this.facts.resolve(guide)]);
    return { model: m, guide: g };
  }

  async pair(model: string, guide: string): Promise<ScoringPair> {
    const [large, guideFacts, tokenizersMatch] = await Promise.all([this.facts.get(model), this.facts.get(guide), this.pairs.tokenizersMatch(model, guide)]);
    return { large, guide: guideFacts, tokenizersMatch };
  }

  /** Cuts items to fit; items that cannot be scored (nothing left) come back as zero-token placeholders. */
  prepare(pair: ScoringPair, items: readonly EvaluationItem[], kind: 'responses' | 'prompts', set: 'id' | 'ood', settings: ScoringSettings): { items: PreparedItem[]; unscorable: ScoredItem[] } {
    const { large } = pair;
    const prepared: PreparedItem[] = [];
    const unscorable: ScoredItem[] = [];
    const maxNew = this.generationLength(pair, settings);
    items.forEach((item, index) => {
      if (kind === 'prompts') {
        const context = trimLeftToTokens(item.prompt ?? '', large.contextLength - 1 - maxNew, large.encode);
        if (context.trim()) prepared.push({ set, index, context, generate: true });
        else unscorable.push(placeholder(set, index));
        return;
      }
      const { ids } = fitResponse(large.encode(item.response ?? ''), settings.maxResponseTokens, large, pair.guide, pair.tokenizersMatch);
      if (ids.length === 0) return unscorable.push(placeholder(set, index));
      prepared.push({ set, index, ids, context: trimLeftToTokens(item.prompt ?? '', large.contextLength - 1 - ids.length, large.encode) });
    });
    return { items: prepared, unscorable };
  }

  /** Multiple-choice prompts cut so that the longest option marker still fits after them. */
  prepareChoices(pair: ScoringPair, questions: readonly MultipleChoiceItem[], fill: (q: MultipleChoiceItem) => string, marker: (letter: string) => string): PreparedChoice[] {
    const { large } = pair;
    return questions.map((q) => {
      const letters = q.options.map(([letter]) => letter);
      const longest = Math.max(...letters.map((l) => large.encode(marker(l)).length));
      return { context: trimLeftToTokens(fill(q), large.contextLength - 1 - longest, large.encode), letters, answerIdx: q.answerIdx };
    });
  }

  /** Batches bounded by scored rows (the runtime's batch cap) and by message bytes (NATS's 1 MB). */
  batches<T>(items: readonly T[], measure: (item: T) => { bytes: number; rows: number }): T[][] {
    // Half of the message cap leaves room for the reply's per-token detail and the envelope.
    return packBatches(items, measure, { maxRows: Math.min(this.config.runtime.maxBatch, 64), maxBytes: Math.floor(this.config.nats.maxMessageBytes / 2) });
  }

  itemSize(pair: ScoringPair, settings: ScoringSettings): (item: PreparedItem) => { bytes: number; rows: number } {
    const maxNew = this.generationLength(pair, settings);
    return (item) => ({ bytes: estimatedItemBytes(item.context.length, item.ids?.length ?? maxNew), rows: 1 });
  }

  /**
   * L's log-probability of a generated answer is its sampling log-probability, as on the certify path (spec
   * pitfall 4: score L under the distribution sampled from, temperature included); given responses are scored by
   * the likelihood service at temperature 1.
   */
  async scoreBatch(pair: ScoringPair, batch: readonly PreparedItem[], settings: ScoringSettings): Promise<ScoredItem[]> {
    const generated = await this.generateFor(pair, batch.filter((i) => i.generate), settings);
    const ready = batch.map((item) => {
      const sampled = item.generate ? generated.get(item) : undefined;
      const fitted = fitResponse(sampled ? sampled.ids : item.ids ?? [], settings.maxResponseTokens, pair.large, pair.guide, pair.tokenizersMatch);
      const sampledLog2L = sampled ? sampled.samplingLogprobs.slice(0, fitted.ids.length).reduce((s, v) => s + v, 0) / LN2 : undefined;
      return { item, ...fitted, sampledLog2L };
    });
    const scorable = ready.filter((r) => r.ids.length > 0 && r.text.length > 0);
    const toRescore = scorable.filter((r) => r.sampledLog2L === undefined);
    const [large, guide] = await Promise.all([
      toRescore.length ? this.score(pair.large.ref, toRescore.map((r) => ({ context: r.item.context, continuationIds: r.ids }))) : undefined,
      scorable.length ? this.score(pair.guide.ref, scorable.map((r) => (pair.tokenizersMatch ? { context: '', continuationIds: r.ids } : { context: '', continuation: r.text }))) : undefined,
    ]);
    const largeOf = new Map(toRescore.map((r, i) => [r, large!.results[i]]));
    const guideOf = new Map(scorable.map((r, i) => [r, guide!.results[i]]));
    return ready.map((r) => {
      const g = guideOf.get(r);
      if (!g) return placeholder(r.item.set, r.item.index);
      const log2L = r.sampledLog2L ?? largeOf.get(r)!.sumLogprob / LN2;
      return { set: r.item.set, index: r.item.index, nTokens: pair.tokenizersMatch ? r.ids.length : g.numTokens, log2L, log2G: g.sumLogprob / LN2 };
    });
  }

  /** Path A of certified benchmarking: whether L's best-scored option marker is the gold letter, per question. */
  async chooseBatch(pair: ScoringPair, batch: readonly PreparedChoice[], marker: (letter: string) => string): Promise<Array<{ correct: boolean; predicted: string }>> {
    const rows = batch.flatMap((q) => q.letters.map((letter) => ({ context: q.context, continuation: marker(letter) })));
    const scored = await this.score(pair.large.ref, rows);
    let next = 0;
    return batch.map((q) => {
      const predicted = predictedLetter(q.letters, q.letters.map(() => scored.results[next++].sumLogprob));
      return { correct: predicted === q.answerIdx, predicted };
    });
  }

  private generationLength(pair: ScoringPair, settings: ScoringSettings): number {
    return Math.max(1, Math.min(settings.maxNewTokens, this.config.runtime.maxNewTokens, pair.large.contextLength - 2));
  }

  /**
   * L's answers to the batch's prompts, by position in the batch. One seed for every prompt: the runtime draws each
   * prompt's sample from a stream keyed by (seed, prompt), so an answer does not depend on its batch.
   */
  private async generateFor(pair: ScoringPair, items: readonly PreparedItem[], settings: ScoringSettings): Promise<Map<PreparedItem, { ids: number[]; samplingLogprobs: number[] }>> {
    const out = new Map<PreparedItem, { ids: number[]; samplingLogprobs: number[] }>();
    if (items.length === 0) return out;
    const reply = await this.generation.generate(
      {
        model: pair.large.ref,
        prompts: items.map((i) => i.context),
        n: 1,
        maxNewTokens: this.generationLength(pair, settings),
        temperature: settings.temperature,
        topK: 0,
        topP: 1,
        seed: settings.seed,
      },
      { timeoutMs: JOB_RPC_TIMEOUT_MS },
    );
    for (const completion of reply.completions) {
      const tokens = responseTokens(completion);
      out.set(items[completion.promptIndex], { ids: tokens.map((t) => t.id), samplingLogprobs: tokens.map((t) => t.samplingLogprob) });
    }
    return out;
  }

  private score(model: string, items: ScoreItemInput[]): Promise<ScoreResponse> {
    return this.likelihood.score(model, items, { timeoutMs: JOB_RPC_TIMEOUT_MS });
  }
}

function placeholder(set: 'id' | 'ood', index: number): ScoredItem {
  return { set, index, nTokens: 0, log2L: 0, log2G: 0 };
}
