/** Parameter values by name (the trainer owns them; engines read them for each call). */
export type ParamValues = ReadonlyMap<string, Float32Array>;

/**
 * A batch of token sequences, [count, length] row-major. Right-padded sequences are fine (attention is causal, so
 * padding never reaches earlier positions); losses decide which positions count. `targets` (next-token ids) is
 * what the built-in cross-entropy needs; a caller's own loss may carry anything else on its batch type.
 */
export interface LmBatch {
  inputs: Int32Array;
  targets?: Int32Array;
  count: number;
  length: number;
}

/** A caller's loss over logits [count·length, V] (row-major): its value and dLoss/dlogits in the same layout. */
export type LogitsLoss<B extends LmBatch = LmBatch> = (logits: Float32Array, batch: B) => { loss: number; gradLogits: Float32Array };

export interface StepResult {
  loss: number;
  /** Gradient of every trainable parameter, by name. */
  grads: Map<string, Float32Array>;
}

/** What the trainer needs from an execution engine. */
export interface LmEngine {
  readonly name: string;
  /** Mean next-token cross-entropy of the batch and its parameter gradients (dropout seeded by `dropoutSeed`). */
  lossAndGrads(values: ParamValues, batch: LmBatch, dropoutSeed: number): Promise<StepResult>;
  /** The same for a caller's loss over the logits. */
  customStep(values: ParamValues, batch: LmBatch, dropoutSeed: number, loss: LogitsLoss): Promise<StepResult>;
  /** Per-token cross-entropy [count·length] without dropout. */
  tokenLosses(values: ParamValues, batch: LmBatch): Promise<Float32Array>;
  /** Logits [count·length, V] without dropout. */
  logits(values: ParamValues, batch: LmBatch): Promise<Float32Array>;
  dispose(): Promise<void>;
}
