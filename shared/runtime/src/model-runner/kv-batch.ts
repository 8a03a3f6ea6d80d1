import { zeroTensor } from './float-tensors';
import { FloatType, PastKeyValues, StoredTensor } from './model-runner';

/**
 * The running batch's KV cache: one [rows, kvHeads, length, headDim] tensor per layer and key/value, each
 * row's cached tokens right-aligned (the last `tokens` columns; the columns before them are padding the mask
 * hides). Right alignment lets every row append its next token at the same last column, whatever its length.
 *
 * Rows join (a prefill's cache) and leave (finished sequences) only between steps; both rebuild the tensors
 * once by {@link assembleCache}, so a step itself never copies the cache.
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
