import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { DecoderConfig, resolveDecoderConfig } from '../src/onnx/decoder-families';
import type { GptWeights } from '../src/gpt/gpt-weights';
import { ADAPTERS_FILE, forgeLm, importDecoderDir, readBaseModel, WEIGHTS_FILE } from '../src/pipelines';
import { trainBpeTokenizer } from '../src/tokenizer/bpe-trainer';
import { decodeCheckpoint, DecoderModel, decoderLogits, gptLogits, LoraConfig } from '../src/train';
import { SHAKESPEARE } from './train-corpus';

/**
 * `forgeLm` (what `assay forge lm` runs) end to end: a fresh model, then a LoRA fine-tune of it from its directory;
 * the exported ONNX model is run by onnxruntime and compared with the trainer's own forward pass.
 */
const text = fs.readFileSync(SHAKESPEARE, 'utf8');
const texts = text.slice(0, 120_000).split('\n\n').filter((t) => t.length > 20);
const tuneTexts = text.slice(600_000, 660_000).split('\n\n').filter((t) => t.length > 20);
const tokenizer = trainBpeTokenizer({ texts: texts.slice(0, 300), vocabSize: 320 });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'assay-forge-lm-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const rows = [Array.from({ length: 16 }, (_, i) => 10 + ((i * 7) % 200)), Array.from({ length: 16 }, (_, i) => 5 + ((i * i) % 250))];

/** Logits of a model directory's model.onnx for `rows`, with empty KV-cache inputs. */
async function onnxLogits(dir: string, kv: { heads: number; headDim: number }): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(path.join(dir, 'model.onnx'));
  try {
    const [B, S] = [rows.length, rows[0].length];
    const int64 = (v: number[][]): ort.Tensor => new ort.Tensor('int64', BigInt64Array.from(v.flat().map(BigInt)), [v.length, v[0].length]);
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of session.inputNames) {
      if (name === 'input_ids') feeds[name] = int64(rows);
      else if (name === 'attention_mask') feeds[name] = int64(rows.map((r) => r.map(() => 1)));
      else if (name === 'position_ids') feeds[name] = int64(rows.map((r) => r.map((_, i) => i)));
      else if (name === 'use_cache_branch') feeds[name] = new ort.Tensor('bool', [false], [1]);
      else if (name.startsWith('past_key_values.')) feeds[name] = new ort.Tensor('float32', new Float32Array(0), [B, kv.heads, 0, kv.headDim]);
      else throw new Error(`unexpected model input ${name}`);
    }
    return (await session.run(feeds)).logits.data as Float32Array;
  } finally {
    await session.release();
  }
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

const training = { maxSteps: 40, batchSize: 8, learningRate: 5e-3, seed: 1, evalEvery: 40 };

