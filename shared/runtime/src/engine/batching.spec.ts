import { leftPad, positionIdsFromMask } from '../model-runner/batch-layout';
import { planBatches } from './batch-planner';
import { MicroBatcher } from './micro-batcher';

describe('leftPad', () => {
  it('right-aligns rows with mask 0 and position 0 on pads, positions counting real tokens', () => {
    const p = leftPad([[5, 6, 7], [8]], 0);
    expect(p.seqLen).toBe(3);
    expect([...p.inputIds].map(Number)).toEqual([5, 6, 7, 0, 0, 8]);
    expect([...p.attentionMask].map(Number)).toEqual([1, 1, 1, 0, 0, 1]);
    expect([...p.positionIds].map(Number)).toEqual([0, 1, 2, 0, 0, 0]);
    expect([...positionIdsFromMask(p.attentionMask, 2, 3)]).toEqual([...p.positionIds]);
    expect([...positionIdsFromMask([0, 1, 1, 0, 1], 1, 5)].map(Number)).toEqual([0, 0, 1, 1, 2]);
  });
});

describe('planBatches', () => {
  const limits = { maxBatchSize: 3, maxBatchTokens: 40, contextLength: 20 };

  it('covers every item once within the size, token and context limits', () => {
    const items = [3, 12, 5, 7, 2, 9, 1, 4].map((length, i) => ({ length, newTokens: i % 2 === 0 ? 4 : 0 }));
    const groups = planBatches(items, limits);
    expect(groups.flat().sort((a, b) => a - b)).toEqual(items.map((_, i) => i));
    for (const g of groups) {
      const width = Math.max(...g.map((i) => items[i].length)) + Math.max(...g.map((i) => items[i].newTokens));
      expect(g.length).toBeLessThanOrEqual(3);
      if (g.length > 1) expect(g.length * width).toBeLessThanOrEqual(40);
      expect(width).toBeLessThanOrEqual(20);
    }
  });

  it('keeps similar lengths together (sorted, longest first)', () => {
    const items = [1, 10, 2, 11, 3, 12].map((length) => ({ length, newTokens: 0 }));
    expect(planBatches(items, { maxBatchSize: 3, maxBatchTokens: 1000, contextLength: 100 })).toEqual([
      [5, 3, 1],
      [4, 2, 0],
    ]);
  });

  it('cuts single-pass batches whose padding would exceed maxPaddingFraction, never generation batches', () => {
    const lengths = [40, 38, 36, 30, 29, 28, 10, 9];
    const passes = lengths.map((length) => ({ length, newTokens: 0 }));
    const wide = { maxBatchSize: 32, maxBatchTokens: 100_000, contextLength: 100 };
    expect(planBatches(passes, wide)).toEqual([[0, 1, 2, 3, 4, 5, 6, 7]]);
    const groups = planBatches(passes, { ...wide, maxPaddingFraction: 0.2 });
    expect(groups).toEqual([
      [0, 1, 2, 3, 4, 5],
      [6, 7],
    ]);
    for (const g of groups) {
      const padded = g.length * Math.max(...g.map((i) => lengths[i]));
      expect(padded - g.reduce((n, i) => n + lengths[i], 0)).toBeLessThanOrEqual(0.2 * padded);
    }
    const prompts = lengths.map((length) => ({ length, newTokens: 16 }));
    expect(planBatches(prompts, { ...wide, maxPaddingFraction: 0.2 })).toHaveLength(1);
  });

  it('puts an item over the token budget alone', () => {
    expect(planBatches([{ length: 50, newTokens: 0 }, { length: 2, newTokens: 0 }], limits)).toEqual([[0], [1]]);
  });
});

describe('MicroBatcher', () => {
  const options = { windowMs: 5, maxBatchSize: 100, maxBatchTokens: 1e6, sizeOf: () => 1, tokensOf: (n: number) => n };

  it('merges requests submitted within the window and returns each its own result', async () => {
    const calls: number[][] = [];
    const sut = new MicroBatcher<number, number>(options, async (items) => {
      calls.push(items);
      return items.map((x) => x * 10);
    });
    const results = await Promise.all([1, 2, 3, 4].map((x) => sut.submit(x)));
    expect(results).toEqual([10, 20, 30, 40]);
    expect(calls).toEqual([[1, 2, 3, 4]]);
    expect(sut.stats()).toEqual({ requests: 4, batches: 1 });
  });

  it('flushes at once when the batch is full', async () => {
    const calls: number[][] = [];
    const sut = new MicroBatcher<number, number>({ ...options, windowMs: 10_000, maxBatchSize: 2 }, async (items) => {
      calls.push(items);
      return items;
    });
    expect(await Promise.all([1, 2].map((x) => sut.submit(x)))).toEqual([1, 2]);
    expect(calls).toEqual([[1, 2]]);
  });

  it('runs an immediate request at once, with whatever was already queued, without waiting out the window', async () => {
    const calls: number[][] = [];
    const sut = new MicroBatcher<number, number>({ ...options, windowMs: 10_000 }, async (items) => {
      calls.push(items);
      return items;
    });
    const queued = sut.submit(1);
    expect(await Promise.all([queued, sut.submit(2, { immediate: true })])).toEqual([1, 2]);
    expect(calls).toEqual([[1, 2]]);
  });

  it('isolates a failing request: the others of its batch still succeed', async () => {
    const sut = new MicroBatcher<number, number>(options, async (items) => {
      if (items.includes(13)) throw new Error('unlucky');
      return items.map((x) => -x);
    });
    const settled = await Promise.allSettled([1, 13, 2].map((x) => sut.submit(x)));
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((settled[0] as PromiseFulfilledResult<number>).value).toBe(-1);
    expect((settled[1] as PromiseRejectedResult).reason.message).toBe('unlucky');
  });
});
