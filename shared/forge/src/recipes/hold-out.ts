import { SeededRng, shuffledIndices } from '../train/rng';

export interface HeldOutSplit<T> {
  train: T[];
  heldOut: T[];
}

/**
 * Seeded split of items into train and held-out sets; `heldOut` is a count (≥ 1) or a fraction (< 1).
 * Both keep the items' original order.
 */
export function holdOut<T>(items: readonly T[], heldOut: number, seed: number): HeldOutSplit<T> {
  const count = heldOut < 1 ? Math.round(items.length * heldOut) : Math.min(items.length, Math.floor(heldOut));
  const picked = new Set(shuffledIndices(items.length, new SeededRng(seed ^ 0x7f4a7c15)).slice(0, count));
  const out: HeldOutSplit<T> = { train: [], heldOut: [] };
  items.forEach((item, i) => (picked.has(i) ? out.heldOut : out.train).push(item));
  return out;
}

/** At most `count` items, evenly spread over the list (all of them when there are fewer). */
export function spread<T>(items: readonly T[], count: number): T[] {
  if (items.length <= count) return [...items];
  return Array.from({ length: count }, (_, i) => items[Math.floor((i * items.length) / count)]);
}
