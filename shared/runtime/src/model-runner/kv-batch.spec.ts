import { assembleCache, dropCacheRows } from './kv-batch';
import { PastKeyValues, StoredTensor } from './model-runner';

const geometry = { kvHeads: 2, headDim: 3, kvType: 'float32' as const };

/** A [rows, 2, length, 3] cache whose every value encodes (layer, key/value, row, column index). */
function cache(rows: number, length: number, layers = 2): PastKeyValues {
  const tensor = (layer: number, kind: number): StoredTensor => {
    const size = geometry.kvHeads * length * geometry.headDim;
    return { type: 'float32', data: Float32Array.from({ length: rows * size }, (_, i) => layer * 1e6 + kind * 1e5 + Math.floor(i / size) * 1e3 + (i % size)), dims: [rows, geometry.kvHeads, length, geometry.headDim] };
  };
  return { length, layers: Array.from({ length: layers }, (_, layer) => ({ key: tensor(layer, 0), value: tensor(layer, 1) })) };
}

describe('dropCacheRows', () => {
  it('fills the gaps with rows from the end (swap-remove) and equals a rebuild of the same rows in that order', () => {
    const before = cache(5, 4);
    const expected = assembleCache([0, 4, 2].map((row) => ({ cache: cache(5, 4), row })), 4, geometry);
    const { cache: after, order } = dropCacheRows(before, [true, false, true, false, true]);
    expect(order).toEqual([0, 4, 2]);
    expect(after.length).toBe(4);
    after.layers.forEach((layer, l) => {
      expect(layer.key.dims).toEqual([3, 2, 4, 3]);
      expect(Array.from(layer.key.data)).toEqual(Array.from(expected.layers[l].key.data));
      expect(Array.from(layer.value.data)).toEqual(Array.from(expected.layers[l].value.data));
    });
  });

  it('moves nothing when only trailing rows leave, and keeps every row when none does', () => {
    const before = cache(3, 2);
    const first = before.layers[0].key.data;
    const { cache: after, order } = dropCacheRows(before, [true, true, false]);
    expect(order).toEqual([0, 1]);
    expect(after.layers[0].key.data.buffer).toBe(first.buffer);
    expect(Array.from(after.layers[0].key.data)).toEqual(Array.from(first.subarray(0, 2 * 12)));
    expect(dropCacheRows(cache(2, 2), [true, true]).order).toEqual([0, 1]);
  });

  it('works on float16 caches (raw bits)', () => {
    const data = Uint16Array.from({ length: 3 * 4 }, (_, i) => i);
    const f16: PastKeyValues = { length: 2, layers: [{ key: { type: 'float16', data, dims: [3, 1, 2, 2] }, value: { type: 'float16', data: data.slice(), dims: [3, 1, 2, 2] } }] };
    const { cache: after, order } = dropCacheRows(f16, [false, true, true]);
    expect(order).toEqual([2, 1]);
    expect(after.layers[0].key.type).toBe('float16');
    expect(Array.from(after.layers[0].key.data)).toEqual([8, 9, 10, 11, 4, 5, 6, 7]);
  });
});
