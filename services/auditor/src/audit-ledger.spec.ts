import { meanConfidenceInterval, Rng } from '@assay/stats';
import { AuditLedger, meanInterval } from './audit-ledger';

function scores(seed: string, n: number, p: number): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => (rng.next() < p ? rng.uniform(0.5, 1) : rng.uniform(0, 0.2)));
}

const request = (test: 'witness' | 'mean-difference') => ({ test, alpha: 0.05, epsilon: 0 });

describe('AuditLedger', () => {
  it.each(['witness', 'mean-difference'] as const)('%s: a JSON round trip of the checkpoint continues exactly where it stopped', (test) => {
    const reference = scores('r', 200, 0.1);
    const candidate = scores('c', 200, 0.1);
    const straight = AuditLedger.start(request(test));
    for (let from = 0; from < 200; from += 40) straight.record(reference.slice(from, from + 40), candidate.slice(from, from + 40));

    let ledger = AuditLedger.start(request(test));
    for (let from = 0; from < 200; from += 40) {
      ledger.record(reference.slice(from, from + 40), candidate.slice(from, from + 40));
      const checkpoint = JSON.parse(JSON.stringify(ledger.checkpoint()));
      ledger = AuditLedger.resume(checkpoint);
    }
    expect(ledger.test.history).toEqual(straight.test.history);
    expect(ledger.test.logWealth).toBe(straight.test.logWealth);
    expect(ledger.moments).toEqual(straight.moments);
    expect(ledger.nextIndex).toBe(200);
    expect(ledger.resumedAt).toEqual([40, 80, 120, 160, 200]);
  });

  it('drops a pair when either score is NaN: prompts are spent, the test and the means skip it', () => {
    const sut = AuditLedger.start(request('witness'));
    const step = sut.record([0.1, NaN, 0.3, 0.4], [0.2, 0.5, NaN, 0.6]);
    expect(step.droppedPairs).toBe(2);
    expect(sut.nextIndex).toBe(4);
    expect(sut.droppedPairs).toBe(2);
    expect(sut.test.samplesUsed).toBe(2);
    expect(sut.moments.reference.n).toBe(2);
    expect(sut.moments.reference.mean).toBeCloseTo(0.25, 12);
    expect(sut.moments.candidate.mean).toBeCloseTo(0.4, 12);
  });

  it('gives the same 95% interval as the t-interval on all values', () => {
    const values = scores('ci', 37, 0.3);
    const sut = AuditLedger.start(request('mean-difference'));
    sut.record(values, values.map(() => 0));
    const expected = meanConfidenceInterval(values);
    const got = meanInterval(sut.moments.reference);
    expect(got.n).toBe(37);
    expect(got.mean!).toBeCloseTo(expected.mean, 12);
    expect(got.low!).toBeCloseTo(expected.low, 10);
    expect(got.high!).toBeCloseTo(expected.high, 10);
    expect(meanInterval({ n: 0, mean: 0, m2: 0 })).toEqual({ n: 0, mean: null, low: null, high: null });
    expect(meanInterval({ n: 1, mean: 0.3, m2: 0 })).toEqual({ n: 1, mean: 0.3, low: null, high: null });
  });

  it('plans batches within the budget and stops at rejection', () => {
    const sut = AuditLedger.start(request('mean-difference'));
    expect(sut.nextBatch(25, 10)).toEqual({ from: 0, to: 10 });
    let batch = sut.nextBatch(25, 10);
    while (batch) {
      const n = batch.to - batch.from;
      sut.record(new Array(n).fill(0), new Array(n).fill(1));
      batch = sut.nextBatch(25, 10);
    }
    expect(sut.test.rejected).toBe(true);
    expect(sut.stopReason(25, 25)).toBe('rejected');
    expect(sut.samplesToDecision(true)).toBe(sut.test.samplesToReject);
    expect(sut.nextIndex).toBeLessThanOrEqual(25);
  });

  it('reports budget-spent before prompts-spent, and no decision while running', () => {
    const sut = AuditLedger.start(request('witness'));
    sut.record([0.1, 0.2, 0.3, 0.4], [0.1, 0.2, 0.3, 0.4]);
    expect(sut.stopReason(10, 10)).toBeNull();
    expect(sut.samplesToDecision(false)).toBeNull();
    expect(sut.stopReason(4, 4)).toBe('budget-spent');
    expect(sut.stopReason(4, 100)).toBe('prompts-spent');
    expect(sut.nextBatch(4, 2)).toBeNull();
    expect(sut.samplesToDecision(true)).toBe(4);
  });
});
