import { calibrationTargets, runCalibrationAcceptance } from './calibration';

/**
 * Calibrator acceptance (issue 10): the graded-knowledge L, every method fitted and measured on held-out test
 * splits, plus mmlu and nq_open. Minutes on two cores, so it only runs when ASSAY_ACCEPTANCE=1. The same run as
 * `node shared/cli/bin/run-ts.js e2e/acceptance/calibration.ts --json`.
 */
const acceptance = process.env.ASSAY_ACCEPTANCE === '1' ? describe : describe.skip;

acceptance('calibrator acceptance: graded knowledge, mmlu, nq_open', () => {
  it('probe-ts and ct-query-ts reach ECE ≤ 0.05 and AUROC ≥ query AUROC + 0.10 on the graded test split; TS never raises held-out NLL', async () => {
    const result = await runCalibrationAcceptance({ log: (line) => console.log(line) });
    console.log(`[calibration] ${JSON.stringify(result)}`);
    for (const key of ['query', 'query-ts', 'probe', 'probe-ts', 'ct-query', 'ct-query-ts', 'logprob', 'verbal', 'sampling']) expect(result.graded[key]).toBeDefined();
    expect(result.mmlu).toBeDefined();
    expect(result.nq_open).toBeDefined();
    const missed = calibrationTargets(result).filter((t) => !t.met);
    expect(missed).toEqual([]);
  }, 1_800_000);
});
