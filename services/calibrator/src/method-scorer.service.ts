import { Injectable } from '@nestjs/common';
import { AssayError, CalibrationBaseMethod } from '@assay/contracts';
import { ModelHostService } from '@assay/platform';
import { MlpProbe } from '@assay/stats';
import { CalibratorArtifact, FittedBaseMethod, marginOf, OptionTokens } from './calibrator-artifact';
import { CHOICE_LETTERS, contextText, parseVerbalProbability, probeText, QUERY_OPTIONS, sameAnswer, sanitizeAnswer, uncertaintyQuery, verbalPrompt } from './qa-format';

/** One answer to score: the question as callers pass it (questionText) and L's sanitised answer. */
export interface ScoredAnswer {
  question: string;
  answer: string;
}

/** What a method needs to score: L, the text format, the option tokens, and the method's fitted state. */
export type ScoringSetup = Pick<CalibratorArtifact, 'model' | 'format' | 'options' | 'letters' | 'maxNewTokens' | 'seed'>;

/**
 * Whether the runtime refused a request for its input (a text longer than the model's context, ...) rather than
 * failing: such items are dropped or scored neutrally, the rest of the batch still runs.
 */
export function isRefusal(error: unknown): boolean {
  const code = (error as { code?: string })?.code;
  return code === 'BAD_REQUEST' || code === 'PAYLOAD_TOO_LARGE';
}

/** Requests to the engine hold at most this many texts (the engine batches them further). */
const CHUNK = 32;

function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Every method's margin (log-odds of correct, see calibrator-artifact.ts) for answers of L, through the in-process
 * runtime (EngineClient): the query is one scoring pass of the query text (the log-probabilities of the two option
 * tokens at its last position, whose difference is z_yes − z_no), the probe one hidden-states pass of C + " " + P.
 */
@Injectable()
export class MethodScorer {
  constructor(private readonly host: ModelHostService) {}

  /** The model's engine key (loads it on first use); NOT_FOUND for an unknown model. */
  async key(ref: string): Promise<{ key: string; ref: string; hiddenSize: number }> {
    const hosted = await this.host.acquire(ref);
    return { key: hosted.key, ref: `${hosted.name}@${hosted.version}`, hiddenSize: hosted.info.hiddenSize };
  }

  /** Token ids of a continuation as the model's tokenizer splits it after some text. */
  private async continuationIds(model: string, texts: readonly string[]): Promise<number[][]> {
    const { key } = await this.key(model);
    const reply = await this.host.engine.score({ model: key, items: texts.map((continuation) => ({ context: 'Answer:', continuation })) });
    return reply.results.map((r) => r.tokens.map((t) => t.id));
  }

  /**
   * §2 / pitfall 5: the option tokens z_no, z_yes are read at. When " i" and " ii" are one token each (as "▁i",
   * "▁ii" in the reference's SentencePiece vocabularies) these are they, and the prefix is empty. A small BPE may
   * split them ([" i"] vs [" i", "i"], or ["Ġ", "i"] vs ["Ġ", "i", "i"]): then the query is extended by their
   * common prefix and the options are the first tokens where they differ (end of text when one option is used
   * up), which keeps P(correct) a 2-way softmax of two logits at one position. The reference's input_ids[-1] would
   * pick the same fragment "i" for both here.
   */
  async optionTokens(model: string): Promise<OptionTokens> {
    const hosted = await this.host.acquire(model);
    const [a, b] = await this.continuationIds(model, [QUERY_OPTIONS.no, QUERY_OPTIONS.yes]);
    let k = 0;
    while (k < a.length && k < b.length && a[k] === b[k]) k++;
    const end = hosted.info.eosTokenIds[0];
    const options = { no: k < a.length ? a[k] : end, yes: k < b.length ? b[k] : end, prefix: a.slice(0, k), exact: a.length === 1 && b.length === 1 };
    if (options.no === options.yes || options.no === undefined || options.yes === undefined) throw AssayError.badRequest(`L's tokenizer cannot tell the query options " i" and " ii" apart (${a.join(',')} / ${b.join(',')})`);
    return options;
  }

