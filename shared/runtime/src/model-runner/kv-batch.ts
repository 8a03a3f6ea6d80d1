import { zeroTensor } from './float-tensors';
import { FloatType, PastKeyValues, StoredTensor } from './model-runner';

/**
 * The running batch's KV cache: one [rows, kvHeads, length, headDim] tensor per layer and key/value, each
 * row's cached tokens right-aligned (the last `tokens` columns; the columns before them are padding the mask
 * hides). Right alignment lets every row append its next token at the same last column, whatever its length.
 *
 * Rows join (a prefill's cache) and leave (finished sequences) only between steps: a join rebuilds the tensors
 * once by {@link assembleCache}; a leave moves only the rows that fill the gaps ({@link dropCacheRows}). A step
 * itself never copies the cache.
 */
export interface CacheRowSource {
  cache: PastKeyValues;
  /** Row of `cache` to take. */
  row: number;
}

export interface CacheGeometry {
  kvHeads: number;
  headDim: number;
  kvType: FloatType;
}

function copyRow(src: StoredTensor, srcRow: number, dest: StoredTensor, destRow: number, length: number, geometry: CacheGeometry): void {
  const { kvHeads, headDim } = geometry;
  const srcLength = src.dims[2];
  const keep = Math.min(srcLength, length);
  for (let h = 0; h < kvHeads; h++) {
    const from = ((srcRow * kvHeads + h) * srcLength + (srcLength - keep)) * headDim;
    const to = ((destRow * kvHeads + h) * length + (length - keep)) * headDim;
    (dest.data as Float32Array | Uint16Array).set((src.data as Float32Array | Uint16Array).subarray(from, from + keep * headDim), to);
  }
}

/**
 * A cache whose row i is `sources[i]`'s row, right-aligned into `length` columns. Dropping leading columns
 * (length below a source's) is only correct where they are padding for that row: callers pass at least the
 * longest row's token count.
 */
export function assembleCache(sources: CacheRowSource[], length: number, geometry: CacheGeometry): PastKeyValues {
  const first = sources[0]?.cache;
  if (!first) throw new Error('assembleCache: no rows');
  // Unchanged rows in the same order and length: reuse the tensors as they are.
  if (sources.every((s, i) => s.cache === first && s.row === i) && first.layers[0].key.dims[0] === sources.length && first.length === length) return first;
  const dims = [sources.length, geometry.kvHeads, length, geometry.headDim];
  const layers = first.layers.map((_, layer) => {
    const key = zeroTensor(geometry.kvType, dims);
    const value = zeroTensor(geometry.kvType, dims);
    sources.forEach((source, row) => {
      const from = source.cache.layers[layer];
      if (from.key.type !== geometry.kvType) throw new Error(`assembleCache: a ${from.key.type} cache in a ${geometry.kvType} batch`);
      copyRow(from.key, source.row, key, row, length, geometry);
      copyRow(from.value, source.row, value, row, length, geometry);
    });
    return { key, value };
  });
  return { length, layers };
}

/**
 * Removes rows from a cache in place, without rebuilding it: each removed row among the first `kept` slots is
 * overwritten by a kept row from past them (swap-remove, so only as many rows move as left), then every tensor
 * is cut to the kept rows by a view of the same memory (rows are the outermost dimension). Columns stay as they
 * are. Returns the cache and `order`: row i of the result was row `order[i]` of `cache`.
 *
 * Only for a cache nothing else reads (the running batch's own): its buffers are written.
 */
export function dropCacheRows(cache: PastKeyValues, keep: readonly boolean[]): { cache: PastKeyValues; order: number[] } {
  const kept = keep.filter(Boolean).length;
  const order = keep.map((_, i) => i).slice(0, kept);
  const movers = keep.map((k, i) => (k && i >= kept ? i : -1)).filter((i) => i >= 0);
  const moves: [from: number, to: number][] = [];
  for (let to = 0; to < kept; to++) {
    if (keep[to]) continue;
    const from = movers.shift()!;
    moves.push([from, to]);
    order[to] = from;
  }
  const cut = (tensor: StoredTensor): StoredTensor => {
    const [rows, ...rest] = tensor.dims;
    const rowSize = rows === 0 ? 0 : tensor.data.length / rows;
    for (const [from, to] of moves) tensor.data.copyWithin(to * rowSize, from * rowSize, (from + 1) * rowSize);
    const dims = [kept, ...rest];
    return tensor.type === 'float32' ? { type: 'float32', data: tensor.data.subarray(0, kept * rowSize), dims } : { type: 'float16', data: tensor.data.subarray(0, kept * rowSize), dims };
  };
  return { cache: { length: cache.length, layers: cache.layers.map(({ key, value }) => ({ key: cut(key), value: cut(value) })) }, order };
}
