import { gradedKnowledgeTask } from '@assay/forge';
import { gradedKnowledgeSet } from './qa-sources';

describe('gradedKnowledgeSet questions: all', () => {
  it('asks every question template of each held-out fact, in the fact\'s own split, and keeps the task\'s own question', () => {
    const source = { kind: 'graded-knowledge' as const, people: 40, seed: 3, format: 'open' as const };
    const one = gradedKnowledgeSet({ ...source, questions: 'one' });
    const all = gradedKnowledgeSet({ ...source, questions: 'all' });
    const task = gradedKnowledgeTask({ people: 40, seed: 3 });
    expect(one.items).toHaveLength(task.openEnded.length);
    // 3 templates per attribute: three distinct questions per fact.
    expect(all.items).toHaveLength(3 * task.openEnded.length);
    const questions = new Set(all.items.map((i) => i.question));
    expect(questions.size).toBe(all.items.length);
    for (const item of one.items) expect(questions.has(item.question)).toBe(true);
    // Every question of a fact names its person and lies in the fact's split (splits stay by fact).
    for (const q of task.openEnded) {
      const person = task.facts.find((f) => f.id === q.factId)!.person;
      const mine = all.items.filter((i) => i.question.includes(person) && (i as { answers?: string[] }).answers?.[0] === q.answers[0]);
      expect(mine.length).toBeGreaterThanOrEqual(3);
      expect(new Set(mine.map((i) => i.split))).toEqual(new Set([q.split]));
    }
  });
});
