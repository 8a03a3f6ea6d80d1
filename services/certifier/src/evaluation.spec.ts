import { parseEvaluationItems, parseMultipleChoice } from './evaluation-items';
import { estimatedItemBytes, fitResponse, packBatches, trimLeftToTokens } from './item-fitting';
import { ratioOf, ScoredItem, summarizeEvaluation, thin } from './evaluation-summary';
import { fillTemplate, predictedLetter, summarizeBenchmark } from './benchmark-summary';
import { evaluationReportFiles } from './evaluation-report';

/** A toy tokenizer: every character is a token (so counts are easy to check). */
const chars = { encode: (t: string) => [...t].map((c) => c.charCodeAt(0)), decode: (ids: number[]) => String.fromCharCode(...ids) };
/** Another: every pair of characters is one token. */
const pairs = { encode: (t: string) => Array.from({ length: Math.ceil(t.length / 2) }, (_, i) => i), decode: () => '' };

describe('evaluation items', () => {
  it('reads JSONL responses with prompts, and plain lines as responses or prompts', () => {
    const jsonl = '{"prompt":"Q?","response":"A."}\n{"text":"B."}\n{"question":"Only?"}\n';
    expect(parseEvaluationItems(jsonl, 'responses')).toEqual([{ prompt: 'Q?', response: 'A.' }, { response: 'B.' }]);
    expect(parseEvaluationItems(jsonl, 'prompts')).toEqual([{ prompt: 'Q?' }, { prompt: 'Only?' }]);
    expect(parseEvaluationItems('one\n\n two \nthree', 'prompts', 2)).toEqual([{ prompt: 'one' }, { prompt: 'two' }]);
    expect(parseEvaluationItems('one\ntwo', 'responses')).toEqual([{ response: 'one' }, { response: 'two' }]);
  });

  it('reads MedQA-style multiple choice and refuses malformed rows', () => {
    const row = { question: 'Which?', options: { B: 'beta', A: 'alpha', C: 'gamma' }, answer_idx: 'B' };
    expect(parseMultipleChoice(JSON.stringify(row))).toEqual([{ question: 'Which?', options: [['A', 'alpha'], ['B', 'beta'], ['C', 'gamma']], answerIdx: 'B', answer: 'beta' }]);
    expect(() => parseMultipleChoice(JSON.stringify({ ...row, answer_idx: 'E' }))).toThrow(/answer_idx/);
    expect(() => parseMultipleChoice('not json')).toThrow(/not JSON/);
  });
});

describe('item fitting', () => {
  it('keeps the longest suffix of a prompt that fits', () => {
    expect(trimLeftToTokens('abcdefgh', 3, chars.encode)).toBe('fgh');
    expect(trimLeftToTokens('abc', 5, chars.encode)).toBe('abc');
    expect(trimLeftToTokens('abc', 0, chars.encode)).toBe('');
  });

  it('cuts a response to the token cap and to both contexts', () => {
    const large = { contextLength: 6, ...chars };
    expect(fitResponse([97, 98, 99, 100, 101, 102, 103], 10, large, { contextLength: 100, ...chars }, true).ids).toHaveLength(5);
    expect(fitResponse([97, 98, 99], 2, large, { contextLength: 100, ...chars }, true)).toEqual({ ids: [97, 98], text: 'ab' });
    // G counts characters here, with room for 2 after BOS: the response is cut until its text fits.
    const fitted = fitResponse([97, 98, 99, 100], 10, { contextLength: 100, ...chars }, { contextLength: 3, ...chars }, false);
    expect(fitted).toEqual({ ids: [97, 98], text: 'ab' });
  });

  it('packs batches by count and by bytes, keeping order', () => {
    const items = [1, 2, 3, 4, 5, 6, 7];
    expect(packBatches(items, () => ({ bytes: 1, rows: 1 }), { maxRows: 3, maxBytes: 100 })).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
    expect(packBatches(items, (i) => ({ bytes: i === 4 ? 500 : 10, rows: 1 }), { maxRows: 10, maxBytes: 100 })).toEqual([[1, 2, 3], [4], [5, 6, 7]]);
    expect(packBatches(items, () => ({ bytes: 1, rows: 4 }), { maxRows: 10, maxBytes: 100 })).toEqual([[1, 2], [3, 4], [5, 6], [7]]);
    expect(estimatedItemBytes(1000, 100)).toBeGreaterThan(9000 + 1000);
    expect(pairs.encode('abcde')).toHaveLength(3);
  });
});

function scored(set: 'id' | 'ood', ratios: number[], nTokens = 10, log2G = -20): ScoredItem[] {
  return ratios.map((r, index) => ({ set, index, nTokens, log2G, log2L: log2G + r * nTokens }));
}

