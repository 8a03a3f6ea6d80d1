import { randomStream } from '../sampling/random-stream';
import { IncrementalDetokenizer } from '../decoding/incremental-detokenizer';
import { StopStringMatcher } from '../decoding/stop-strings';
import { SampledToken, UniformSource } from '../sampling/sampler';
import { RectifyStepStats } from '../sampling/rectified-sampler';
import { FinishReason, GeneratedSequence, GenerateSequenceSpec, RectificationTotals, RunnableModel, SequenceToken } from './batch-types';

/** A token the loop still feeds after the sequence finished, for a state the result owes. */
interface TailFeed {
  token: number;
  /** Its state is a generated token's (returnHiddenStates). */
  generated: boolean;
  /** Its state is the end-of-turn state (spec.endOfTurnToken). */
  endOfTurn: boolean;
}

/**
 * One sequence's progress through the loop: its tokens, text, random stream and finish state. A generated token's
 * hidden state comes out of the forward pass that feeds it (the next step), so a finished sequence may still owe
 * feeds: its last token (returnHiddenStates) and the end-of-turn token (endOfTurnToken); the loop keeps it in the
 * batch until `owesStates` is false.
 */
export class SequenceState {
  readonly tokenIds: number[] = [];
  readonly logprobs: number[] = [];
  readonly samplingLogprobs: number[] = [];
  readonly tokenTexts: string[] = [];
  readonly hiddenRows: Float32Array[] = [];
  readonly rng: UniformSource;
  readonly rectification?: RectificationTotals;
  text = '';
  finishReason?: FinishReason;
  stopString?: string;
  endOfTurnState?: Float32Array;
  /** After finishing: what is left to feed, in order. */
  private readonly tail: TailFeed[] = [];
  private readonly detokenizer: IncrementalDetokenizer;
  private readonly stops: StopStringMatcher;

  constructor(
    readonly spec: GenerateSequenceSpec,
    model: RunnableModel,
    private readonly eos: ReadonlySet<number>,
  ) {
    this.rng = randomStream(spec.rngKey);
    this.detokenizer = new IncrementalDetokenizer((ids) => model.tokenizer.decode(ids));
    this.stops = new StopStringMatcher(spec.stop);
    if (spec.rectify) this.rectification = { tokensCapped: 0, massMoved: 0, deadEndSteps: 0 };
  }

  get finished(): boolean {
    return this.finishReason !== undefined;
  }

  get lastToken(): number {
    return this.tokenIds.length > 0 ? this.tokenIds[this.tokenIds.length - 1] : this.spec.promptIds[this.spec.promptIds.length - 1];
  }

  /** The token the next step feeds: the newest sampled one while running, then what the finished sequence owes. */
  get nextInput(): number {
    return this.finished ? (this.tail[0]?.token ?? this.lastToken) : this.lastToken;
  }

  /** Whether the next step must compute hidden states for this sequence. */
  get wantsHidden(): boolean {
    return this.finished ? this.tail.length > 0 : this.spec.returnHiddenStates;
  }

  /** Finished, but still owes a state that a further step computes. */
  get owesStates(): boolean {
    return this.tail.length > 0;
  }

  /** The step fed `nextInput`; `hidden` is the final-norm state at its position (when the step computed states). */
  fed(hidden: Float32Array | undefined): void {
    if (!this.finished) {
      if (this.spec.returnHiddenStates && hidden) this.hiddenRows.push(hidden);
      return;
    }
    const feed = this.tail.shift();
    if (!feed || !hidden) return;
    if (feed.generated) this.hiddenRows.push(hidden);
    if (feed.endOfTurn) this.endOfTurnState = hidden;
  }

  accept(token: SampledToken & { rectification?: RectifyStepStats }): void {
    if (this.rectification && token.rectification) {
      this.rectification.tokensCapped += token.rectification.tokensCapped;
      this.rectification.massMoved += token.rectification.massMoved;
      if (token.rectification.deadEnd) this.rectification.deadEndSteps++;
    }
    this.tokenIds.push(token.id);
    this.logprobs.push(token.logprob);
    this.samplingLogprobs.push(token.samplingLogprob);
    if (this.spec.stopOnEos && this.eos.has(token.id)) {
      this.tokenTexts.push('');
      return this.finish('eos');
    }
    const delta = this.detokenizer.push(token.id);
    this.tokenTexts.push(delta);
    this.text += delta;
    const hit = this.stops.find(this.text, delta.length);
    if (hit) {
      this.text = this.text.slice(0, hit.index);
      this.stopString = hit.stop;
      this.finishReason = 'stop';
      return this.owe();
    }
    if (this.tokenIds.length >= this.spec.maxNewTokens) this.finish('length');
  }

  /** The newest token as the stream reports it (after accept: its text includes any flushed bytes). */
  newestToken(row: number): SequenceToken {
    const index = this.tokenIds.length - 1;
    return { row, index, id: this.tokenIds[index], text: this.tokenTexts[index], logprob: this.logprobs[index], samplingLogprob: this.samplingLogprobs[index] };
  }

  cancel(): void {
    this.finishReason = 'length';
    this.tail.length = 0;
  }

  private finish(reason: FinishReason): void {
    // Bytes of an unfinished character decode to U+FFFD, as a one-shot decode of the tokens would.
    const rest = this.detokenizer.flush();
    if (rest) {
      this.tokenTexts[this.tokenTexts.length - 1] += rest;
      this.text += rest;
    }
    this.finishReason = reason;
    this.owe();
  }

  /**
   * The feeds a just-finished sequence owes. EOS adds no text, so the end-of-turn token takes its place (the same
   * token when EOS was the end-of-turn); after a stop string or the length limit it follows the last sampled token.
   * returnHiddenStates needs the last token's own state: after an EOS other than the end-of-turn token that EOS is
   * fed and the end-of-turn state is left out (it would follow the EOS, which the text does not have).
   */
  private owe(): void {
    const last = this.tokenIds[this.tokenIds.length - 1];
    const endOfTurn = this.spec.endOfTurnToken;
    if (this.finishReason === 'eos') {
      if (this.spec.returnHiddenStates) this.tail.push({ token: last, generated: true, endOfTurn: last === endOfTurn });
      else if (endOfTurn !== undefined) this.tail.push({ token: endOfTurn, generated: false, endOfTurn: true });
      return;
    }
    if (this.spec.returnHiddenStates || endOfTurn !== undefined) this.tail.push({ token: last, generated: this.spec.returnHiddenStates, endOfTurn: false });
    if (endOfTurn !== undefined) this.tail.push({ token: endOfTurn, generated: false, endOfTurn: true });
  }

  result(hiddenSize: number): GeneratedSequence {
    let hiddenStates: Float32Array | undefined;
    if (this.spec.returnHiddenStates) {
      hiddenStates = new Float32Array(this.hiddenRows.length * hiddenSize);
      this.hiddenRows.forEach((row, i) => hiddenStates!.set(row, i * hiddenSize));
    }
    return {
      tokenIds: Int32Array.from(this.tokenIds),
      logprobs: Float64Array.from(this.logprobs),
      samplingLogprobs: Float64Array.from(this.samplingLogprobs),
      tokenTexts: this.tokenTexts,
      text: this.text,
      finishReason: this.finishReason!,
      stopString: this.stopString,
      hiddenStates,
      ...(this.endOfTurnState ? { endOfTurnState: this.endOfTurnState } : {}),
      ...(this.rectification ? { rectification: { ...this.rectification } } : {}),
    };
  }
}

