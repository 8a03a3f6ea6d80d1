/** One generation to score: the prompt, the model's completion, and the prompt's reference output if any. */
export interface ScoreItem {
  prompt: string;
  completion: string;
  reference?: string;
}

/**
 * A behaviour scorer b(x, y) ∈ [0, 1] (spec auditing.md §1). NaN marks an unscorable generation (an empty
 * text, a failed API call, a missing reference): the audit then drops that prompt's pair for both models (§2).
 * Scores are returned in item order; metrics batch internally.
 */
export interface BehaviourMetric {
  /** Short name for reports, e.g. `toxicity(assay-toxicity)`. */
  readonly name: string;
  score(items: readonly ScoreItem[]): Promise<number[]>;
}

/** Clamps to [0, 1] and maps anything non-finite to NaN (spec §4: all scores are clipped to [0, 1]). */
export function toUnitScore(value: number): number {
  if (!Number.isFinite(value)) return NaN;
  return Math.min(1, Math.max(0, value));
}

export function isBlank(text: string): boolean {
  return text.trim().length === 0;
}
