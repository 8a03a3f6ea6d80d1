import { formatMultipleChoiceQa, formatOpenEndedQa, gradedKnowledgeTask, mentionHistogram, zipfMentionCounts } from './graded-knowledge';
import { PROFESSIONS } from './graded-knowledge-vocabulary';

const SMALL = { people: 200, seed: 'spec' };

describe('zipfMentionCounts', () => {
  it('deals n facts over k = 0..K with P(k) ∝ (k + 1)^−s exactly (largest remainder)', () => {
    // n = 10, s = 1, K = 2: weights 1, ½, ⅓ (sum 11/6) → 60/11 = 5.45, 30/11 = 2.73, 20/11 = 1.82;
    // floors 5, 2, 1 (8), the two largest remainders (0.82 at k = 2, 0.73 at k = 1) get the other two → [5, 3, 2].
    expect(zipfMentionCounts(10, 1, 2)).toEqual([5, 3, 2]);
    expect(zipfMentionCounts(1500, 1, 30).reduce((a, b) => a + b, 0)).toBe(1500);
    expect(zipfMentionCounts(7, 0, 6)).toEqual([1, 1, 1, 1, 1, 1, 1]); // s = 0 is uniform
  });
});

describe('gradedKnowledgeTask', () => {
  const task = gradedKnowledgeTask(SMALL);

  it('is a pure function of its options and seed', () => {
    expect(gradedKnowledgeTask(SMALL)).toEqual(task);
    const other = gradedKnowledgeTask({ ...SMALL, seed: 'other' });
    expect(other.people[0].name).not.toBe(task.people[0].name);
    expect(task.options).toMatchObject({ people: 200, zipfExponent: 1, maxMentions: 30, distractors: 3 });
  });

  it('invents unique syllable names, a birth city, a profession and a year for each person', () => {
    expect(task.people).toHaveLength(200);
    expect(new Set(task.people.map((p) => p.name)).size).toBe(200);
    for (const p of task.people) {
      expect(p.name).toMatch(/^[A-Z][a-z]{3,9} [A-Z][a-z]{3,9}$/);
      expect(PROFESSIONS).toContain(p.profession);
      expect(Number(p.birthYear)).toBeGreaterThanOrEqual(1900);
      expect(Number(p.birthYear)).toBeLessThanOrEqual(1999);
    }
    expect(new Set(task.people.map((p) => p.birthCity)).size).toBeLessThanOrEqual(40);
    expect(task.facts).toHaveLength(600);
  });

  it('states every fact in the corpus exactly as often as its mention count, with the Zipf histogram', () => {
    expect(mentionHistogram(task.facts, 30)).toEqual(zipfMentionCounts(600, 1, 30));
    const hist = mentionHistogram(task.facts, 30);
    expect(hist[0] + hist[1]).toBeGreaterThan(0.3 * 600); // many facts stated once or never
    expect(hist.slice(10).reduce((a, b) => a + b, 0)).toBeGreaterThan(0.2 * 600); // many stated often
    const statements = task.corpus.filter((d) => !d.startsWith('Question')).flatMap((d) => d.match(/[^.]+\./g) ?? []).map((s) => s.trim());
    expect(statements).toHaveLength(task.facts.reduce((a, f) => a + f.mentions, 0));
    const byName = new Map(task.people.map((p) => [p.name, p]));
    const count = new Map<string, number>();
    for (const s of statements) {
      // The one person named in the sentence (a sentence may start with a city: "Kokeburg is the city where …").
      const person = s.match(/[A-Z][a-z]+ [A-Z][a-z]+/g)!.map((n) => byName.get(n)).find(Boolean)!;
      const attribute = (['birthCity', 'profession', 'birthYear'] as const).find((a) => new RegExp(`\\b${person[a]}\\b`).test(s))!;
      const key = `${person.name}|${attribute}`;
      count.set(key, (count.get(key) ?? 0) + 1);
    }
    for (const f of task.facts) expect(count.get(`${f.person}|${f.attribute}`) ?? 0).toBe(f.mentions);
  });

  it('asks every non-format fact open-ended and as multiple choice, with the same question and its mention count', () => {
    expect(task.openEnded).toHaveLength(task.multipleChoice.length);
    const byId = new Map(task.facts.map((f) => [f.id, f]));
    task.openEnded.forEach((q, i) => {
      const fact = byId.get(q.factId)!;
      expect(q.answers).toEqual([fact.value]);
      expect(q.question).toContain(fact.person);
      expect(q).toMatchObject({ mentions: fact.mentions, split: fact.split, attribute: fact.attribute });
      expect(task.multipleChoice[i]).toMatchObject({ question: q.question, factId: q.factId, mentions: fact.mentions });
    });
  });

  it('draws multiple-choice distractors of the same attribute type, distinct, with the label on the right answer', () => {
    const cities = new Set(task.people.map((p) => p.birthCity));
    const labels = new Set<number>();
    for (const item of task.multipleChoice) {
      const fact = task.facts.find((f) => f.id === item.factId)!;
      expect(item.choices).toHaveLength(4);
      expect(new Set(item.choices).size).toBe(4);
      expect(item.choices[item.label]).toBe(fact.value);
      labels.add(item.label);
      for (const c of item.choices) {
        if (item.attribute === 'profession') expect(PROFESSIONS).toContain(c);
        else if (item.attribute === 'birthYear') expect(c).toMatch(/^19\d\d$/);
        else expect(c).toMatch(/^[A-Z][a-z]+$/);
      }
      if (item.attribute === 'birthCity') expect(cities.has(item.choices[item.label])).toBe(true);
    }
    expect(labels.size).toBe(4); // the right answer is not always in the same place
  });

  it('splits by fact, stratified by mention count, so each split has the same frequency distribution', () => {
    const facts = gradedKnowledgeTask({ people: 500, seed: 1 });
    const counts = (split: string) => mentionHistogram(facts.openEnded.filter((q) => q.split === split), 30);
    const [train, val, test] = [counts('train'), counts('val'), counts('test')];
    const total = (h: number[]) => h.reduce((a, b) => a + b, 0);
    // Default shares: format 0.2 of all facts, then 0.5 / 0.25 / 0.25 of the rest → 0.4 / 0.2 / 0.2 of 1500.
    expect(total(train)).toBeCloseTo(600, -1.5);
    expect(total(val)).toBeCloseTo(300, -1.5);
    for (let k = 0; k <= 30; k++) {
      const all = facts.facts.filter((f) => f.mentions === k).length;
      expect(Math.abs(train[k] - 0.4 * all)).toBeLessThanOrEqual(1);
      expect(Math.abs(val[k] - 0.2 * all)).toBeLessThanOrEqual(1);
      expect(Math.abs(test[k] - 0.2 * all)).toBeLessThanOrEqual(1);
    }
    // Stable under the seed, and no fact is in two splits.
    expect(gradedKnowledgeTask({ people: 500, seed: 1 }).openEnded.map((q) => q.split)).toEqual(facts.openEnded.map((q) => q.split));
    expect(new Set(facts.openEnded.map((q) => q.factId)).size).toBe(facts.openEnded.length);
  });

  it('teaches the question format with format facts only: no train, val or test question is in the corpus', () => {
    const corpusText = task.corpus.join('\n');
    const format = task.facts.filter((f) => f.split === 'format');
    expect(format.length).toBeCloseTo(0.2 * 600, -1);
    for (const q of task.openEnded) expect(corpusText).not.toContain(q.question);
    const qaDocs = task.corpus.filter((d) => d.startsWith('Question'));
    expect(qaDocs).toHaveLength(2 * format.length);
    expect(qaDocs.some((d) => /^Question: .+\nAnswer: \S/.test(d))).toBe(true);
    expect(qaDocs.some((d) => /^Question:\n.+\n\nChoices:\n {2}\(a\): .+\n {2}\(b\): .+\n {2}\(c\): .+\n {2}\(d\): .+\nAnswer: [a-d]$/.test(d))).toBe(true);
  });

  it('formats questions as calibration.md §1.1', () => {
    expect(formatOpenEndedQa('Where was Kalo Mi born?', 'Rentonvale')).toBe('Question: Where was Kalo Mi born?\nAnswer: Rentonvale');
    expect(formatOpenEndedQa('Where was Kalo Mi born?')).toBe('Question: Where was Kalo Mi born?\nAnswer:');
    expect(formatMultipleChoiceQa({ question: 'Q?', choices: ['x', 'y'] }, 1)).toBe('Question:\nQ?\n\nChoices:\n  (a): x\n  (b): y\nAnswer: b');
  });

  it('has a corpus a tiny L can train on in minutes: ~1 KB per person, sentences with articles right', () => {
    const full = gradedKnowledgeTask({ seed: 0 });
    const chars = full.corpus.reduce((a, d) => a + d.length, 0);
    expect(chars).toBeGreaterThan(400_000);
    expect(chars).toBeLessThan(700_000);
    expect(full.corpus.join(' ')).not.toMatch(/\ba [aeiou]/);
  });

  it('validates its options', () => {
    expect(() => gradedKnowledgeTask({ people: 0 })).toThrow(RangeError);
    expect(() => gradedKnowledgeTask({ formatShare: 1 })).toThrow(RangeError);
    expect(() => gradedKnowledgeTask({ distractors: 40 })).toThrow(RangeError);
    expect(() => gradedKnowledgeTask({ cities: 2 })).toThrow(RangeError);
    expect(() => gradedKnowledgeTask({ splits: { train: 0, val: 0, test: 0 } })).toThrow(RangeError);
  });
});
