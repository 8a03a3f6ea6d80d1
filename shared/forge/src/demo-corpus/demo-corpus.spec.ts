import { SeededRng } from '../train/rng';
import { demoCorpus, GENERAL_TOPICS, HEALTH_CONDITIONS } from './demo-corpus';
import { Grammar, list, tidy } from './grammar';

describe('Grammar', () => {
  const grammar = (seed = 1) => new Grammar(new SeededRng(seed));

  it('expands nested alternatives and slots', () => {
    const seen = new Set<string>();
    for (let seed = 0; seed < 200; seed++) seen.add(grammar(seed).expand('[a [b|c]|d] {x}.', { x: 'end' }));
    expect([...seen].sort()).toEqual(['A b end.', 'A c end.', 'D end.']);
  });

  it('names different list elements for repeated slots while it can', () => {
    for (let seed = 0; seed < 50; seed++) {
      const [a, b] = grammar(seed).expand('{s}|{s}', { s: ['x', 'y'] }).split('|');
      expect(new Set([a.toLowerCase(), b])).toEqual(new Set(['x', 'y']));
    }
    expect(grammar().expand('{s} {s} {s}', { s: ['z'] })).toBe('Z z z');
  });

  it('throws on a slot without a value', () => {
    expect(() => grammar().expand('{missing}', {})).toThrow('{missing}');
  });

  it('tidies spacing and capitalises sentences; list splits compact literals', () => {
    expect(tidy('  hello  ,  world . next one ?  yes')).toBe('Hello, world. Next one? Yes');
    expect(list('a| b |c||')).toEqual(['a', 'b', 'c']);
  });
});

describe('demoCorpus', () => {
  const corpus = demoCorpus({ seed: 11 });
  const all = [...corpus.inDomain, ...corpus.general, ...corpus.inDomainHeldOut, ...corpus.outOfDomainHeldOut];

  it('is deterministic for a seed and changes with the seed', () => {
    expect(demoCorpus({ seed: 11 })).toEqual(corpus);
    expect(demoCorpus({ seed: 12 }).inDomain).not.toEqual(corpus.inDomain);
  });

  it('has the default sizes: a few hundred KB in all, about 100-160 KB per training domain', () => {
    expect(corpus.inDomain).toHaveLength(500);
    expect(corpus.general).toHaveLength(600);
    expect(corpus.inDomainHeldOut).toHaveLength(100);
    expect(corpus.outOfDomainHeldOut).toHaveLength(100);
    expect(corpus.prompts.inDomain).toHaveLength(12);
    expect(corpus.prompts.outOfDomain).toHaveLength(12);
    for (const texts of [corpus.inDomain, corpus.general]) {
      const kb = texts.join('\n').length / 1024;
      expect(kb).toBeGreaterThan(100);
      expect(kb).toBeLessThan(160);
    }
  });

  it('keeps held-out answers and prompts out of the training set', () => {
    const train = new Set([...corpus.inDomain, ...corpus.general]);
    for (const t of [...corpus.inDomainHeldOut, ...corpus.outOfDomainHeldOut]) expect(train.has(t)).toBe(false);
    const trainPrompts = new Set([...corpus.inDomainPairs, ...corpus.generalPairs].map((p) => p.prompt));
    for (const p of [...corpus.prompts.inDomain, ...corpus.prompts.outOfDomain]) expect(trainPrompts.has(p)).toBe(false);
    expect(new Set(corpus.inDomain).size).toBe(corpus.inDomain.length);
  });

  it('fully expands every template into sentence-cased text', () => {
    for (const text of all) {
      expect(text).not.toMatch(/[{}[\]|]/);
      expect(text).toMatch(/^[A-Z0-9]/);
      expect(text).toMatch(/[.!?]$/);
    }
    for (const q of [...corpus.prompts.inDomain, ...corpus.prompts.outOfDomain]) expect(q).toMatch(/\?$/);
  });

  it('aligns pairs with responses, covers every condition and topic, and varies its answers', () => {
    expect(corpus.inDomainPairs.map((p) => p.response)).toEqual(corpus.inDomain);
    expect(corpus.generalPairs.map((p) => p.response)).toEqual(corpus.general);
    expect(corpus.heldOutPairs.inDomain.map((p) => p.response)).toEqual(corpus.inDomainHeldOut);
    expect(corpus.heldOutPairs.outOfDomain.map((p) => p.response)).toEqual(corpus.outOfDomainHeldOut);
    const mentioned = HEALTH_CONDITIONS.filter((c) => corpus.inDomain.some((t) => t.toLowerCase().includes(c.name.toLowerCase())));
    expect(mentioned.length).toBe(HEALTH_CONDITIONS.length);
    expect(new Set(corpus.generalPairs.map((p) => p.topic))).toEqual(new Set(GENERAL_TOPICS.map((t) => t.name)));
    const sentences = new Set(corpus.inDomain.flatMap((t) => t.split(/(?<=[.?!]) /)));
    expect(sentences.size).toBeGreaterThan(800);
  });

  it('keeps health vocabulary out of the general answers', () => {
    const healthWords = /\b(doctor|symptoms?|medicine|dose|mg|treatment|diagnos\w*)\b/i;
    expect(corpus.general.filter((t) => healthWords.test(t))).toEqual([]);
  });
});
