/**
 * A fitted calibrator as stored in the registry (`models/<name>/<version>/calibrator.json`, beside a config.json of
 * model_type `assay-calibrator`), and the arithmetic every method shares: each method scores an answer with a
 * **margin** m (a log-odds of being correct), P(correct) = σ(m / T), T = 1 for a plain method and the fitted
 * temperature for its `-ts` twin (spec §3.3: for the query and the probe, m is the difference of the two logits,
 * so this is exactly softmax(z / T)[1]).
 */
import { CalibrationBaseMethod, CalibrationMethod } from '@assay/contracts';
import type { ProbeState } from '@assay/stats';
import type { QaFormat } from './qa-format';

export const CALIBRATOR_MODEL_TYPE = 'assay-calibrator';
export const CALIBRATOR_FILE = 'calibrator.json';

/** Token ids the query and logits methods read at the last position (§2, pitfall 5). */
export interface OptionTokens {
  no: number;
  yes: number;
  /** Tokens appended to the query before the options are read (their common prefix; empty when both are single tokens). */
  prefix?: number[];
  /** " i" and " ii" are each one token of L's tokenizer (false: their last tokens are used, as the reference's input_ids[-1]). */
  exact: boolean;
}

export interface FittedBaseMethod {
  /** T of the method's -ts twin, fitted on the validation split (1 when TS did not lower the validation NLL). */
  temperature: number;
  valNllBefore: number;
  valNllAfter: number;
  probe?: ProbeState;
  /** Probe features: the last token's hidden state (spec §3.2) or the mean over the tokens. */
  pooling?: 'last' | 'mean';
  /** ct-query: the registered tuned model, name@version. */
  tunedModel?: string;
  /** sampling: samples per question. */
  samples?: number;
}

export interface CalibratorArtifact {
  kind: typeof CALIBRATOR_MODEL_TYPE;
  schema: 1;
  /** L, name@version. */
  model: string;
  dataset: string;
  format: QaFormat;
  /** Method used by the confidence route. */
  serve: CalibrationMethod;
  options: OptionTokens;
  /** Multiple choice: the token of " a", " b", … (logits baseline). */
  letters: number[];
  /** Generation settings of the dataset (sampling baseline). */
  maxNewTokens: number;
  seed: number;
  methods: Partial<Record<CalibrationBaseMethod, FittedBaseMethod>>;
}

/** Margins are clipped to ±MARGIN_CLIP (a probability of 1 − 1e-9 at most), so probabilities stay finite and NLL bounded. */
export const MARGIN_CLIP = Math.log(1e9);

export function clipMargin(m: number): number {
  if (Number.isNaN(m)) return 0;
  return Math.max(-MARGIN_CLIP, Math.min(MARGIN_CLIP, m));
}

/** Log-odds of a probability, clipped. */
export function marginOf(p: number): number {
  if (!(p > 0)) return -MARGIN_CLIP;
  if (!(p < 1)) return MARGIN_CLIP;
  return clipMargin(Math.log(p) - Math.log1p(-p));
}

export function pFromMargin(m: number, temperature = 1): number {
  const z = clipMargin(m) / temperature;
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

export function splitMethod(method: CalibrationMethod): { base: CalibrationBaseMethod; scaled: boolean } {
  return method.endsWith('-ts') ? { base: method.slice(0, -3) as CalibrationBaseMethod, scaled: true } : { base: method as CalibrationBaseMethod, scaled: false };
}

/** The confidence route's default: the first of these that was fitted. */
export const SERVE_PREFERENCE: readonly CalibrationMethod[] = ['probe-ts', 'ct-query-ts', 'query-ts', 'logits-ts', 'logprob-ts', 'sampling-ts', 'verbal-ts'];

/** Every method a calibrator holds: each fitted base method and its -ts twin. */
export function heldMethods(artifact: Pick<CalibratorArtifact, 'methods'>): CalibrationMethod[] {
  return (Object.keys(artifact.methods) as CalibrationBaseMethod[]).flatMap((m) => [m, `${m}-ts` as CalibrationMethod]);
}
