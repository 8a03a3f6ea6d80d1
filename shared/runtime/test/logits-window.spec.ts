import { readFile } from 'fs/promises';
import * as path from 'path';
import { decoderRunner, describeModelIo, leftPad, OnnxSession, readModelBundle, runtimeConfig } from '@assay/runtime';
import { withLogitsWindow } from '../src/prepare/logits-window';
import { newFamilyModel, newTestModel, removeTestModels } from './fixtures';

/**
 * The serving rewrite: the same graph with an `assay_logits_from` input that skips the LM head on positions
 * nobody reads (a prefill needs the last one only). Fed 0 it computes exactly the original; fed `from` it
 * returns the original's logits of positions ≥ from. Graphs with external weights are left alone.
 */
describe('logits window (serving rewrite)', () => {
  afterAll(removeTestModels);

  it.each([
    ['gpt2', () => newTestModel({ seed: 2 })],
    ['llama', () => newFamilyModel('llama', { seed: 3 })],
    ['qwen2 merged', () => newFamilyModel('qwen2', { seed: 4, merged: true })],
  ] as const)('%s: logits of the kept positions equal the original graph’s', async (_, make) => {
    const { dir } = await make();
    {
      const bundle = await readModelBundle(dir);
      const session = runtimeConfig({ session: { intraOpNumThreads: 1 } }).session;
      const rewritten = withLogitsWindow(new Uint8Array(await readFile(bundle.modelPath)));
      expect(rewritten).toBeDefined();
      const original = (await OnnxSession.open(bundle.modelPath, session)).session;
      const served = (await OnnxSession.open(bundle.modelPath, session, rewritten)).session;
      const runner = decoderRunner(bundle.runner);
      const batch = leftPad([[0, 5, 6, 7, 8, 9], [0, 11, 12]], bundle.shape.padTokenId);
      const full = await runner.forward(original, describeModelIo(bundle, original.signature), { ...batch, wantPresent: false });
      const servedIo = describeModelIo(bundle, served.signature);
      expect(servedIo.logitsFrom).toBe('assay_logits_from');
      for (const from of [0, 4, 5]) {
        const out = await runner.forward(served, servedIo, { ...batch, wantPresent: false, logitsFrom: from });
        expect(out.logitsPositions).toBe(batch.seqLen - from);
        for (let b = 0; b < batch.batch; b++) {
          for (let s = from; s < batch.seqLen; s++) {
            const a = full.logits.subarray((b * batch.seqLen + s) * full.vocab, (b * batch.seqLen + s + 1) * full.vocab);
            const c = out.logits.subarray((b * out.logitsPositions + s - from) * out.vocab, (b * out.logitsPositions + s - from + 1) * out.vocab);
            expect(Math.max(...a.map((v, i) => Math.abs(v - c[i])))).toBeLessThanOrEqual(1e-5);
          }
        }
      }
      await original.release();
      await served.release();
    }
  });

  it('leaves graphs with external weights, dynamically quantized heads, and graphs without an LM head as they are', async () => {
    const external = await newFamilyModel('mistral', { seed: 5, externalData: true });
    expect(withLogitsWindow(new Uint8Array(await readFile(path.join(external.dir, 'model.onnx'))))).toBeUndefined();
    // int8 dynamic quantization scales the head's input by its whole range: cutting rows would change the rest.
    const quantized = await newFamilyModel('qwen2', { seed: 4, variants: ['quantized'] });
    expect(withLogitsWindow(new Uint8Array(await readFile(path.join(quantized.dir, 'model_quantized.onnx'))))).toBeUndefined();
    expect(withLogitsWindow(new Uint8Array([8, 7]))).toBeUndefined();
  });
});
