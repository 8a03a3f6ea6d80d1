/** Histogram binning for plots, with numpy's conventions (`np.histogram`). */

export interface HistogramOptions {
  /** Number of equal-width bins (the VALID notebook plots 50). */
  bins?: number;
  /** [min, max] of the binned range; values outside are not counted. Defaults to the data's min and max. */
  range?: [number, number];
}

export interface Histogram {
  /** bins + 1 edges. Bin i is [edges[i], edges[i+1]); the last bin also includes its right edge. */
  edges: number[];
  counts: number[];
  /** counts / (total counted · bin width): integrates to 1 over the range. */
  density: number[];
  /** Values that fell outside the range (non-finite values are always excluded and counted here). */
  excluded: number;
}

export function histogram(values: ArrayLike<number>, options: HistogramOptions = {}): Histogram {
  const bins = options.bins ?? 50;
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`bins must be an integer >= 1, got ${bins}`);
  let [lo, hi] = options.range ?? [Infinity, -Infinity];
  if (!options.range) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (!Number.isFinite(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (lo === Infinity) [lo, hi] = [0, 1];
  }
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo <= hi)) throw new RangeError(`invalid histogram range [${lo}, ${hi}]`);
  if (lo === hi) [lo, hi] = [lo - 0.5, hi + 0.5]; // numpy widens a degenerate range the same way
  const width = (hi - lo) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? hi : lo + i * width));
  const counts = new Array<number>(bins).fill(0);
  let excluded = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!(v >= lo && v <= hi)) {
      excluded++;
      continue;
    }
    let b = Math.floor((v - lo) / width);
    if (b >= bins) b = bins - 1;
    // Floating-point division can land one bin off near an edge: settle against the stored edges.
    if (b > 0 && v < edges[b]) b--;
    else if (b < bins - 1 && v >= edges[b + 1]) b++;
    counts[b]++;
  }
  const total = values.length - excluded;
  const density = counts.map((c) => (total > 0 ? c / (total * width) : 0));
  return { edges, counts, density, excluded };
}
