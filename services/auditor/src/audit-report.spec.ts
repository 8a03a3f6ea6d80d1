import { AuditLedger } from './audit-ledger';
import { auditHtml, logWealthSvg, reportFromLedger, thinTrajectory } from './audit-report';

const request = {
  reference: 'base',
  candidate: 'tuned',
  prompts: ['a'],
  metric: { kind: 'regex' as const, pattern: 'x', flags: 'i' },
  epsilon: 0,
  alpha: 0.05,
  budget: 100,
  batchSize: 10,
  test: 'mean-difference' as const,
  maxNewTokens: 8,
  temperature: 0.7,
  topP: 0.9,
  seeds: { reference: 1, candidate: 2 },
  shuffle: true,
  shuffleSeed: 0,
};

describe('audit reports', () => {
  it('thins long trajectories to at most max points, keeping the ends and the peak', () => {
    const points = Array.from({ length: 10_001 }, (_, i) => ({ samples: i, logWealth: i === 4321 ? 99 : Math.sin(i) }));
    const thin = thinTrajectory(points, 100);
    expect(thin.length).toBeLessThanOrEqual(100);
    expect(thin[0]).toBe(points[0]);
    expect(thin[thin.length - 1]).toBe(points[10_000]);
    expect(thin).toContain(points[4321]);
    expect(thin.map((p) => p.samples)).toEqual([...thin.map((p) => p.samples)].sort((a, b) => a - b));
    expect(thinTrajectory(points.slice(0, 5), 100)).toEqual(points.slice(0, 5));
  });

  it('builds pending and final reports from the ledger, with an SVG showing the log(1/α) line', () => {
    const ledger = AuditLedger.start(request);
    ledger.record(new Array(10).fill(0), new Array(10).fill(1));
    const pending = reportFromLedger('job1', request, ledger, null);
    expect(pending).toMatchObject({ decision: ledger.test.rejected ? 'shift-detected' : 'pending', samplesUsed: 10, pairsUsed: 10, metric: 'regex:/x/i' });
    while (!ledger.test.rejected) ledger.record(new Array(10).fill(0), new Array(10).fill(1));
    const final = reportFromLedger('job1', request, ledger, 'rejected');
    expect(final.decision).toBe('shift-detected');
    expect(final.samplesToDecision).toBe(ledger.test.samplesToReject);
    expect(final.logWealth).toHaveLength(ledger.test.history.length);
    expect(final.threshold).toBeCloseTo(Math.log(20), 12);
    expect(final.means.candidate.mean).toBe(1);
    const svg = logWealthSvg(final);
    expect(svg).toContain('<svg');
    expect(svg).toContain('log(1/α) = 3.00');
    expect(auditHtml(final, svg)).toContain('shift-detected');
  });
});
