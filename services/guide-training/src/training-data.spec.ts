import { parseResponses } from './training-data';

describe('parseResponses', () => {
  it('reads text, response or answer from JSONL and never a prompt', () => {
    const jsonl = [
      JSON.stringify({ prompt: 'Q1?', response: 'Rest and fluids help.' }),
      JSON.stringify({ text: 'Plain text item.' }),
      JSON.stringify({ question: 'Q3', answer: ' See a doctor. ' }),
      JSON.stringify({ prompt: 'only a prompt' }),
      '',
    ].join('\n');
    const parsed = parseResponses(jsonl);
    expect(parsed).toEqual({ format: 'jsonl', responses: ['Rest and fluids help.', 'Plain text item.', 'See a doctor.'], skipped: 1 });
    expect(parsed.responses.join(' ')).not.toContain('Q1?');
  });

  it('splits plain text into paragraphs', () => {
    const parsed = parseResponses('First answer\nstill first.\n\n\nSecond answer.\r\n\r\nThird.');
    expect(parsed.format).toBe('text');
    expect(parsed.responses).toEqual(['First answer\nstill first.', 'Second answer.', 'Third.']);
  });

  it('treats a file whose lines are not all JSON objects as text, and caps the count', () => {
    const parsed = parseResponses('{"text": "a"}\nnot json\n\nb', 1);
    expect(parsed.format).toBe('text');
    expect(parsed.responses).toHaveLength(1);
  });
});
