import { readFile, rename, rm, truncate, writeFile } from 'fs/promises';
import * as path from 'path';
import { LocalEngine, RuntimeError } from '@assay/runtime';
import { kindOf, newFamilyModel, newTestEngine, removeTestModels } from './fixtures';
import { loadPeer } from './transformers-js';

/**
 * What a platform team brings: both directory layouts, merged decoders, float16 caches, external weight
 * files and the fp16 / int8 variants, loaded by request or by configuration; and the broken directories
 * that must fail at load with a clear error, never later.
 *
 * Stated tolerances against fp32 on the same weights (per-token log-probs, natural log; measured on this
 * model: float16 cache 0.0016 max, fp16 variant 0.009 max, int8 0.068 mean / 0.28 max): float16 cache ≤ 0.01
 * max, fp16 weights and cache ≤ 0.05 max, int8 weights (per-tensor dynamic quantization of random weights of
 * std 0.3, far harsher than trained ones) ≤ 0.15 mean and ≤ 0.6 max.
 */
const PROMPTS = ['the cat sat on', 'then in the end a', 'on the mat'];

async function messageOf(work: Promise<unknown>): Promise<string> {
  return work.then(
    () => 'loaded',
    (e: Error) => `${(e as RuntimeError).kind}: ${e.message}`,
  );
}

