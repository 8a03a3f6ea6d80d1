import { Command } from 'commander';
import { auditCommand, parseMetricSpec, parseScoreLines } from './audit';

describe('assay audit: argument parsing', () => {
  it('turns --metric text into the wire metric', () => {
    expect(parseMetricSpec('toxicity')).toEqual({ kind: 'toxicity' });
    expect(parseMetricSpec('toxicity:my-clf@2')).toEqual({ kind: 'toxicity', classifier: 'my-clf@2' });
    expect(parseMetricSpec('chrf')).toEqual({ kind: 'chrf' });
    expect(parseMetricSpec('BLEU')).toEqual({ kind: 'bleu' });
    expect(parseMetricSpec('lexicon:idiot, moron,,stupid')).toEqual({ kind: 'lexicon', words: ['idiot', 'moron', 'stupid'], mode: 'presence' });
    expect(parseMetricSpec('lexicon:idiot', { lexiconMode: 'fraction' })).toEqual({ kind: 'lexicon', words: ['idiot'], mode: 'fraction' });
    expect(parseMetricSpec('regex:\\b(hate|kill):x', { regexFlags: 'iu' })).toEqual({ kind: 'regex', pattern: '\\b(hate|kill):x', flags: 'iu' });
    expect(() => parseMetricSpec('lexicon:')).toThrow(/needs words/);
    expect(() => parseMetricSpec('regex:')).toThrow(/needs a pattern/);
    expect(() => parseMetricSpec('chrf:x')).toThrow(/takes no argument/);
    expect(() => parseMetricSpec('lexicon:a', { lexiconMode: 'most' })).toThrow(/presence or fraction/);
    expect(() => parseMetricSpec('vibes')).toThrow(/unknown metric/);
  });

  it('reads score files of numbers or {"score"} objects, naming bad lines', () => {
    expect(parseScoreLines('0.1\n\n{"score": 0.5, "id": 3}\r\n1\n', 'f')).toEqual([0.1, 0.5, 1]);
    expect(() => parseScoreLines('0.1\nabc\n', 'f.jsonl')).toThrow('f.jsonl:2: not a number or JSON');
    expect(() => parseScoreLines('{"value": 1}\n', 'f.jsonl')).toThrow('f.jsonl:1: expected a number');
  });

  it('simulate prints {rejection_rate, median_samples_to_reject, runs}, options before or after the subcommand', async () => {
    const lines: string[] = [];
    const log = jest.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
    try {
      const args = ['--reference', 'bernoulli:0.1', '--candidate', 'bernoulli:0.5', '--runs', '4', '--test', 'mean-difference', '--batch-size', '20', '--budget', '400', '--json'];
      await new Command('assay').addCommand(auditCommand()).parseAsync(['audit', 'simulate', ...args], { from: 'user' });
      await new Command('assay').enablePositionalOptions().addCommand(auditCommand()).parseAsync(['audit', 'simulate', ...args], { from: 'user' });
    } finally {
      log.mockRestore();
    }
    const [a, b] = lines.map((line) => JSON.parse(line));
    expect(a).toMatchObject({ runs: 4, rejection_rate: 1, test: 'mean-difference', batch_size: 20, budget: 400, reference: 'bernoulli:0.1', workers: 1 });
    expect(a.seconds).toBeGreaterThanOrEqual(0);
    delete a.seconds;
    delete b.seconds;
    expect(a.median_samples_to_reject).toBeGreaterThan(0);
    expect(a.median_samples_to_reject % 20).toBe(0);
    expect(b).toEqual(a);
  });
});
