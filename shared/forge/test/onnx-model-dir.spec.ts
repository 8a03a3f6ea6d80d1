import { readFileSync } from 'fs';
import { mkdtemp, readdir, readFile, rm } from 'fs/promises';
import { tmpdir } from 'os';
import * as path from 'path';
import * as ort from 'onnxruntime-node';
import { Tokenizer } from '@huggingface/tokenizers';
import {
  END_OF_TEXT,
  exportGptModelDir,
  PAD_TOKEN,
  randomGptWeights,
  referenceForward,
  specialTokenId,
  tokenizerVocabSize,
  trainBpeTokenizer,
} from '@assay/forge';

const corpus = readFileSync(path.resolve(__dirname, '../../../../shared/data/tinyshakespeare/input.txt'), 'utf8');

describe('GPT-2 model directory export', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'forge-model-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each([true, false])('writes an Optimum-layout directory that loads and runs (withPast=%s)', async (withPast) => {
    const tokenizer = trainBpeTokenizer({ texts: [corpus.slice(0, 100_000)], vocabSize: 320 });
    const vocabSize = tokenizerVocabSize(tokenizer);
    const eos = specialTokenId(tokenizer, END_OF_TEXT);
    const pad = specialTokenId(tokenizer, PAD_TOKEN);
    const weights = randomGptWeights({ vocabSize, contextLength: 32, layers: 1, heads: 2, dim: 8, layerNormEps: 1e-5 }, 3, { std: 0.3 });
    const out = path.join(dir, `m-${withPast}`);
    await exportGptModelDir(weights, tokenizer, out, { bosTokenId: eos, eosTokenId: eos, padTokenId: pad, withPast });

    expect((await readdir(out)).sort()).toEqual(['config.json', 'generation_config.json', 'model.onnx', 'tokenizer.json', 'tokenizer_config.json']);
    const config = JSON.parse(await readFile(path.join(out, 'config.json'), 'utf8'));
    expect(config).toMatchObject({
      model_type: 'gpt2',
      vocab_size: vocabSize,
      n_positions: 32,
      n_embd: 8,
      n_layer: 1,
      n_head: 2,
      layer_norm_epsilon: 1e-5,
      bos_token_id: eos,
      eos_token_id: eos,
      pad_token_id: pad,
      activation_function: 'gelu_new',
      tie_word_embeddings: true,
      assay: { hidden_states_output: 'hidden_states', with_past: withPast },
    });
    const generation = JSON.parse(await readFile(path.join(out, 'generation_config.json'), 'utf8'));
    expect(generation).toEqual({ bos_token_id: eos, eos_token_id: eos, pad_token_id: pad, max_length: 32 });

    const tok = new Tokenizer(
      JSON.parse(await readFile(path.join(out, 'tokenizer.json'), 'utf8')),
      JSON.parse(await readFile(path.join(out, 'tokenizer_config.json'), 'utf8')),
    );
    const ids = tok.encode('To be, or not to be').ids;
    const session = await ort.InferenceSession.create(path.join(out, 'model.onnx'));
    try {
      const S = ids.length;
      const feeds: Record<string, ort.Tensor> = {
        input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, S]),
        attention_mask: new ort.Tensor('int64', new BigInt64Array(S).fill(1n), [1, S]),
        position_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map((_, i) => BigInt(i))), [1, S]),
      };
      if (withPast) {
        for (const name of session.inputNames.filter((n) => n.startsWith('past_key_values.'))) {
          feeds[name] = new ort.Tensor('float32', new Float32Array(0), [1, 2, 0, 4]);
        }
      }
      const result = await session.run(feeds);
      const ref = referenceForward(weights, { inputIds: [ids] });
      const logits = result.logits.data as Float32Array;
      let diff = 0;
      for (let i = 0; i < logits.length; i++) diff = Math.max(diff, Math.abs(logits[i] - ref.logits[i]));
      expect(result.logits.dims).toEqual([1, S, vocabSize]);
      expect(diff).toBeLessThanOrEqual(1e-4);
    } finally {
      await session.release();
    }
  });
});