  /** The last token of " a", " b", … for the logits baseline. */
  async letterTokens(model: string, count: number): Promise<number[]> {
    const ids = await this.continuationIds(model, [...CHOICE_LETTERS.slice(0, count)].map((l) => ` ${l}`));
    return ids.map((t) => t[t.length - 1]);
  }

  /** The §2 query margin z_yes − z_no of each answer (the prefix's log-probability cancels in the difference), under `model` (L for query, the tuned model for ct-query). */
  async queryMargins(model: string, setup: ScoringSetup, answers: readonly ScoredAnswer[]): Promise<number[]> {
    const { key } = await this.key(model);
    const out: number[] = [];
    for (const part of chunks(answers)) {
      const items = part.flatMap((a) => {
        const context = uncertaintyQuery(contextText(a.question, setup.format), a.answer);
        const prefix = setup.options.prefix ?? [];
        return [
          { context, continuationIds: [...prefix, setup.options.no] },
          { context, continuationIds: [...prefix, setup.options.yes] },
        ];
      });
      const reply = await this.host.engine.score({ model: key, items, truncateContext: true });
      for (let i = 0; i < part.length; i++) out.push(reply.results[2 * i + 1].sumLogprob - reply.results[2 * i].sumLogprob);
    }
    return out;
  }

  /** §3.2 features: L's final-norm hidden state at the last token of C + " " + P (or their mean over its tokens). */
  async features(setup: ScoringSetup, answers: readonly ScoredAnswer[], pooling: 'last' | 'mean' = 'last'): Promise<number[][]> {
    const { key } = await this.key(setup.model);
    const out: number[][] = [];
    for (const part of chunks(answers)) {
      const reply = await this.host.engine.hiddenStates({ model: key, texts: part.map((a) => probeText(contextText(a.question, setup.format), a.answer)), pooling });
      for (const v of reply.vectors) out.push(Array.from(v));
    }
    return out;
  }

  /** The margin of each answer under one fitted base method. */
  async margins(base: CalibrationBaseMethod, setup: ScoringSetup, fitted: FittedBaseMethod | undefined, answers: readonly ScoredAnswer[]): Promise<number[]> {
    switch (base) {
      case 'query':
        return this.queryMargins(setup.model, setup, answers);
      case 'ct-query':
        if (!fitted?.tunedModel) throw AssayError.internal('ct-query calibrator without its tuned model');
        return this.queryMargins(fitted.tunedModel, setup, answers);
      case 'probe': {
        if (!fitted?.probe) throw AssayError.internal('probe calibrator without its probe');
        const probe = MlpProbe.fromJSON(fitted.probe);
        return (await this.features(setup, answers, fitted.pooling ?? 'last')).map((x) => {
          const [z0, z1] = probe.logits(x);
          return z1 - z0;
        });
      }
      case 'logits':
        return this.letterMargins(setup, answers);
      case 'logprob':
        return this.logprobMargins(setup, answers);
      case 'verbal':
        return this.verbalMargins(setup, answers);
      case 'sampling':
        return this.samplingMargins(setup, fitted?.samples ?? 10, answers);
    }
  }

