import fs from 'node:fs';
import path from 'node:path';
import { decodeCheckpoint, GptWeights, gptLogits, gptWeightsFromOnnxDir, initLoraAdapters, Gpt2Architecture, readBaseModel } from '@assay/forge';
import { InProcessExecutor, LocalEngine, TextTokenizer } from '@assay/runtime';
import { contextText, uncertaintyQuery } from '../src/qa-format';
import { goldRow, queryRow } from '../src/ct-query.trainer';
import { forgeTinyL } from './calibrator-models';

/**
 * What CT-Query (spec §3.1) stands on: L's weights read back from its ONNX export (a forged GPT-2 without
 * weights.bin), fresh LoRA adapters (B = 0) that reproduce the base logits exactly, and the trainer's query
 * layout giving the same option margin the runtime serves. The JSD term's gradient is checked by finite
 * differences in @assay/stats (query-loss.spec.ts), the LoRA trainer's B = 0 identity in @assay/forge.
 */
describe('CT-Query foundations', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await forgeTinyL(3);
  }, 120_000);

  it('reads a forged GPT-2 back from model.onnx, exactly as weights.bin holds it', async () => {
    const stored = decodeCheckpoint<GptWeights>(new Uint8Array(fs.readFileSync(path.join(dir, 'weights.bin'))));
    const fromOnnx = gptWeightsFromOnnxDir(dir);
    expect(fromOnnx.shape).toEqual(stored.shape);
    expect(Array.from(fromOnnx.tokenEmbedding)).toEqual(Array.from(stored.tokenEmbedding));
    expect(Array.from(fromOnnx.blocks[0].attnQkvW)).toEqual(Array.from(stored.blocks[0].attnQkvW));
    expect(Array.from(fromOnnx.lnFinalBias)).toEqual(Array.from(stored.lnFinalBias));
    const copy = fs.mkdtempSync(path.join(path.dirname(dir), 'no-weights-'));
    for (const f of fs.readdirSync(dir)) if (f !== 'weights.bin') fs.copyFileSync(path.join(dir, f), path.join(copy, f));
    expect((await readBaseModel(copy)).family).toBe('gpt2');
  });

  it('LoRA with B = 0 reproduces the base logits, and the query row gives the runtime\'s option margin', async () => {
    const weights = gptWeightsFromOnnxDir(dir);
    const lora = { rank: 4, alpha: 16, targets: ['c_attn'] };
    const adapters = Object.fromEntries(initLoraAdapters(new Gpt2Architecture(weights.shape), lora, 7));
    const tokenizer = TextTokenizer.fromJson(JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer.json'), 'utf8')));
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    const specials = { bos: config.bos_token_id, eos: config.eos_token_id, pad: config.pad_token_id, context: 128 };
    const context = contextText('Where was Sarentu Velno born?', 'open');
    const query = uncertaintyQuery(context, 'Tanorholm');
    const row = queryRow(tokenizer, specials, query, [5]);
    const gold = goldRow(tokenizer, specials, context, 'Tanorholm');
    expect(gold.positions.length).toBe(tokenizer.encode(' Tanorholm').length); // exactly the answer's tokens (pitfall 1)
    const base = await gptLogits(weights, [row.ids]);
    const withZeroB = await gptLogits(weights, [row.ids], { lora, adapters });
    expect(Array.from(withZeroB)).toEqual(Array.from(base));

    const V = weights.shape.vocabSize;
    const at = row.positions[0] * V;
    const [no, yes] = [7, 9];
    const margin = base[at + yes] - base[at + no];
    const engine = new LocalEngine({ executor: new InProcessExecutor() });
    try {
      await engine.loadModel('l', dir);
      const scored = await engine.score({ model: 'l', items: [{ context: query, continuationIds: [5, no] }, { context: query, continuationIds: [5, yes] }] });
      expect(scored.results[1].sumLogprob - scored.results[0].sumLogprob).toBeCloseTo(margin, 3);
    } finally {
      await engine.close();
    }
  });
});