describe('forgeLm (assay forge lm)', () => {
  it('GPT-2: forges, then LoRA-tunes from the directory; the merged export equals the adapters applied at run time (≤ 1e-4)', async () => {
    const baseDir = path.join(tmp, 'gpt2-base');
    const base = await forgeLm({ texts, tokenizer, model: { layers: 2, heads: 2, dim: 32, contextLength: 32 }, outDir: baseDir, training });
    expect(base.family).toBe('gpt2');
    expect(base.report.backend).toBe('onnxruntime');
    const baseWeights = decodeCheckpoint<GptWeights>(new Uint8Array(fs.readFileSync(path.join(baseDir, WEIGHTS_FILE))));
    expect(maxAbsDiff(await onnxLogits(baseDir, { heads: 2, headDim: 16 }), await gptLogits(baseWeights, rows))).toBeLessThanOrEqual(1e-4);

    const tunedDir = path.join(tmp, 'gpt2-lora');
    const tuned = await forgeLm({ texts: tuneTexts, baseModelDir: baseDir, lora: { rank: 4, alpha: 8 }, outDir: tunedDir, training: { ...training, learningRate: 2e-2 } });
    expect(tuned.report.lora).toEqual({ rank: 4, alpha: 8, targets: ['c_attn'] });
    expect(tuned.report.trainableParameters).toBe(2 * (4 * 32 + 96 * 4));
    const { lora, weights: adapters } = decodeCheckpoint<{ lora: LoraConfig; weights: Record<string, Float32Array> }>(new Uint8Array(fs.readFileSync(path.join(tunedDir, ADAPTERS_FILE))));
    const runtime = await gptLogits(baseWeights, rows, { lora, adapters });
    expect(maxAbsDiff(await onnxLogits(tunedDir, { heads: 2, headDim: 16 }), runtime)).toBeLessThanOrEqual(1e-4);
    expect(maxAbsDiff(runtime, await gptLogits(baseWeights, rows))).toBeGreaterThan(1e-3);
  });

  it('refuses LoRA without a base and a base that is not a model directory', async () => {
    await expect(forgeLm({ texts, tokenizer, model: { layers: 1, heads: 2, dim: 16, contextLength: 16 }, lora: { rank: 2, alpha: 4 }, outDir: path.join(tmp, 'x'), training })).rejects.toThrow(/base model/);
    await expect(readBaseModel(tmp)).rejects.toThrow(/not a model directory/);
  });

  describe('llama (through the family exporter)', () => {
    const llamaDir = path.join(tmp, 'llama-base');
    let model: DecoderModel;

    beforeAll(async () => {
      await forgeLm({ texts, tokenizer, arch: 'llama', model: { layers: 2, heads: 4, kvHeads: 2, dim: 32, contextLength: 32 }, outDir: llamaDir, training });
      model = decodeCheckpoint<DecoderModel>(new Uint8Array(fs.readFileSync(path.join(llamaDir, WEIGHTS_FILE))));
    });

    const kvOf = (c: DecoderConfig) => {
      const { kvHeads, headDim } = resolveDecoderConfig(c);
      return { heads: kvHeads, headDim };
    };

    it("writes config.json in the llama layout, and the exported ONNX logits equal the trainer's forward (≤ 1e-4)", async () => {
      const config = JSON.parse(fs.readFileSync(path.join(llamaDir, 'config.json'), 'utf8')) as Record<string, unknown>;
      expect(config).toMatchObject({ model_type: 'llama', hidden_size: 32, num_attention_heads: 4, num_key_value_heads: 2, num_hidden_layers: 2, tie_word_embeddings: true, max_position_embeddings: 32 });
      expect(maxAbsDiff(await onnxLogits(llamaDir, kvOf(model.config)), await decoderLogits(model, rows))).toBeLessThanOrEqual(1e-4);
      // The export reads back (by Hugging Face names) into the same weights.
      const imported = importDecoderDir(llamaDir);
      for (const [name, t] of Object.entries(model.weights)) expect(maxAbsDiff(imported.weights[name].data, t.data)).toBe(0);
    });

    it('LoRA-tunes the llama directory; the merged export equals the adapters applied at run time (≤ 1e-4)', async () => {
      const tunedDir = path.join(tmp, 'llama-lora');
      const tuned = await forgeLm({ texts: tuneTexts, baseModelDir: llamaDir, lora: { rank: 4, alpha: 8, targets: ['q_proj', 'v_proj', 'gate_proj'] }, outDir: tunedDir, training: { ...training, learningRate: 2e-2 } });
      expect(tuned.family).toBe('llama');
      const { lora, weights: adapters } = decodeCheckpoint<{ lora: LoraConfig; weights: Record<string, Float32Array> }>(new Uint8Array(fs.readFileSync(path.join(tunedDir, ADAPTERS_FILE))));
      const runtime = await decoderLogits(model, rows, { lora, adapters });
      expect(maxAbsDiff(await onnxLogits(tunedDir, kvOf(model.config)), runtime)).toBeLessThanOrEqual(1e-4);
    });
  });
});
