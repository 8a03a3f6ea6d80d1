import { meanConfidenceInterval, meanConfidenceSequence, Rng } from '@assay/stats';
import { AuditLedger } from './audit-ledger';

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
    expect(ledger.means()).toEqual(straight.means());
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

  it('reports each model\'s mean with its anytime-valid confidence sequence, kept across checkpoints', () => {
    const values = scores('ci', 137, 0.3);
    const sut = AuditLedger.start(request('mean-difference'));
    sut.record(values.slice(0, 60), values.slice(0, 60).map(() => 0));
    const resumed = AuditLedger.resume(JSON.parse(JSON.stringify(sut.checkpoint())));
    resumed.record(values.slice(60), values.slice(60).map(() => 0));
    const expected = meanConfidenceSequence(values, { alpha: 0.05 });
    const got = resumed.means().reference;
    expect(got).toMatchObject({ n: 137, level: 0.95, interval: 'anytime-valid' });
    expect(got.mean!).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 12);
    expect(got.low!).toBeCloseTo(expected.low, 12);
    expect(got.high!).toBeCloseTo(expected.high, 12);
    expect(AuditLedger.start(request('witness')).means().reference).toEqual({ n: 0, mean: null, low: null, high: null, level: 0.95, interval: 'none' });
    // A checkpoint written before intervals were kept resumes without one rather than with a wrong one.
    const { confidence: _dropped, ...v1 } = { ...sut.checkpoint(), version: 1 as const };
    expect(AuditLedger.resume(v1).means().reference).toMatchObject({ n: 60, low: null, high: null, interval: 'none' });
  });

  it('the intervals read after every batch cover the true means in ≥ 95% of audits (a t-interval read so misses far more)', () => {
    // Scores in {0, 1} with mean 0.2; 300 audits of 40 batches of 25; an interval "misses" when it excludes 0.2 after any batch.
    const runs = 300;
    let misses = 0;
    let tMisses = 0;
    for (let run = 0; run < runs; run++) {
      const rng = new Rng(`cs-coverage:${run}`);
      const sut = AuditLedger.start(request('mean-difference'));
      const seen: number[] = [];
      let missed = false;
      let tMissed = false;
      for (let batch = 0; batch < 40; batch++) {
        const reference = Array.from({ length: 25 }, () => (rng.next() < 0.2 ? 1 : 0));
        sut.record(reference, reference.map(() => (rng.next() < 0.2 ? 1 : 0)));
        seen.push(...reference);
        const { low, high } = sut.means().reference;
        if (!(low! <= 0.2 && 0.2 <= high!)) missed = true;
        const t = meanConfidenceInterval(seen);
        if (!(t.low <= 0.2 && 0.2 <= t.high)) tMissed = true;
      }
      misses += missed ? 1 : 0;
      tMisses += tMissed ? 1 : 0;
    }
    expect(misses / runs).toBeLessThanOrEqual(0.05);
    expect(tMisses / runs).toBeGreaterThan(0.15);
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
