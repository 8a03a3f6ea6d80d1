import { readFile } from 'fs/promises';
import * as path from 'path';
import { onnx } from 'onnx-proto';
import { DECODER_FAMILIES, decoderReferenceForward } from '@assay/forge';
import { LocalEngine, prepareModelDir, RuntimeError, TextTokenizer } from '@assay/runtime';
import { FamilyModel, newFamilyModel, newTestEngine, removeTestModels } from './fixtures';
import { loadPeer } from './transformers-js';

/**
 * `assay models prepare` on exports without hidden states (as Optimum and transformers.js write them): the
 * added `hidden_states` output equals the reference forward's final-norm output for every family, on plain
 * and merged decoders, every weight variant and external weights; everything else about the graph (logits,
 * transformers.js compatibility) is unchanged.
 */
const TOLERANCE = 1e-4;
const TEXT = 'the cat sat on the mat';

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

describe('models prepare', () => {
  let engine: LocalEngine;

  beforeAll(() => {
    engine = newTestEngine();
  });
  afterAll(async () => {
    await engine.close();
    await removeTestModels();
  });

  it.each(DECODER_FAMILIES.map((family, i) => [family, i % 2 === 1] as const))('%s (merged: %s): hidden_states equal the reference final-norm output', async (family, merged) => {
    const model: FamilyModel = await newFamilyModel(family, { seed: 31 + DECODER_FAMILIES.indexOf(family), hiddenStates: false, merged, layout: merged ? 'transformers.js' : 'optimum' });
    const before = `${family}-before`;
    expect(await engine.loadModel(before, model.dir)).toMatchObject({ hasHiddenStates: false });
    const error = (await engine.hiddenStates({ model: before, texts: [TEXT] }).catch((e: unknown) => e)) as RuntimeError;
    expect(error.kind).toBe('UNSUPPORTED');
    expect(error.message).toMatch(/hiddenStates needs the model's final-norm hidden states.*assay models prepare/);
    const scoredBefore = await engine.score({ model: before, items: [{ context: 'the', continuation: ' cat sat' }] });

    const report = await prepareModelDir(model.dir);
    expect(report.configUpdated).toBe(true);
    expect(report.graphs).toHaveLength(1);
    expect(report.graphs[0]).toMatchObject({ alreadyPrepared: false, elemType: 'float32' });
    expect(report.graphs[0].sources).toHaveLength(merged ? 2 : 1);
    expect(report.graphs[0].check.maxAbsDiff).toBeLessThanOrEqual(1e-5);

    const after = `${family}-after`;
    expect(await engine.loadModel(after, model.dir)).toMatchObject({ hasHiddenStates: true });
    const ids = [model.config.bosTokenId!, ...TextTokenizer.fromJson(model.tokenizer).encode(TEXT)];
    const { vectors, hiddenSize } = await engine.hiddenStates({ model: after, texts: [TEXT], pooling: 'tokens' });
    const reference = decoderReferenceForward(model.weights, model.config, { inputIds: [ids] }).hiddenStates;
    expect(maxDiff(vectors[0], reference.subarray(hiddenSize))).toBeLessThanOrEqual(TOLERANCE);
    const scoredAfter = await engine.score({ model: after, items: [{ context: 'the', continuation: ' cat sat' }] });
    expect(scoredAfter.results[0].sumLogprob).toBe(scoredBefore.results[0].sumLogprob);
  });

  it('prepares every variant of a transformers.js directory with external weights, in place and idempotently', async () => {
    const model = await newFamilyModel('qwen3', { seed: 40, hiddenStates: false, merged: true, externalData: true, layout: 'transformers.js', variants: ['fp16', 'quantized'] });
    const graphFile = path.join(model.dir, 'onnx', 'model.onnx');
    const original = onnx.ModelProto.decode(await readFile(graphFile));
    const report = await prepareModelDir(model.dir);
    expect(report.graphs.map((g) => g.file)).toEqual(['onnx/model.onnx', 'onnx/model_fp16.onnx', 'onnx/model_quantized.onnx']);
    for (const graph of report.graphs) expect(graph.check.maxAbsDiff).toBeLessThanOrEqual(1e-4 * Math.max(1, graph.check.maxAbsLogit));

    // Only the output was added: same initializers (still external), same If node apart from its new output.
    const prepared = onnx.ModelProto.decode(await readFile(graphFile)).graph as onnx.GraphProto;
    const before = original.graph as onnx.GraphProto;
    expect(prepared.initializer.map((t) => [t.name, t.dataLocation])).toEqual(before.initializer.map((t) => [t.name, t.dataLocation]));
    expect(prepared.output.map((o) => o.name)).toEqual([...before.output.map((o) => o.name), 'hidden_states']);
    expect(prepared.node.length).toBe(before.node.length);
    const again = await prepareModelDir(model.dir);
    expect(again.graphs.every((g) => g.alreadyPrepared)).toBe(true);
    expect(again.configUpdated).toBe(false);

    const ids = [model.config.bosTokenId!, ...TextTokenizer.fromJson(model.tokenizer).encode(TEXT)];
    const reference = decoderReferenceForward(model.weights, model.config, { inputIds: [ids] }).hiddenStates;
    for (const [variant, tolerance] of [['fp32', TOLERANCE], ['fp16', 0.05], ['quantized', 0.5]] as const) {
      await engine.loadModel(`qwen3-${variant}`, model.dir, { variant });
      const { vectors } = await engine.hiddenStates({ model: `qwen3-${variant}`, texts: [TEXT], pooling: 'tokens' });
      expect(maxDiff(vectors[0], reference.subarray(model.config.hiddenSize))).toBeLessThanOrEqual(tolerance);
    }
    // transformers.js still serves the prepared directory, with the same greedy output as Assay.
    const peer = await loadPeer(model.dir);
    try {
      const ours = await engine.generate({ model: 'qwen3-fp32', prompts: [TEXT], maxNewTokens: 8, temperature: 0 });
      expect(await peer.greedy(ids, 8)).toEqual(ours.completions[0].tokens.map((t) => t.id));
    } finally {
      await peer.dispose();
    }
  });

  it('refuses directories that are not decoder exports', async () => {
    const error = (await prepareModelDir('/nonexistent/dir').catch((e: unknown) => e)) as RuntimeError;
    expect(error.kind).toBe('MODEL_DIR_INVALID');
  });
});
