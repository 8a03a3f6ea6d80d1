import { progressLines } from './progress';

describe('progressLines (progress when stdout is not a terminal)', () => {
  it('prints one line per tenth reached, never twice, with the label and message', () => {
    const lines: string[] = [];
    const sut = progressLines('training L', Date.now(), (line) => lines.push(line));
    for (const fraction of [0, 0.01, 0.05, 0.1, 0.11, 0.35, 0.35, 0.99, 1, 1]) sut(fraction, `at ${fraction}`);
    expect(lines.map((l) => l.replace(/^\s*\[\d+ s\] /, ''))).toEqual(['training L 0% at 0', 'training L 10% at 0.1', 'training L 30% at 0.35', 'training L 90% at 0.99', 'training L 100% at 1']);
  });
});
