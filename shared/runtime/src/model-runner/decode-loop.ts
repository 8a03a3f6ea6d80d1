import { randomStream } from '../sampling/random-stream';
import { RuntimeError } from '../errors';
import { IncrementalDetokenizer } from '../decoding/incremental-detokenizer';
import { StopStringMatcher } from '../decoding/stop-strings';
import { SampledToken, sampleToken, UniformSource } from '../sampling/sampler';
import { leftPad } from './batch-layout';
import { FinishReason, GeneratedSequence, GenerateSequenceSpec, RunnableModel, SequenceToken } from './batch-types';
import { decoderRunner, ForwardOutputs, PastKeyValues } from './model-runner';

/** How the caller follows (and cuts short) a running batch. */
export interface DecodeControl {
  /** After each step, the tokens it sampled for rows whose spec has `stream` (never called with none). */
  onTokens?(tokens: SequenceToken[]): void;
  /** Rows the caller gave up on stop at the next step; their results are then meaningless. */
  isCancelled?(row: number): boolean;
}

/** One sequence's progress through the loop: its tokens, text, random stream and finish state. */
class SequenceState {
  readonly tokenIds: number[] = [];
  readonly logprobs: number[] = [];
  readonly samplingLogprobs: number[] = [];
  readonly tokenTexts: string[] = [];
  readonly hiddenRows: Float32Array[] = [];
  readonly rng: UniformSource;
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
  }

  get finished(): boolean {
    return this.finishReason !== undefined;
  }

  get lastToken(): number {
    return this.tokenIds.length > 0 ? this.tokenIds[this.tokenIds.length - 1] : this.spec.promptIds[this.spec.promptIds.length - 1];
  }

  accept(token: SampledToken): void {
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
    };
  }
}

/**
 * Generates for a whole batch inside one call (so inside one worker message): prefill of the
 * left-padded prompts, then one forward per step feeding each row's newest token with the KV cache
 * (or the whole sequence again when the model has no cache). Finished rows keep riding along with
 * their last token until every row is done; their outputs are ignored.
 *
 * The batch's longest prompt + largest maxNewTokens must fit the context (the engine's batch planner
 * guarantees it), so positions and the mask never outgrow the model.
 */
export async function generateBatch(model: RunnableModel, specs: GenerateSequenceSpec[], control: DecodeControl = {}): Promise<GeneratedSequence[]> {
  const { backend, io, shape } = model;
  const runner = decoderRunner(model.runner);
  if (specs.length === 0) return [];
  const wantHidden = specs.some((s) => s.returnHiddenStates);
  if (wantHidden && !io.hiddenStates) throw new RuntimeError('UNSUPPORTED', 'this model has no hidden-states output');
  const eos = new Set(shape.eosTokenIds);
  const states = specs.map((spec) => new SequenceState(spec, model, eos));
  const batch = specs.length;
  const prompt = leftPad(
    specs.map((s) => s.promptIds),
    shape.padTokenId,
  );
  const promptLen = prompt.seqLen;
  const maxSteps = Math.max(...specs.map((s) => s.maxNewTokens));
  if (promptLen + maxSteps > shape.contextLength) {
    throw new RuntimeError('CONTEXT_OVERFLOW', `batch needs ${promptLen + maxSteps} positions, the model has ${shape.contextLength}`);
  }
  const usePast = io.pastInputs.length > 0;
  // Tokens fed so far per row (prompt then generated), padded on the left to a common length.
  const fedRows: number[][] = specs.map((s) => [...new Array<number>(promptLen - s.promptIds.length).fill(shape.padTokenId), ...s.promptIds]);

  let out: ForwardOutputs = await runner.forward(backend, io, { ...prompt, wantHiddenStates: false });
  let past: PastKeyValues | undefined = out.present;
  let lastSeqLen = promptLen;
  for (;;) {
    const vocab = out.vocab;
    const sampled: SequenceToken[] = [];
    states.forEach((state, b) => {
      const lastRow = b * lastSeqLen + lastSeqLen - 1;
      if (state.awaitingHidden && out.hiddenStates) {
        state.hiddenRows.push(out.hiddenStates.slice(lastRow * shape.hiddenSize, (lastRow + 1) * shape.hiddenSize));
      }
      state.awaitingHidden = false;
      if (!state.finished && control.isCancelled?.(b)) state.cancel();
      if (state.finished) return;
      state.accept(sampleToken(out.logits, state.spec.sampling, state.rng, lastRow * vocab, vocab));
      if (state.spec.stream) sampled.push(state.newestToken(b));
    });
    if (sampled.length > 0) control.onTokens?.(sampled);
    const needStep = states.some((s) => !s.finished) || states.some((s) => s.awaitingHidden);
    if (!needStep) break;

    const step = states.map((s) => s.lastToken);
    fedRows.forEach((row, b) => row.push(step[b]));
    const total = fedRows[0].length;
    const mask = new BigInt64Array(batch * total);
    for (let b = 0; b < batch; b++) mask.fill(1n, b * total + (promptLen - specs[b].promptIds.length), (b + 1) * total);
    const positionOf = (b: number, column: number): bigint =>
      BigInt(Math.min(shape.contextLength - 1, column - (promptLen - specs[b].promptIds.length)));
    const hidden = states.some((s) => s.awaitingHidden);
    if (usePast) {
      out = await runner.forward(backend, io, {
        batch,
        seqLen: 1,
        inputIds: BigInt64Array.from(step, (id) => BigInt(id)),
        attentionMask: mask,
        positionIds: BigInt64Array.from(step, (_, b) => positionOf(b, total - 1)),
        past,
        wantHiddenStates: hidden,
      });
      past = out.present;
      lastSeqLen = 1;
    } else {
      const inputIds = new BigInt64Array(batch * total);
      const positionIds = new BigInt64Array(batch * total);
      fedRows.forEach((row, b) => {
        const pad = promptLen - specs[b].promptIds.length;
        for (let t = 0; t < total; t++) {
          inputIds[b * total + t] = BigInt(row[t]);
          positionIds[b * total + t] = t < pad ? 0n : positionOf(b, t);
        }
      });
      out = await runner.forward(backend, io, { batch, seqLen: total, inputIds, attentionMask: mask, positionIds, wantHiddenStates: hidden });
      lastSeqLen = total;
    }
  }
  return states.map((s) => s.result(shape.hiddenSize));
}
