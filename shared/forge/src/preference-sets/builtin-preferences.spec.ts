import fs from 'node:fs';
import path from 'node:path';
import { choicePairs, choiceRecord, parseHhRlhf, parseHhTranscript, parseLetteredJsonl, parseMmluCsv, readBuiltinPreferences } from './builtin-preferences';

const DATA_DIR = path.resolve(__dirname, '../../../../../shared/data');

describe('built-in preference sets', () => {
  it('splits an HH transcript into turns and keeps pairs that differ only in the final assistant turn', () => {
    expect(parseHhTranscript('\n\nHuman: hi there\n\nAssistant: hello\n\nHuman: how?')).toEqual([
      { role: 'user', content: 'hi there' },
      { role: 'assistant', content: 'hello' },
      { role: 'user', content: 'how?' },
    ]);
    const line = (chosen: string, rejected: string) => JSON.stringify({ chosen, rejected });
    const jsonl = [
      line('\n\nHuman: q\n\nAssistant: good', '\n\nHuman: q\n\nAssistant: bad'),
      line('\n\nHuman: q\n\nAssistant: same', '\n\nHuman: q\n\nAssistant: same'),
      line('\n\nHuman: q1\n\nAssistant: a', '\n\nHuman: q2\n\nAssistant: b'),
    ].join('\n');
    expect(parseHhRlhf(jsonl)).toEqual([{ messages: [{ role: 'user', content: 'q' }], chosen: 'good', rejected: 'bad' }]);
  });

  it('turns multiple choice into the right option against each wrong one, lettered as spec §4', () => {
    const [q] = parseLetteredJsonl(JSON.stringify({ question: 'Q?', options: { B: 'two', A: 'one', C: 'three' }, answer_idx: 'B' }));
    expect(q).toEqual({ question: 'Q?', options: ['one', 'two', 'three'], label: 1 });
    const item = choiceRecord(q);
    expect(item.messages[0].content).toBe('Q?\nA. one\nB. two\nC. three\nAnswer:');
    expect(choicePairs(item).map((p) => [p.chosen, p.rejected])).toEqual([
      ['B. two', 'A. one'],
      ['B. two', 'C. three'],
    ]);
    expect(parseMmluCsv('"What, exactly?",a,b,c,d,C\n')).toEqual([{ question: 'What, exactly?', options: ['a', 'b', 'c', 'd'], label: 2 }]);
  });

  const hasData = fs.existsSync(path.join(DATA_DIR, 'hh_rlhf_harmless_test'));
  (hasData ? it : it.skip)('reads the local datasets with the held-out part kept apart (disjoint, seeded)', () => {
    const hh = readBuiltinPreferences('hh_rlhf_harmless_test', DATA_DIR);
    expect(hh.train.length).toBeGreaterThan(1000);
    expect(hh.heldOut.length).toBeGreaterThan(300);
    const key = (p: { messages: unknown; chosen: string }) => JSON.stringify([p.messages, p.chosen]);
    const train = new Set(hh.train.map(key));
    expect(hh.heldOut.filter((p) => train.has(key(p))).length).toBeLessThan(hh.heldOut.length * 0.01);
    expect(readBuiltinPreferences('hh_rlhf_harmless_test', DATA_DIR).heldOut).toEqual(hh.heldOut);
    const medqa = readBuiltinPreferences('medqa_usmle', DATA_DIR);
    expect(medqa.heldOutChoices!.length).toBeGreaterThan(200);
    const tox = readBuiltinPreferences('toxicity', DATA_DIR);
    expect(tox.train.length).toBeGreaterThan(500);
  });
});
