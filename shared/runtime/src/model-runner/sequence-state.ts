import { randomStream } from '../sampling/random-stream';
import { IncrementalDetokenizer } from '../decoding/incremental-detokenizer';
import { StopStringMatcher } from '../decoding/stop-strings';
import { SampledToken, UniformSource } from '../sampling/sampler';
import { RectifyStepStats } from '../sampling/rectified-sampler';
import { FinishReason, GeneratedSequence, GenerateSequenceSpec, RectificationTotals, RunnableModel, SequenceToken } from './batch-types';

/** One sequence's progress through the loop: its tokens, text, random stream and finish state. */
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
  /** The newest token's hidden state comes out of the next forward pass (the one that feeds it). */
  awaitingHidden = false;
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

  accept(token: SampledToken & { rectification?: RectifyStepStats }): void {
    if (this.rectification && token.rectification) {
      this.rectification.tokensCapped += token.rectification.tokensCapped;
      this.rectification.massMoved += token.rectification.massMoved;
      if (token.rectification.deadEnd) this.rectification.deadEndSteps++;
    }
    this.tokenIds.push(token.id);
    this.logprobs.push(token.logprob);
    this.samplingLogprobs.push(token.samplingLogprob);
    this.awaitingHidden = this.spec.returnHiddenStates;
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
      return;
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
    this.awaitingHidden = false;
  }

  private finish(reason: FinishReason): void {
    // Bytes of an unfinished character decode to U+FFFD, as a one-shot decode of the tokens would.
    const rest = this.detokenizer.flush();
    if (rest) {
      this.tokenTexts[this.tokenTexts.length - 1] += rest;
      this.text += rest;
    }
    this.finishReason = reason;
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
      ...(this.rectification ? { rectification: { ...this.rectification } } : {}),
    };
  }
}

