/**
 * Validity and power of the audit tests by simulation (spec auditing.md §2, §5).
 * Validity: under a true null, the rejection rate over ≥ 200 runs stays within α + 3 binomial standard errors.
 * The learned witness runs with hiddenSize 8 here (the paper's 32 is ~10× slower); validity does not depend on
 * the architecture, only on predictability, which these runs exercise end to end.
 */
import { median } from '../descriptive';
import { mixtureSampler, samplerFromSpec } from './score-distributions';
import { simulateAudit, SimulateAuditOptions } from './simulate';

const ALPHA = 0.05;
const NULL_RUNS = 200;
const MARGIN = ALPHA + 3 * Math.sqrt((ALPHA * (1 - ALPHA)) / NULL_RUNS); // ≈ 0.096
const WITNESS = { hiddenSize: 8 };

const betaMix = (p: number) =>
  mixtureSampler([{ weight: 1 - p, sampler: samplerFromSpec('beta:2,8') }, { weight: p, sampler: samplerFromSpec('beta:4,6') }]);

describe('simulated audits under the null (identical distributions)', () => {
  const base: Omit<SimulateAuditOptions, 'test'> = {
    reference: 'beta:2,8', candidate: 'beta:2,8', alpha: ALPHA, runs: NULL_RUNS, batchSize: 50, budget: 500, seed: 'null',
  };

  it('keeps the learned-witness false-positive rate at most α (+3 s.e.)', () => {
    const result = simulateAudit({ ...base, test: 'witness', testOptions: WITNESS });
    expect(result.runs).toBe(NULL_RUNS);
    expect(result.rejection_rate).toBeLessThanOrEqual(MARGIN);
  });

  it('keeps the mean-difference false-positive rate at most α (+3 s.e.)', () => {
    expect(simulateAudit({ ...base, test: 'mean-difference' }).rejection_rate).toBeLessThanOrEqual(MARGIN);
  });

  it('shows the naive repeated t-test exceeding α on the same runs (10 looks)', () => {
    const naive = simulateAudit({ ...base, test: 'naive-t' });
    expect(naive.rejection_rate).toBeGreaterThan(ALPHA);
    // Same streams, one look only (budget = one batch): the t-test is then a valid level-α test.
    const single = simulateAudit({ ...base, budget: 500, batchSize: 500, test: 'naive-t' });
    expect(single.rejection_rate).toBeLessThan(naive.rejection_rate);
    expect(single.rejection_rate).toBeLessThanOrEqual(MARGIN);
  });
});

describe('simulated audits under the tolerance null (a true shift below ε)', () => {
  it('witness: D ≤ 0.05·TV < ε = 0.05 keeps the rate at most α (+3 s.e.)', () => {
    // Candidate = 95 % beta(2,8) + 5 % beta(4,6): any ½·tanh witness separates them by at most 0.05·TV < 0.05.
    const result = simulateAudit({
      reference: 'beta:2,8', candidate: betaMix(0.05), epsilon: 0.05, alpha: ALPHA, runs: NULL_RUNS, batchSize: 50, budget: 400,
      test: 'witness', testOptions: WITNESS, seed: 'eps',
    });
    expect(result.epsilon).toBe(0.05);
    expect(result.rejection_rate).toBeLessThanOrEqual(MARGIN);
  });

  it('mean difference: |Δmean| = 0.04 < ε = 0.05 keeps the rate at most α (+3 s.e.)', () => {
    // Candidate = 80 % beta(2,8) + 20 % beta(4,6): mean 0.24 against 0.20.
    const result = simulateAudit({
      reference: 'beta:2,8', candidate: betaMix(0.2), epsilon: 0.05, alpha: ALPHA, runs: NULL_RUNS, batchSize: 50, budget: 2000,
      test: 'mean-difference', seed: 'eps',
    });
    expect(result.rejection_rate).toBeLessThanOrEqual(MARGIN);
  });
});

describe('simulated audits under a clear shift (beta:2,8 vs beta:4,6)', () => {
  const shift: Omit<SimulateAuditOptions, 'test'> = {
    reference: 'beta:2,8', candidate: 'beta:4,6', alpha: ALPHA, runs: 100, batchSize: 50, budget: 500, seed: 'shift',
  };

  it('both tests reach power ≥ 0.9 within 500 pairs', () => {
    const witness = simulateAudit({ ...shift, test: 'witness', testOptions: WITNESS });
    const md = simulateAudit({ ...shift, test: 'mean-difference' });
    for (const r of [witness, md]) {
      expect(r.rejection_rate).toBeGreaterThanOrEqual(0.9);
      expect(r.median_samples_to_reject).not.toBeNull();
      expect(r.median_samples_to_reject!).toBeLessThanOrEqual(500);
      expect(r.samples_to_reject).toHaveLength(r.rejections);
    }
  });

  it('only the learned witness sees a shift in shape with equal means (beta:2,2 vs uniform)', () => {
    const shape = { reference: 'beta:2,2', candidate: 'uniform:0,1', alpha: ALPHA, runs: 60, batchSize: 50, budget: 1000, seed: 'shape' } as const;
    expect(simulateAudit({ ...shape, test: 'witness', testOptions: WITNESS }).rejection_rate).toBeGreaterThanOrEqual(0.9);
    // For the mean-difference test this is a true null (both means 0.5).
    expect(simulateAudit({ ...shape, test: 'mean-difference' }).rejection_rate).toBeLessThanOrEqual(0.2);
  });
});

describe('simulateAudit', () => {
  it('is deterministic per seed and reports medians over rejecting runs only', () => {
    const options: SimulateAuditOptions = { reference: 'beta:2,8', candidate: 'beta:3,7', runs: 30, batchSize: 20, budget: 200, test: 'mean-difference', seed: 5 };
    const a = simulateAudit(options);
    expect(simulateAudit(options)).toEqual(a);
    expect(a.rejections).toBeGreaterThan(0);
    expect(a.rejections).toBe(a.samples_to_reject.length);
    expect(a.median_samples_to_reject).toBe(median(a.samples_to_reject));
    // Identical constant scores: every bet pays exactly 1, so no run can reject.
    const none = simulateAudit({ ...options, reference: 'bernoulli:0', candidate: 'bernoulli:0', runs: 5 });
    expect(none).toMatchObject({ rejections: 0, rejection_rate: 0, median_samples_to_reject: null, mean_samples_to_reject: null });
    expect(() => simulateAudit({ ...options, reference: 'file:x.json' })).toThrow(RangeError);
    expect(() => simulateAudit({ ...options, runs: 0 })).toThrow(RangeError);
  });
});
