/**
 * Splits a merged batch of sequences into executor batches within the limits. Sequences are sorted by
 * length (longest first) so rows of similar length share a batch and little compute goes to padding.
 */
export interface PlanItem {
  /** Tokens fed up front (prompt or whole scored sequence). */
  length: number;
  /** Tokens generated after it (0 for scoring and pooling). */
  newTokens: number;
}

export interface PlanLimits {
  maxBatchSize: number;
  /** Padded tokens: rows × (longest length + most new tokens). */
  maxBatchTokens: number;
  /** Longest length + most new tokens of a batch must fit the model (left padding shares columns). */
  contextLength: number;
  /**
   * Single passes (newTokens 0) only: the largest share of a batch's padded tokens that may be padding
   * before the batch is cut. On CPU a padded token costs as much as a real one and a bigger batch buys
   * little, so similar lengths are worth more than one big batch. Omitted: no limit.
   */
  maxPaddingFraction?: number;
}

/** Groups of indices into `items`; every item appears once, and an item alone always forms a valid group. */
export function planBatches(items: PlanItem[], limits: PlanLimits): number[][] {
  const order = items.map((_, i) => i).sort((a, b) => items[b].length - items[a].length || items[b].newTokens - items[a].newTokens || a - b);
  const groups: number[][] = [];
  let group: number[] = [];
  let longest = 0;
  let mostNew = 0;
  let real = 0;
  const maxPadding = limits.maxPaddingFraction ?? 1;
  for (const index of order) {
    const item = items[index];
    const nextLongest = Math.max(longest, item.length);
    const nextNew = Math.max(mostNew, item.newTokens);
    const padded = (group.length + 1) * (nextLongest + nextNew);
    const fits =
      group.length < limits.maxBatchSize &&
      padded <= limits.maxBatchTokens &&
      nextLongest + nextNew <= limits.contextLength &&
      (nextNew > 0 || padded - (real + item.length) <= maxPadding * padded);
    if (group.length > 0 && !fits) {
      groups.push(group);
      group = [];
      longest = item.length;
      mostNew = item.newTokens;
      real = 0;
    } else {
      longest = nextLongest;
      mostNew = nextNew;
    }
    real += item.length;
    group.push(index);
  }
  if (group.length > 0) groups.push(group);
  return groups;
}
