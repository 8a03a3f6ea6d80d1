import { mkdtempSync, rmSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runMedicalAcceptance } from './valid-medical';

/**
 * VALID acceptance on the medical domain (about 1–2 minutes on two cores, more on a loaded machine), so it
 * only runs when ASSAY_ACCEPTANCE=1. The same run as `node shared/cli/bin/run-ts.js e2e/acceptance/valid-medical.ts`.
 */
const acceptance = process.env.ASSAY_ACCEPTANCE === '1' ? describe : describe.skip;

acceptance('VALID acceptance: medical domain (MedQuAD vs Wikitext-2, TinyShakespeare, TruthfulQA)', () => {
  const outDir = mkdtempSync(path.join(os.tmpdir(), 'assay-acceptance-'));
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('separates held-out medical answers from general text with AUROC ≥ 0.9, every figure held out from the k it measures', async () => {
    const result = await runMedicalAcceptance({ outDir });
    console.log(`[valid-medical] ${JSON.stringify({ ...result, ratios_bits_per_token: undefined, models: undefined })}`);
    expect(result.n).toEqual({ inDomain: 300, outOfDomain: 300 });
    expect(result).toMatchObject({ evaluation: 'held-out', split: { heldOut: { inDomain: 150, outOfDomain: 150 } } });
    expect(result.auroc).toBeGreaterThanOrEqual(0.9);
    // k from 150 calibration answers holds the FRR at 0.1 in expectation; 150 held-out answers measure it within about
    // ±0.025 (one binomial standard error), so allow three.
    expect(result.frr).toBeLessThanOrEqual(0.1 + 3 * Math.sqrt((0.1 * 0.9) / 150));
    expect(result.ood_rejection).toBeGreaterThan(0.7);
    for (const source of Object.values(result.per_source)) expect(source.auroc).toBeGreaterThan(0.8);
    expect(Number.isFinite(result.domain_certificate_log2)).toBe(true);
  }, 900_000);
});
