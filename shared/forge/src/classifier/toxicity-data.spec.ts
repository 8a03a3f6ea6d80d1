import { balanceByLabel, cleanTweet, parseDavidsonCsv, parseHateCheckCsv, parseToxigenJsonl, splitToxicityExamples, ToxicityExample } from './toxicity-data';

describe('toxicity loaders', () => {
  it('Davidson: classes 0 and 1 are toxic, 2 is not; tweets are cleaned', () => {
    const csv = ',count,hate_speech,offensive_language,neither,class,tweet\n' +
      '0,3,2,1,0,0,"RT @someone: bad &amp; worse"\n1,3,0,3,0,1,plain\n2,3,0,0,3,2,"see http://t.co/x &#128514;\nok"\n';
    expect(parseDavidsonCsv(csv)).toEqual([
      { text: 'RT @user: bad & worse', label: 1, source: 'davidson' },
      { text: 'plain', label: 1, source: 'davidson' },
      { text: 'see URL \u{1F602} ok', label: 0, source: 'davidson' },
    ]);
    expect(() => parseDavidsonCsv(',class,tweet\n0,7,x\n')).toThrow(/class/);
  });

  it('cleanTweet leaves unknown entities and lone surrogate codes alone', () => {
    expect(cleanTweet('a &bogus; b &#55296; c')).toBe('a &bogus; b &#55296; c');
  });

  it('HateCheck: hateful → 1, non-hateful → 0, grouped by template', () => {
    const csv = ',functionality,case_id,test_case,label_gold,target_ident,direction,focus_words,focus_lemma,ref_case_id,ref_templ_id,templ_id,case_templ\n' +
      '0,derog_neg_emote_h,1,I hate women. ,hateful,women,general,hate,hate,,,1,I hate [IDENTITY_P].\n' +
      '1,counter_ref_nh,2,"Saying ""x"" is wrong",non-hateful,women,,,,,,7,t\n';
    expect(parseHateCheckCsv(csv)).toEqual([
      { text: 'I hate women.', label: 1, source: 'hatecheck', group: 'hatecheck:templ:1' },
      { text: 'Saying "x" is wrong', label: 0, source: 'hatecheck', group: 'hatecheck:templ:7' },
    ]);
  });

  it('ToxiGen: hate → 1, neutral → 0, repeated texts dropped', () => {
    const jsonl = ['{"text": "a b ", "label": "hate"}', '', '{"text": "c", "label": "neutral"}', '{"text": "A B", "label": "hate"}'].join('\n');
    expect(parseToxigenJsonl(jsonl)).toEqual([
      { text: 'a b', label: 1, source: 'toxigen' },
      { text: 'c', label: 0, source: 'toxigen' },
    ]);
    expect(() => parseToxigenJsonl('{"text": "x", "label": "other"}')).toThrow(/label/);
  });
});

function synthetic(): ToxicityExample[] {
  const out: ToxicityExample[] = [];
  for (let i = 0; i < 400; i++) out.push({ text: `d${i}`, label: i % 5 === 0 ? 0 : 1, source: 'davidson' });
  for (let i = 0; i < 200; i++) out.push({ text: `h${i}`, label: i % 3 === 0 ? 0 : 1, source: 'hatecheck', group: `t${i % 40}` });
  return out;
}

describe('splitToxicityExamples', () => {
  it('is deterministic, partitions the data and stratifies by source and label', () => {
    const data = synthetic();
    const a = splitToxicityExamples(data, { seed: 3 });
    const b = splitToxicityExamples(data, { seed: 3 });
    expect(a).toEqual(b);
    expect(splitToxicityExamples(data, { seed: 4 })).not.toEqual(a);
    const all = [...a.train, ...a.validation, ...a.test].map((e) => e.text).sort();
    expect(all).toEqual(data.map((e) => e.text).sort());
    const davidsonNeg = (xs: ToxicityExample[]) => xs.filter((e) => e.source === 'davidson' && e.label === 0).length;
    expect(davidsonNeg(a.test)).toBe(8);
    expect(davidsonNeg(a.validation)).toBe(8);
    expect(a.test.filter((e) => e.source === 'davidson').length).toBe(40);
  });

  it('never puts one group in two splits', () => {
    const s = splitToxicityExamples(synthetic(), { seed: 1, validationFraction: 0.2, testFraction: 0.2 });
    const where = new Map<string, string>();
    for (const [name, part] of Object.entries(s)) {
      for (const e of part as ToxicityExample[]) {
        if (!e.group) continue;
        expect(where.get(e.group) ?? name).toBe(name);
        where.set(e.group, name);
      }
    }
    expect(new Set(where.values()).size).toBe(3);
  });

  it('rejects fractions that leave no training data', () => {
    expect(() => splitToxicityExamples(synthetic(), { seed: 1, validationFraction: 0.5, testFraction: 0.5 })).toThrow(/fractions/);
  });
});

describe('balanceByLabel', () => {
  const data = synthetic().filter((e) => e.source === 'davidson'); // 80 non-toxic, 320 toxic
  it('undersamples the majority or oversamples the minority, deterministically', () => {
    const under = balanceByLabel(data, 'undersample', 9);
    expect(under.filter((e) => e.label === 0).length).toBe(80);
    expect(under.filter((e) => e.label === 1).length).toBe(80);
    expect(new Set(under.map((e) => e.text)).size).toBe(160);
    const over = balanceByLabel(data, 'oversample', 9);
    expect(over.filter((e) => e.label === 0).length).toBe(320);
    expect(over.filter((e) => e.label === 1).length).toBe(320);
    expect(balanceByLabel(data, 'oversample', 9)).toEqual(over);
  });
});
