import fs from 'node:fs';
import { CATALOGUE_FILE, renderCatalogue } from './write-catalogue';
import { SUBJECT_CATALOGUE } from './catalogue';
import { CertifyRequestSchema, GenerateRequestSchema, parseOrThrow, AssayError } from './index';

describe('contracts', () => {
  it('the committed NATS subject catalogue is up to date (run `npm run contracts`)', () => {
    expect(fs.readFileSync(CATALOGUE_FILE, 'utf8')).toBe(renderCatalogue());
  });

  it('every subject follows assay.<service>.<verb>', () => {
    for (const row of SUBJECT_CATALOGUE) expect(row.subject).toMatch(/^assay\.[a-z-]+\.[a-z]+$/);
  });

  it('rejects bad requests with BAD_REQUEST naming the field, applies defaults to good ones', () => {
    expect(() => parseOrThrow(CertifyRequestSchema, { model: 'l', guide: 'g', prompt: 'x', k: Number.NaN })).toThrow(/k/);
    try {
      parseOrThrow(GenerateRequestSchema, { model: 'M@1', prompts: [''] });
    } catch (error) {
      expect(error).toBeInstanceOf(AssayError);
      expect((error as AssayError).code).toBe('BAD_REQUEST');
      expect(JSON.stringify((error as AssayError).details)).toContain('prompts.0');
    }
    const parsed = parseOrThrow(GenerateRequestSchema, { model: 'tiny', prompts: ['hi'] });
    expect(parsed).toMatchObject({ n: 1, maxNewTokens: 64, temperature: 1, topK: 0, topP: 1, stop: [] });
    // Chat requests: messages instead of prompts (one conversation or several), never both, never neither.
    const chat = parseOrThrow(GenerateRequestSchema, { model: 'tiny', messages: [{ role: 'user', content: 'hi' }], variant: 'quantized' });
    expect(chat).toMatchObject({ prompts: [], messages: [{ role: 'user', content: 'hi' }], variant: 'quantized' });
    expect(() => parseOrThrow(GenerateRequestSchema, { model: 'tiny', prompts: ['hi'], messages: [{ role: 'user', content: 'hi' }] })).toThrow(/either prompts \(non-empty\) or messages/);
    expect(() => parseOrThrow(GenerateRequestSchema, { model: 'tiny' })).toThrow(/either prompts \(non-empty\) or messages/);
  });
});
