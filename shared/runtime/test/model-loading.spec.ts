import { readFile, writeFile } from 'fs/promises';
import * as path from 'path';
import { LocalEngine, readModelBundle, RuntimeError } from '@assay/runtime';
import { asciiTokenizerJson, captureLogger, kindOf, newTestEngine, newTestModel, removeTestModels } from './fixtures';

async function editConfig(dir: string, edit: (config: Record<string, unknown>) => void): Promise<void> {
  const file = path.join(dir, 'config.json');
  const config = JSON.parse(await readFile(file, 'utf8'));
  edit(config);
  await writeFile(file, JSON.stringify(config));
}

describe('model loading', () => {
  let engine: LocalEngine;

  beforeAll(() => {
    engine = newTestEngine();
  });
  afterAll(async () => {
    await engine.close();
    await removeTestModels();
  });

  it('inspects the graph: KV cache and hidden states present, sizes from config', async () => {
    const model = await newTestModel({ layers: 2, heads: 2, dim: 16 });
    const info = await engine.loadModel('with-past', model.dir);
    expect(info).toMatchObject({ architecture: 'gpt2', layers: 2, heads: 2, hiddenSize: 16, hasKvCache: true, hasHiddenStates: true, executionProviders: ['cpu'] });
    expect(info.vocabSize).toBe(info.tokenizerSize);
    expect((await engine.listModels()).map((m) => m.name)).toContain('with-past');
    expect(await kindOf(engine.loadModel('with-past', model.dir))).toBe('MODEL_ALREADY_LOADED');
    await engine.unloadModel('with-past');
    expect(await kindOf(engine.generate({ model: 'with-past', prompts: ['a'] }))).toBe('MODEL_NOT_LOADED');
  });

  it('loads a model exported without past inputs (full recomputation) and one without hidden states', async () => {
    const noPast = await newTestModel({ withPast: false });
    expect(await engine.loadModel('no-past', noPast.dir)).toMatchObject({ hasKvCache: false, hasHiddenStates: true });
    const noHidden = await newTestModel();
    await editConfig(noHidden.dir, (c) => delete (c.assay as Record<string, unknown>).hidden_states_output);
    expect(await engine.loadModel('no-hidden', noHidden.dir)).toMatchObject({ hasKvCache: true, hasHiddenStates: false });
    expect(await kindOf(engine.hiddenStates({ model: 'no-hidden', texts: ['abc'] }))).toBe('UNSUPPORTED');
    expect(await kindOf(engine.generate({ model: 'no-hidden', prompts: ['abc'], returnHiddenStates: true }))).toBe('UNSUPPORTED');
  });

  it('rejects a corrupt model file with MODEL_FILE_INVALID', async () => {
    const model = await newTestModel();
    const file = path.join(model.dir, 'model.onnx');
    const bytes = await readFile(file);
    await writeFile(file, bytes.subarray(0, Math.floor(bytes.length / 3)));
    const error = await engine.loadModel('truncated', model.dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RuntimeError);
    expect((error as RuntimeError).kind).toBe('MODEL_FILE_INVALID');
    expect((error as RuntimeError).message).toContain('model.onnx');
    await writeFile(file, 'not a protobuf at all');
    expect(await kindOf(engine.loadModel('garbage', model.dir))).toBe('MODEL_FILE_INVALID');
    expect((await engine.listModels()).map((m) => m.name)).not.toContain('garbage');
  });

  it('rejects a tokenizer with more ids than the model vocabulary (VOCAB_MISMATCH)', async () => {
    const model = await newTestModel({ tokenizer: asciiTokenizerJson(20), vocab: 105 });
    const error = (await readModelBundle(model.dir).catch((e: unknown) => e)) as RuntimeError;
    expect(error.kind).toBe('VOCAB_MISMATCH');
    expect(error.details).toMatchObject({ tokenizerSize: 125, modelVocabSize: 105 });
    expect(await kindOf(engine.loadModel('mismatch', model.dir))).toBe('VOCAB_MISMATCH');
  });

  it('rejects an architecture without a runner, and missing or broken files', async () => {
    const model = await newTestModel();
    await editConfig(model.dir, (c) => (c.model_type = 'mamba'));
    const error = (await readModelBundle(model.dir).catch((e: unknown) => e)) as RuntimeError;
    expect(error.kind).toBe('UNKNOWN_ARCHITECTURE');
    expect(error.message).toContain('gpt2');
    expect(await kindOf(engine.loadModel('mamba', '/nonexistent/model/dir'))).toBe('MODEL_DIR_INVALID');
    const broken = await newTestModel();
    await writeFile(path.join(broken.dir, 'tokenizer.json'), '{ not json');
    expect(await kindOf(readModelBundle(broken.dir))).toBe('MODEL_DIR_INVALID');
  });

  it('falls back to CPU with a logged warning when CUDA is unavailable', async () => {
    const logger = captureLogger();
    const cudaEngine = newTestEngine({ executor: { kind: 'in-process' }, session: { executionProviders: ['cuda', 'cpu'] } }, logger);
    try {
      const model = await newTestModel();
      const info = await cudaEngine.loadModel('maybe-gpu', model.dir);
      if (!info.executionProviders.includes('cuda')) {
        expect(info.executionProviders).toEqual(['cpu']);
        const warnings = logger.lines.filter((l) => l.level === 'warn').map((l) => JSON.stringify(l.obj));
        expect(warnings.some((w) => w.includes('cuda'))).toBe(true);
      }
      const out = await cudaEngine.generate({ model: 'maybe-gpu', prompts: ['hi'], maxNewTokens: 3, temperature: 0 });
      expect(out.completions[0].tokens).toHaveLength(3);
    } finally {
      await cudaEngine.close();
    }
  });
});
