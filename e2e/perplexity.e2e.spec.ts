import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ScoreResponse } from '@assay/contracts';
import { forgeLm, trainBpeTokenizer } from '@assay/forge';
import { PlatformHarness } from '@assay/testing';
import { LikelihoodModule } from '../services/likelihood/src/likelihood.module';

const DATA = path.resolve(__dirname, '../../shared/data');

function chunks(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i + size <= text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

describe('a model forged on one corpus prefers held-out text of that corpus', () => {
  const harness = new PlatformHarness('perplexity');
  const shakespeare = fs.readFileSync(path.join(DATA, 'tinyshakespeare/input.txt'), 'utf8');
  const wiki = fs.readFileSync(path.join(DATA, 'wikitext2/test.txt'), 'utf8').replace(/ @([-.,])@ /g, '$1');
  const trainText = shakespeare.slice(0, 300_000);
  const heldOutShakespeare = chunks(shakespeare.slice(1_000_000, 1_020_000), 160).slice(0, 32);
  const heldOutWiki = chunks(wiki.slice(200_000, 220_000), 160).slice(0, 32);

  beforeAll(async () => {
    await harness.start();
    // One tokenizer for both corpora, so the comparison is per token of the same vocabulary.
    const tokenizer = trainBpeTokenizer({ texts: [trainText, wiki.slice(0, 150_000)], vocabSize: 512 });
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'assay-ppl-'));
    const { report } = await forgeLm({
      texts: chunks(trainText, 600),
      tokenizer,
      model: { layers: 1, heads: 2, dim: 64, contextLength: 128 },
      outDir: out,
      training: { maxSteps: 150, batchSize: 16, learningRate: 4e-3, seed: 1 },
    });
    expect(report.valLoss).not.toBeNull();
    await harness.registry.push(out, { name: 'bard', version: '1', provenance: { kind: 'forged', trainingReport: report as never } });
    await harness.startService(LikelihoodModule, 'likelihood');
  }, 240_000);
  afterAll(() => harness.close());

  async function perplexity(texts: string[]): Promise<number> {
    const reply = await harness.rpc.request<ScoreResponse>('assay.likelihood.score', { model: 'bard', items: texts.map((t) => ({ context: '', continuation: t })) });
    const nats = reply.results.reduce((s, r) => s + r.sumLogprob, 0);
    const tokens = reply.results.reduce((s, r) => s + r.numTokens, 0);
    return Math.exp(-nats / tokens);
  }

  it('has lower perplexity on held-out Shakespeare than on Wikipedia text', async () => {
    const own = await perplexity(heldOutShakespeare);
    const other = await perplexity(heldOutWiki);
    expect(own).toBeLessThan(other * 0.8);
  });
});