describe('model layouts and variants', () => {
  let engine: LocalEngine;

  beforeAll(() => {
    engine = newTestEngine();
  });
  afterAll(async () => {
    await engine.close();
    await removeTestModels();
  });

  /** Per-token log-probs of fixed continuations under `model`. */
  async function logprobs(model: string, continuations: number[][]): Promise<number[][]> {
    const out = await engine.score({ model, items: PROMPTS.map((context, i) => ({ context, continuationIds: continuations[i] })) });
    return out.results.map((r) => r.tokens.map((t) => t.logprob));
  }

  it('loads the Optimum layout and the transformers.js layout of the same weights to the same outputs', async () => {
    const root = await newFamilyModel('qwen2', { seed: 5 });
    const nested = await newFamilyModel('qwen2', { seed: 5, layout: 'transformers.js' });
    expect(await engine.loadModel('root', root.dir)).toMatchObject({ modelFile: 'model.onnx' });
    expect(await engine.loadModel('nested', nested.dir)).toMatchObject({ modelFile: 'onnx/model.onnx' });
    const a = await engine.generate({ model: 'root', prompts: PROMPTS, maxNewTokens: 10, temperature: 0.7, seed: 1 });
    const b = await engine.generate({ model: 'nested', prompts: PROMPTS, maxNewTokens: 10, temperature: 0.7, seed: 1 });
    expect(a.completions.map((c) => c.text)).toEqual(b.completions.map((c) => c.text));
    // transformers.js reads the Optimum layout too when told the graph is at the root.
    const peer = await loadPeer(root.dir, { subfolder: '' });
    await peer.dispose();
  });

  it('merged decoder with external weights and a float16 cache; fp16 and int8 variants by request, within stated tolerances', async () => {
    const model = await newFamilyModel('llama', { seed: 6, merged: true, externalData: true, ioType: 'float16', variants: ['fp16', 'quantized'] });
    const fp16Cache = await engine.loadModel('llama-f16kv', model.dir);
    expect(fp16Cache).toMatchObject({ variant: 'fp32', kvCacheType: 'float16' });
    const fp32 = await newFamilyModel('llama', { seed: 6 });
    await engine.loadModel('llama-fp32', fp32.dir);
    const greedy = await engine.generate({ model: 'llama-fp32', prompts: PROMPTS, maxNewTokens: 12, temperature: 0 });
    const continuations = greedy.completions.map((c) => c.tokens.map((t) => t.id));
    const reference = await logprobs('llama-fp32', continuations);

    const compare = async (name: string) => {
      const diffs = (await logprobs(name, continuations)).flatMap((row, i) => row.map((v, j) => Math.abs(v - reference[i][j])));
      return { max: Math.max(...diffs), mean: diffs.reduce((a, b) => a + b, 0) / diffs.length };
    };
    // float16 cache, float32 weights: only the cache's rounding.
    expect((await compare('llama-f16kv')).max).toBeLessThanOrEqual(0.01);
    expect(await engine.loadModel('llama-fp16', model.dir, { variant: 'fp16' })).toMatchObject({ variant: 'fp16', modelFile: 'model_fp16.onnx', kvCacheType: 'float16' });
    expect((await compare('llama-fp16')).max).toBeLessThanOrEqual(0.05);
    expect(await engine.loadModel('llama-q8', model.dir, { variant: 'quantized' })).toMatchObject({ variant: 'quantized', modelFile: 'model_quantized.onnx', kvCacheType: 'float32' });
    const q8 = await compare('llama-q8');
    expect(q8.mean).toBeLessThanOrEqual(0.15);
    expect(q8.max).toBeLessThanOrEqual(0.6);
    // The runtime's configured default variant, and a requested variant the directory lacks.
    const configured = newTestEngine({ models: { variant: 'quantized' } });
    try {
      expect(await configured.loadModel('default-q8', model.dir)).toMatchObject({ variant: 'quantized' });
      expect(await configured.loadModel('falls-back', fp32.dir)).toMatchObject({ variant: 'fp32' });
    } finally {
      await configured.close();
    }
    expect(await messageOf(engine.loadModel('missing', fp32.dir, { variant: 'fp16' }))).toMatch(/^MODEL_FILE_INVALID: .*fp16 variant .*variants present: fp32/);
    expect(await kindOf(engine.loadModel('unknown', fp32.dir, { variant: 'fp8' }))).toBe('INVALID_REQUEST');
  });

  it('fails at load, with the reason, on an unsupported model_type, a graph that does not match its config, or truncated files', async () => {
    const model = await newFamilyModel('mistral', { seed: 8, externalData: true });
    const configFile = path.join(model.dir, 'config.json');
    const config = JSON.parse(await readFile(configFile, 'utf8'));

    await writeFile(configFile, JSON.stringify({ ...config, model_type: 'mamba' }));
    expect(await messageOf(engine.loadModel('mamba', model.dir))).toMatch(/^UNKNOWN_ARCHITECTURE: .*"mamba".*known: gpt2, llama, mistral, qwen2, qwen3, phi3, gemma/);
    await writeFile(configFile, JSON.stringify({ ...config, num_key_value_heads: 4 }));
    expect(await messageOf(engine.loadModel('wrong-kv', model.dir))).toMatch(/^MODEL_SIGNATURE_INVALID: past_key_values.0.key has 2 key\/value heads but config.json says num_key_value_heads=4/);
    await writeFile(configFile, JSON.stringify({ ...config, num_hidden_layers: 3 }));
    expect(await messageOf(engine.loadModel('wrong-layers', model.dir))).toMatch(/^MODEL_SIGNATURE_INVALID: the graph has past inputs for 2 layers, config.json says 3/);
    await writeFile(configFile, JSON.stringify({ ...config, vocab_size: config.vocab_size + 1 }));
    expect(await messageOf(engine.loadModel('wrong-vocab', model.dir))).toMatch(/^MODEL_SIGNATURE_INVALID: the graph's logits have \d+ columns but config.json vocab_size is/);
    await writeFile(configFile, JSON.stringify(config));
    // (Loaded from a copy: a loaded model's external weights may be memory-mapped, so never truncate those.)
    await engine.loadModel('intact', (await newFamilyModel('mistral', { seed: 8, externalData: true })).dir);

    const data = path.join(model.dir, 'model.onnx_data');
    const size = (await readFile(data)).length;
    await truncate(data, Math.floor(size / 2));
    expect(await messageOf(engine.loadModel('truncated-data', model.dir))).toMatch(/^MODEL_FILE_INVALID: onnxruntime cannot load .*model\.onnx/);
    await rm(data);
    expect(await kindOf(engine.loadModel('missing-data', model.dir))).toBe('MODEL_FILE_INVALID');

    const graph = path.join(model.dir, 'model.onnx');
    await truncate(graph, 100);
    expect(await kindOf(engine.loadModel('truncated-graph', model.dir))).toBe('MODEL_FILE_INVALID');
    await rename(graph, `${graph}.gone`);
    expect(await messageOf(engine.loadModel('no-graph', model.dir))).toMatch(/^MODEL_FILE_INVALID: .* has no model graph \(model\.onnx or onnx\/model\.onnx\)/);
    expect((await engine.listModels()).map((m) => m.name)).toEqual(['root', 'nested', 'llama-f16kv', 'llama-fp32', 'llama-fp16', 'llama-q8', 'intact']);
    // The model that did load keeps serving.
    expect((await engine.generate({ model: 'intact', prompts: ['a'], maxNewTokens: 3, temperature: 0 })).completions[0].tokens).toHaveLength(3);
  });
});
