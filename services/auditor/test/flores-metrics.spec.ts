import fs from 'node:fs';
import path from 'node:path';
import { corpusBleu, corpusChrf, simulateAudit, empiricalSampler, tokenize13a } from '@assay/stats';
import { BleuMetric, ChrfMetric } from '@assay/platform';

const FLORES = path.resolve(__dirname, '../../../../shared/data/flores200_devtest_eng_deu_fra');
const read = (lang: string) => fs.readFileSync(path.join(FLORES, `${lang}.devtest`), 'utf8').split('\n').filter(Boolean).slice(0, 300);

describe('translation-quality metrics on FLORES-200 (eng, deu, fra)', () => {
  const eng = read('eng_Latn');
  const deu = read('deu_Latn');
  const fra = read('fra_Latn');
  // Both sides in 13a tokens joined by spaces, so re-tokenizing is the identity and every prefix n-gram matches.
  const refs = deu.map((s) => tokenize13a(s).join(' '));
  const prefixes = refs.map((r) => {
    const tokens = r.split(' ');
    return tokens.slice(0, Math.max(1, Math.ceil((tokens.length * 2) / 3))).join(' ');
  });

  it('scores a perfect translation 100 and a prefix exactly by the brevity penalty', () => {
    expect(corpusBleu(refs, [refs]).score).toBeCloseTo(100, 6);
    expect(corpusChrf(refs, [refs])).toBeCloseTo(100, 6);
    // Every n-gram of a prefix is in the reference: all precisions are 1, so BLEU = 100·exp(1 − r/c).
    const r = refs.reduce((n, s) => n + s.split(' ').length, 0);
    const c = prefixes.reduce((n, s) => n + s.split(' ').length, 0);
    expect(corpusBleu(prefixes, [refs]).score).toBeCloseTo(100 * Math.exp(1 - r / c), 6);
  });

  it('ranks the right-language reference above the source and the wrong target language', async () => {
    const chrf = new ChrfMetric();
    const bleu = new BleuMetric();
    const items = (hyps: string[]) => hyps.map((completion, i) => ({ prompt: eng[i], completion, reference: deu[i] }));
    const [prefixChrf, sourceChrf, frenchChrf] = await Promise.all([chrf.score(items(prefixes.map((p) => p))), chrf.score(items(eng)), chrf.score(items(fra))]);
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    expect(mean(prefixChrf)).toBeGreaterThan(mean(sourceChrf) + 0.2);
    expect(mean(prefixChrf)).toBeGreaterThan(mean(frenchChrf) + 0.2);
    const bleuScores = await bleu.score(items(deu));
    expect(bleuScores.every((s) => Math.abs(s - 1) < 1e-9)).toBe(true);
  });

  it('an audit on per-sentence chrF detects a truncating candidate and not an identical one', async () => {
    const chrf = new ChrfMetric();
    const full = await chrf.score(refs.map((r, i) => ({ prompt: eng[i], completion: r, reference: refs[i] })));
    const cut = await chrf.score(prefixes.map((p, i) => ({ prompt: eng[i], completion: p, reference: refs[i] })));
    const shifted = simulateAudit({ reference: empiricalSampler(full), candidate: empiricalSampler(cut), epsilon: 0, alpha: 0.05, runs: 20, batchSize: 20, budget: 300, test: 'mean-difference', seed: 3 });
    const same = simulateAudit({ reference: empiricalSampler(full), candidate: empiricalSampler(full), epsilon: 0, alpha: 0.05, runs: 20, batchSize: 20, budget: 300, test: 'mean-difference', seed: 4 });
    expect(shifted.rejection_rate).toBe(1);
    expect(same.rejection_rate).toBeLessThanOrEqual(0.1);
  });
});