  /** Logits baseline (§3.4, multiple choice): P(the answer's letter) from the softmax over the choice letters at the answer position. */
  private async letterMargins(setup: ScoringSetup, answers: readonly ScoredAnswer[]): Promise<number[]> {
    if (setup.format !== 'choice') throw AssayError.badRequest('the logits baseline is for multiple choice only');
    const { key } = await this.key(setup.model);
    const out: number[] = [];
    for (const a of answers) {
      const count = Math.max(2, (a.question.match(/\n {2}\([a-z]\): /g) ?? []).length);
      const letters = setup.letters.slice(0, count);
      const context = contextText(a.question, setup.format);
      const reply = await this.host.engine.score({ model: key, items: letters.map((id) => ({ context, continuationIds: [id] })), truncateContext: true });
      const lps = reply.results.map((r) => r.sumLogprob);
      const max = Math.max(...lps);
      const lse = max + Math.log(lps.reduce((s, lp) => s + Math.exp(lp - max), 0));
      const index = CHOICE_LETTERS.indexOf((/^\(?([a-z])\b/i.exec(a.answer.trim())?.[1] ?? '').toLowerCase());
      out.push(index >= 0 && index < lps.length ? marginOf(Math.exp(lps[index] - lse)) : marginOf(0));
    }
    return out;
  }

  /** Mean token log-probability of the answer given C (§3.4 `logprob`): P = exp(mean). */
  private async logprobMargins(setup: ScoringSetup, answers: readonly ScoredAnswer[]): Promise<number[]> {
    const { key } = await this.key(setup.model);
    const out: number[] = [];
    for (const part of chunks(answers)) {
      const reply = await this.host.engine.score({ model: key, items: part.map((a) => ({ context: contextText(a.question, setup.format), continuation: ` ${a.answer}` })), truncateContext: true });
      for (const r of reply.results) out.push(marginOf(Math.exp(r.sumLogprob / Math.max(1, r.numTokens))));
    }
    return out;
  }

  /** Verbalised confidence (§3.4): greedy, 30 tokens, the number after "Probability:". */
  private async verbalMargins(setup: ScoringSetup, answers: readonly ScoredAnswer[]): Promise<number[]> {
    const { key } = await this.key(setup.model);
    const out: number[] = [];
    for (const part of chunks(answers)) {
      const prompts = part.map((a) => verbalPrompt(contextText(a.question, setup.format), a.answer));
      const texts = await this.greedyOrNull(key, prompts, 30);
      for (const text of texts) out.push(marginOf(text === null ? 0.5 : parseVerbalProbability(text)));
    }
    return out;
  }

  /** Greedy completions; a prompt the runtime refuses (longer than L's context) gives null, the others still run. */
  async greedyOrNull(key: string, prompts: readonly string[], maxNewTokens: number): Promise<Array<string | null>> {
    try {
      const reply = await this.host.engine.generate({ model: key, prompts: [...prompts], temperature: 0, maxNewTokens });
      return prompts.map((_, i) => reply.completions.find((c) => c.promptIndex === i)?.text ?? '');
    } catch (error) {
      if (!isRefusal(error)) throw error;
      if (prompts.length === 1) return [null];
      const out: Array<string | null> = [];
      for (const prompt of prompts) out.push(...(await this.greedyOrNull(key, [prompt], maxNewTokens)));
      return out;
    }
  }

  /**
   * Sampling consistency (§3.4 "counting"): the share of k samples (temperature 1, top-p 0.95) that are the same
   * answer as the one scored, by normalised match (no judge). Samples depend only on the question, so each
   * question is sampled once. The share is shrunk to (c + ½)/(k + 1) so that 0 and 1 stay finite log-odds.
   */
  private async samplingMargins(setup: ScoringSetup, samples: number, answers: readonly ScoredAnswer[]): Promise<number[]> {
    const { key } = await this.key(setup.model);
    const questions = [...new Set(answers.map((a) => a.question))];
    const drawn = new Map<string, string[]>();
    for (const part of chunks(questions, 4)) {
      const reply = await this.host.engine.generate({
        model: key, prompts: part.map((q) => contextText(q, setup.format)), n: samples, temperature: 1, topP: 0.95,
        maxNewTokens: setup.format === 'choice' ? 1 : setup.maxNewTokens, seed: setup.seed,
      });
      for (const c of reply.completions) drawn.set(part[c.promptIndex], [...(drawn.get(part[c.promptIndex]) ?? []), sanitizeAnswer(c.text)]);
    }
    return answers.map((a) => {
      const got = drawn.get(a.question) ?? [];
      const same = got.filter((s) => sameAnswer(s, a.answer)).length;
      return marginOf((same + 0.5) / (got.length + 1));
    });
  }
}