describe('evaluation summary', () => {
  const items = [...scored('id', [-1, -0.5, 0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5]), ...scored('ood', [2, 3, 4, 5, 6, 7], 8, -60)];

  it('chooses k on the calibration half and measures the rates, AUROC, the ROC and the domain certificate on the held-out half', () => {
    const s = summarizeEvaluation(items, { targetFrr: 0.1, T: 4, minTokens: 1, seed: 5 });
    expect(s.evaluation).toBe('held-out');
    expect(s.split).toMatchObject({ seed: 5, calibration: { inDomain: 5, outOfDomain: 3 }, heldOut: { inDomain: 5, outOfDomain: 3 } });
    const id = items.filter((i) => i.set === 'id');
    const ood = items.filter((i) => i.set === 'ood');
    const calibrationId = id.filter((_, i) => !s.heldOut.inDomain.includes(i)).map(ratioOf);
    expect(s.k).toBe(Math.max(...calibrationId)); // conformal rank ⌈6·0.9⌉ = 6 > 5: the largest calibration ratio
    const heldId = s.heldOut.inDomain.map((i) => ratioOf(id[i]));
    const heldOod = s.heldOut.outOfDomain.map((i) => ood[i]);
    expect(s.frr).toBeCloseTo(heldId.filter((r) => r > s.k).length / 5, 12);
    expect(s.oodRejection).toBeCloseTo(heldOod.filter((o) => ratioOf(o) > s.k).length / 3, 12);
    expect(s.domainCertificateLog2).toBeCloseTo(s.k * 8 + 2 - 60, 10);
    expect(s.counts).toEqual({ inDomain: 10, outOfDomain: 6, dropped: 0 });
    expect(s.log10Epsilon.outOfDomain).toHaveLength(3);
    expect(s.log10Epsilon.outOfDomain[0]).toBeCloseTo(s.domainCertificateLog2 * Math.log10(2), 10);
    expect(s.roc[0]).toMatchObject({ fpr: 0, tpr: 0 });
    expect(s.roc[s.roc.length - 1]).toMatchObject({ fpr: 1, tpr: 1 });
    // In sample, labelled: k = 0.9 quantile (type 7) of all ID ratios, FRR 0.1 by construction.
    expect(s.inSample.operatingPoint.k).toBeCloseTo(3.05, 10);
    expect(s.inSample.operatingPoint.frr).toBeCloseTo(0.1, 12);
  });

  it('finds k for a target ε on the calibration OOD items, drops short items, and refuses sets too small to split', () => {
    const s = summarizeEvaluation([...items, ...scored('id', [9], 0)], { targetFrr: 0.2, targetEpsilonLog2: -50, T: 1, minTokens: 1 });
    expect(s.counts.dropped).toBe(1);
    expect(s.kForTargetEpsilon!).toBeCloseTo(10 / 8, 4);
    expect(s.kForTargetEpsilon! * 8 - 60).toBeLessThanOrEqual(-50);
    expect(() => summarizeEvaluation(scored('id', [1]), { targetFrr: 0.1, T: 1, minTokens: 1 })).toThrow(/both sets/);
    expect(() => summarizeEvaluation([...scored('id', [1, 2]), ...scored('ood', [3])], { targetFrr: 0.1, T: 1, minTokens: 1 })).toThrow(/at least 2 out-of-domain/);
  });

  it('writes a report with the three figures and the headline numbers, held-out and in-sample apart', () => {
    const files = evaluationReportFiles('test', summarizeEvaluation(items, { targetFrr: 0.1, T: 1, minTokens: 1 }), { model: 'l' });
    expect(Object.keys(files).sort()).toEqual(['epsilon-ecdf.svg', 'index.html', 'ratios-histogram.svg', 'report.json', 'roc.svg']);
    expect(files['index.html']).toContain('<svg');
    expect(files['index.html']).toContain('held out');
    const headline = JSON.parse(files['report.json']).headline;
    expect(headline).toMatchObject({ model: 'l', in_domain: 10 });
    expect(headline.evaluation).toContain('held out');
    expect(headline.in_sample_optimistic).toContain('k chosen and measured on all items');
    expect(thin([1, 2, 3, 4, 5], 3)).toEqual([1, 3, 5]);
  });
});

describe('certified benchmarking', () => {
  it('predicts the best marker, and counts an answer only when correct and accepted', () => {
    expect(predictedLetter(['A', 'B', 'C'], [-3, -1, -2])).toBe('B');
    const item = { question: 'Q', options: [['A', 'x'], ['B', 'y']] as Array<[string, string]>, answerIdx: 'A', answer: 'x' };
    expect(fillTemplate('{question}\n{options}\nAnswer:', item)).toBe('Q\nA. x\nB. y\nAnswer:');
    const gold = scored('id', [0, 0.5, 2, 3]);
    const ood = scored('ood', [5], 10, -40);
    const s = summarizeBenchmark([true, true, false, true], gold, { epsilonsLog2: [-30, -2000], ks: [1.5], ood, T: 1, optionCounts: [4, 4, 4, 4] });
    expect(s).toMatchObject({ accuracy: 0.75, chance: 0.25, n: 4 });
    // ε = 2^-30 with one OOD item of 10 tokens and log2 G = -40: k = 1 bit/token; the first two items have r ≤ k.
    expect(s.points[0].k!).toBeCloseTo(1, 4);
    expect(s.points[0]).toMatchObject({ log2Epsilon: -30, certifiedAccuracy: 0.5, frr: 0.5 });
    expect(s.points[1]).toEqual({ log2Epsilon: -2000, k: null, certifiedAccuracy: 0, frr: 1 });
    expect(s.points[2]).toEqual({ log2Epsilon: null, k: 1.5, certifiedAccuracy: 0.5, frr: 0.5 });
  });
});
