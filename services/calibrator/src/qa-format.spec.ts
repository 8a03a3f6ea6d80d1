import { clipMargin, heldMethods, MARGIN_CLIP, marginOf, pFromMargin, splitMethod } from './calibrator-artifact';
import { namesModel } from './confidence.service';
import { assignSplits, sampleItems } from './dataset.job';
import { contextText, gradeAnswer, kshotPrefix, parseVerbalProbability, questionText, sameAnswer, sanitizeAnswer, solvedExample, uncertaintyQuery } from './qa-format';
import { parseUserJsonl } from './qa-sources';

describe('the texts of calibration.md', () => {
  it('builds the uncertainty query of §2 byte for byte', () => {
    const c = contextText('Where was Sarentu Velno born?', 'open');
    expect(c).toBe('Question: Where was Sarentu Velno born?\nAnswer:');
    expect(uncertaintyQuery(c, 'Tanorholm')).toBe(
      'Question: Where was Sarentu Velno born?\nAnswer: Tanorholm\n\nIs the proposed answer correct?\nChoices:\n(i): no\n(ii): yes\nAnswer:',
    );
    const item = { question: 'Which?', choices: ['x', 'y'], label: 1 };
    const mc = contextText(questionText(item, 'choice'), 'choice');
    expect(mc).toBe('Question:\nWhich?\n\nChoices:\n  (a): x\n  (b): y\nAnswer:');
    expect(uncertaintyQuery(mc, 'b')).toBe('Question:\nWhich?\n\nChoices:\n  (a): x\n  (b): y\nAnswer: b\n\nIs the proposed answer correct?\nChoices:\n(i): no\n(ii): yes\nAnswer:');
    expect(solvedExample(item, 'choice')).toBe(`${mc} b`);
  });

  it('writes the k-shot prefix of §1.1: header, solved examples each with "\\n", closing line, joined by "\\n"', () => {
    const ex = [{ question: 'A?', answers: ['a'] }];
    expect(kshotPrefix(ex, 'open')).toBe('The following are questions (with answers).\nQuestion: A?\nAnswer: a\n\nNow, answer the next question.\n\n');
    expect(kshotPrefix([{ question: 'Q', choices: ['p', 'q'], label: 0 }], 'choice', 'anatomy')).toBe(
      'The following are multiple-choice questions (with answers) about anatomy.\nQuestion:\nQ\n\nChoices:\n  (a): p\n  (b): q\nAnswer: a\n\nNow, answer the next question.\n\n',
    );
    expect(kshotPrefix([], 'open')).toBe('');
  });

  it('sanitises answers as §1.2 and grades them as §1.3', () => {
    expect(sanitizeAnswer('  \n Tanorholm\n\nQuestion: x')).toBe('Tanorholm');
    expect(sanitizeAnswer('Answer:\nParis\nmore')).toBe('Answer:Paris');
    expect(gradeAnswer('The city of Tanorholm.', { question: 'q', answers: ['Tanorholm'] }, 'open')).toBe(1);
    expect(gradeAnswer('tanorholmia', { question: 'q', answers: ['Tanorholm'] }, 'open')).toBe(0);
    expect(gradeAnswer('', { question: 'q', answers: ['x'] }, 'open')).toBe(0);
    expect(gradeAnswer('b', { question: 'q', choices: ['x', 'y'], label: 1 }, 'choice')).toBe(1);
    expect(gradeAnswer('(b) y', { question: 'q', choices: ['x', 'y'], label: 1 }, 'choice')).toBe(1);
    expect(gradeAnswer('a', { question: 'q', choices: ['x', 'y'], label: 1 }, 'choice')).toBe(0);
    expect(gradeAnswer('because', { question: 'q', choices: ['x', 'y'], label: 1 }, 'choice')).toBe(0);
    expect(sameAnswer('The Tanorholm', 'tanorholm')).toBe(true);
    expect(sameAnswer('Velmar', 'tanorholm')).toBe(false);
  });

  it('parses verbalised probabilities as §3.4, 0.5 when unparsable, clamped to [0, 1]', () => {
    expect(parseVerbalProbability(' 0.8\nmore')).toBe(0.8);
    expect(parseVerbalProbability('Probability: .35')).toBe(0.35);
    expect(parseVerbalProbability('no idea')).toBe(0.5);
    expect(parseVerbalProbability('7')).toBe(1);
  });
});

describe('margins and methods', () => {
  it('turns probabilities into clipped log-odds and back, with a temperature', () => {
    expect(pFromMargin(marginOf(0.8))).toBeCloseTo(0.8, 12);
    expect(marginOf(0)).toBe(-MARGIN_CLIP);
    expect(marginOf(1)).toBe(MARGIN_CLIP);
    expect(clipMargin(Number.NaN)).toBe(0);
    expect(pFromMargin(2, 2)).toBeCloseTo(1 / (1 + Math.exp(-1)), 12);
    expect(pFromMargin(-1e6)).toBeGreaterThan(0);
    expect(splitMethod('ct-query-ts')).toEqual({ base: 'ct-query', scaled: true });
    expect(heldMethods({ methods: { probe: { temperature: 1, valNllBefore: 0, valNllAfter: 0 } } })).toEqual(['probe', 'probe-ts']);
  });

  it('matches a requested model against the calibrator\'s L', () => {
    expect(namesModel('tiny-l', 'tiny-l@1')).toBe(true);
    expect(namesModel('tiny-l@1', 'tiny-l@1')).toBe(true);
    expect(namesModel('tiny-l@latest', 'tiny-l@1')).toBe(true);
    expect(namesModel('tiny-l@2', 'tiny-l@1')).toBe(false);
    expect(namesModel('other', 'tiny-l@1')).toBe(false);
  });
});

describe('dataset splits and sources', () => {
  it('splits by the shares under a seed, stably, and keeps a source\'s own splits', () => {
    const items: Array<{ question: string; split?: 'train' | 'val' | 'test' }> = Array.from({ length: 100 }, (_, i) => ({ question: `q${i}` }));
    const a = assignSplits(items, { train: 0.6, val: 0.2, test: 0.2 }, 137);
    expect(assignSplits(items, { train: 0.6, val: 0.2, test: 0.2 }, 137)).toEqual(a);
    expect(assignSplits(items, { train: 0.6, val: 0.2, test: 0.2 }, 138)).not.toEqual(a);
    expect(a.filter((s) => s === 'train')).toHaveLength(60);
    expect(a.filter((s) => s === 'val')).toHaveLength(20);
    expect(assignSplits([{ split: 'test' as const }, { split: 'val' as const }], { train: 1, val: 0, test: 0 }, 1)).toEqual(['test', 'val']);
    const sample = sampleItems(items, 10, 3);
    expect(sample).toHaveLength(10);
    expect(sampleItems(items, 10, 3)).toEqual(sample);
  });

  it('reads a user JSONL in either form and refuses bad rows', () => {
    expect(parseUserJsonl('{"question":"q","answers":["a"]}\n').format).toBe('open');
    expect(parseUserJsonl('{"question":"q","choices":["a","b"],"label":1}').items[0]).toEqual({ question: 'q', choices: ['a', 'b'], label: 1 });
    expect(() => parseUserJsonl('{"question":"q","choices":["a","b"],"label":2}')).toThrow(/label/);
    expect(() => parseUserJsonl('{"question":"","answers":["a"]}')).toThrow(/question/);
    expect(() => parseUserJsonl('not json')).toThrow(/JSON/);
    expect(() => parseUserJsonl('')).toThrow(/no rows/);
  });
});
