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
}

/** Groups of indices into `items`; every item appears once, and an item alone always forms a valid group. */
export function planBatches(items: PlanItem[], limits: PlanLimits): number[][] {
  const order = items.map((_, i) => i).sort((a, b) => items[b].length - items[a].length || items[b].newTokens - items[a].newTokens || a - b);
  const groups: number[][] = [];
  let group: number[] = [];
  let longest = 0;
  let mostNew = 0;
  for (const index of order) {
    const item = items[index];
    const nextLongest = Math.max(longest, item.length);
    const nextNew = Math.max(mostNew, item.newTokens);
    const fits =
      group.length < limits.maxBatchSize &&
      (group.length + 1) * (nextLongest + nextNew) <= limits.maxBatchTokens &&
      nextLongest + nextNew <= limits.contextLength;
    if (group.length > 0 && !fits) {
      groups.push(group);
      group = [];
      longest = item.length;
      mostNew = item.newTokens;
    } else {
      longest = nextLongest;
      mostNew = nextNew;
    }
    group.push(index);
  }
  if (group.length > 0) groups.push(group);
  return groups;
}
