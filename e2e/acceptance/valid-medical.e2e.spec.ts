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

  it('separates held-out medical answers from general text with AUROC ≥ 0.9', async () => {
    const result = await runMedicalAcceptance({ outDir });
    expect(result.n).toEqual({ inDomain: 300, outOfDomain: 300 });
    expect(result.auroc).toBeGreaterThanOrEqual(0.9);
    expect(result.frr).toBeLessThanOrEqual(0.1 + 1e-9);
    expect(result.ood_rejection).toBeGreaterThan(0.7);
    for (const source of Object.values(result.per_source)) expect(source.auroc).toBeGreaterThan(0.8);
    expect(Number.isFinite(result.domain_certificate_log2)).toBe(true);
  }, 900_000);
});
