import { AuditDecision, AuditReport, AuditStartRequest } from '@assay/contracts';
import { htmlReport, lineChart } from '@assay/plots';
import { AuditLedger, MEAN_INTERVAL_LEVEL, StopReason } from './audit-ledger';
import { describeMetric } from '@assay/platform';

/** Object keys of one audit's artefacts. */
export function auditKeys(jobId: string) {
  const prefix = `reports/audits/${jobId}/`;
  return {
    prefix,
    report: `${prefix}report.json`,
    plot: `${prefix}log-wealth.svg`,
    html: `${prefix}index.html`,
  };
}

/** The report as the worker sees it after a batch (`stopReason` null: still running). */
export function reportFromLedger(jobId: string, request: AuditStartRequest, ledger: AuditLedger, stopReason: StopReason | null): AuditReport {
  const test = ledger.test;
  const finished = stopReason !== null;
  const decision: AuditDecision = test.rejected ? 'shift-detected' : finished ? 'no-shift-detected' : 'pending';
  return {
    id: jobId,
    status: finished ? 'succeeded' : 'running',
    decision,
    stopReason,
    reference: request.reference,
    candidate: request.candidate,
    metric: describeMetric(request.metric),
    test: request.test,
    alpha: request.alpha,
    epsilon: request.epsilon,
    budget: request.budget,
    samplesUsed: ledger.nextIndex,
    pairsUsed: test.samplesUsed,
    droppedPairs: ledger.droppedPairs,
    samplesToDecision: ledger.samplesToDecision(finished),
    logWealth: test.history.map((p) => ({ samples: p.samples, logWealth: p.logWealth })),
    finalLogWealth: test.logWealth,
    threshold: test.logThreshold,
    means: ledger.means(),
    resumedAt: [...ledger.resumedAt],
    reportKey: auditKeys(jobId).report,
  };
}

/**
 * The report of an audit with no report written yet: queued by another client than this service and not started,
 * so its parameters (α, hence the threshold) are not known here yet.
 */
export function pendingReport(id: string): AuditReport {
  const unknownMean = { n: 0, mean: null, low: null, high: null, level: MEAN_INTERVAL_LEVEL, interval: 'none' as const };
  return {
    id,
    status: 'queued',
    decision: 'pending',
    stopReason: null,
    samplesUsed: 0,
    pairsUsed: 0,
    droppedPairs: 0,
    samplesToDecision: null,
    logWealth: [{ samples: 0, logWealth: 0 }],
    finalLogWealth: 0,
    threshold: null,
    means: { reference: unknownMean, candidate: unknownMean },
    resumedAt: [],
  };
}

/** At most `max` points, evenly spread, always keeping the first, the last and the largest-wealth point. */
export function thinTrajectory<T extends { logWealth: number }>(points: readonly T[], max = 2000): T[] {
  if (points.length <= max) return [...points];
  let peak = 0;
  points.forEach((p, i) => (p.logWealth > points[peak].logWealth ? (peak = i) : undefined));
  const keep = new Set<number>([0, points.length - 1, peak]);
  const step = (points.length - 1) / (max - 3);
  for (let k = 0; keep.size < max && k * step < points.length; k++) keep.add(Math.round(k * step));
  return [...keep].sort((a, b) => a - b).map((i) => points[i]);
}

/** The wealth trajectory with the rejection line log(1/α), as a static SVG. */
export function logWealthSvg(report: AuditReport): string {
  return lineChart([{ name: `log-wealth (${report.test ?? 'test'})`, points: thinTrajectory(report.logWealth).map((p) => [p.samples, p.logWealth] as [number, number]) }], {
    title: `Audit ${report.reference ?? ''} → ${report.candidate ?? ''} (${report.metric ?? ''})`,
    xLabel: 'paired samples',
    yLabel: 'log wealth',
    hLines: report.threshold === null ? [] : [{ y: report.threshold, label: `log(1/α) = ${report.threshold.toFixed(2)}` }],
  });
}

export function auditHtml(report: AuditReport, svg: string): string {
  const fmt = (m: AuditReport['means']['reference']) =>
    m.mean === null ? 'n/a' : `${m.mean.toFixed(4)} ${m.interval === 'anytime-valid' ? `[${m.low!.toFixed(4)}, ${m.high!.toFixed(4)}]` : '(no interval)'} (n=${m.n})`;
  return htmlReport(
    `Behaviour-shift audit ${report.id}`,
    {
      decision: report.decision,
      stop_reason: report.stopReason,
      reference: report.reference,
      candidate: report.candidate,
      metric: report.metric,
      test: report.test,
      alpha: report.alpha,
      epsilon: report.epsilon,
      budget: report.budget,
      samples_used: report.samplesUsed,
      pairs_used: report.pairsUsed,
      dropped_pairs: report.droppedPairs,
      samples_to_decision: report.samplesToDecision,
      final_log_wealth: report.finalLogWealth,
      threshold: report.threshold,
      reference_mean_anytime_valid_95: fmt(report.means.reference),
      candidate_mean_anytime_valid_95: fmt(report.means.candidate),
    },
    [
      {
        caption:
          'Log-wealth after each batch; the audit rejects "no shift" when it reaches log(1/α). Mean intervals are 95% anytime-valid confidence ' +
          'sequences (empirical Bernstein, Waudby-Smith & Ramdas 2023): valid at every sample size, also when the audit stopped early.',
        svg,
      },
    ],
  );
}
