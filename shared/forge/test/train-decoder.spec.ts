import { DecoderConfig, decoderReferenceForward } from '../src/onnx/decoder-families';
import {
  decodeCheckpoint,
  DecoderModel,
  DecoderTrainer,
  DecoderTrainerCheckpoint,
  decoderLogits,
  encodeCheckpoint,
  gptLogits,
  initDecoderWeights,
  trainDecoder,
  TrainDecoderOptions,
  trainGpt,
} from '../src/train';
import { charCorpus } from './train-corpus';

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

const tinyLlama = (vocab: number, extra: Partial<DecoderConfig> = {}): DecoderConfig => ({
  family: 'llama',
  vocabSize: vocab,
  hiddenSize: 32,
  intermediateSize: 64,
  layers: 2,
  heads: 4,
  kvHeads: 2,
  rmsNormEps: 1e-6,
  ropeTheta: 10000,
  maxPositions: 32,
  tieWordEmbeddings: false,
  eosTokenId: 0,
  ...extra,
});

const ids = [Array.from({ length: 12 }, (_, i) => (i * 7 + 3) % 41), Array.from({ length: 12 }, (_, i) => (i * i + 1) % 41)];

describe('llama-family training graph (onnxruntime)', () => {
  const variants: [string, Partial<DecoderConfig>][] = [
    ['llama, grouped-query attention, untied head', {}],
    ['qwen2: q/k/v biases, tied embeddings', { family: 'qwen2', attentionBias: true, tieWordEmbeddings: true, ropeTheta: 1e6 }],
    ['gemma: √D embeddings, (1 + w) norms, GELU gate, head_dim ≠ D/H, one kv head', { family: 'gemma', headDim: 16, kvHeads: 1, tieWordEmbeddings: true }],
    ['mistral: full multi-head, sliding window of 5', { family: 'mistral', kvHeads: 4, slidingWindow: 5 }],
    ['llama: q/k/v/o biases, llama3 rope scaling', { attentionBias: true, ropeScaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8 } }],
    ['qwen3: per-head q/k RMSNorm', { family: 'qwen3', headDim: 16 }],
    ['phi3: fused qkv and gate|up, partial rotary 0.5', { family: 'phi3', partialRotaryFactor: 0.5 }],
  ];

  it.each(variants)('matches the reference forward pass on random weights: %s (≤ 1e-4)', async (_name, extra) => {
    const config = tinyLlama(41, extra);
    const weights = initDecoderWeights(config, 5, { std: 0.2, randomizeAffine: true });
    const ref = decoderReferenceForward(weights, config, { inputIds: ids });
    expect(maxAbsDiff(await decoderLogits({ config, weights }, ids), ref.logits)).toBeLessThanOrEqual(1e-4);
  });

  describe('on tiny Shakespeare', () => {
    const corpus = charCorpus(30_000);
    const options = (extra: Partial<TrainDecoderOptions> = {}): TrainDecoderOptions => ({
      model: tinyLlama(corpus.vocabSize, { maxPositions: 24 }),
      examples: corpus.examples,
      bosId: corpus.bosId,
      eosId: corpus.eosId,
      batchSize: 8,
      maxSteps: 20,
      learningRate: 5e-3,
      warmupSteps: 4,
      evalEvery: 5,
      evalWindows: 16,
      seed: 42,
      ...extra,
    });

    it('lowers the loss and reports a llama run', async () => {
      const { report, weights } = await trainDecoder(options({ maxSteps: 80, learningRate: 1e-2, evalEvery: 80 }));
      expect(report.family).toBe('llama');
      expect(report.backend).toBe('onnxruntime');
      expect(report.valLoss!).toBeLessThan(Math.log(corpus.vocabSize) - 1);
      expect((report.shape as DecoderConfig).kvHeads).toBe(2);
      expect(Object.keys(weights.weights)).toContain('model.layers.1.self_attn.k_proj.weight');
      expect(weights.weights['model.layers.1.self_attn.k_proj.weight'].shape).toEqual([16, 32]);
    });

    it('resumes exactly from a binary checkpoint (dropout on)', async () => {
      const straight: number[] = [];
      const full = await trainDecoder(options({ dropout: 0.1, onProgress: (p) => straight.push(p.loss) }));
      let stored: Uint8Array | undefined;
      const kill = new AbortController();
      await trainDecoder(options({ dropout: 0.1, checkpointEvery: 10, onCheckpoint: (c) => { stored = encodeCheckpoint(c); kill.abort(); }, signal: kill.signal }));
      const snapshot = decodeCheckpoint<DecoderTrainerCheckpoint>(stored!);
      expect(snapshot.format).toBe('assay-decoder-trainer/1');
      const resumed: number[] = [];
      const rest = await trainDecoder(options({ dropout: 0.1, resumeFrom: snapshot, onProgress: (p) => resumed.push(p.loss) }));
      expect(resumed).toEqual(straight.slice(10));
      for (const [name, t] of Object.entries(full.weights.weights)) expect(maxAbsDiff(rest.weights.weights[name].data, t.data)).toBe(0);
    });

    describe('LoRA', () => {
      let base: DecoderModel;
      beforeAll(async () => {
        base = (await trainDecoder(options({ maxSteps: 30 }))).weights;
      });
      const lora = { rank: 4, alpha: 8, targets: ['q_proj', 'v_proj', 'down_proj'] };
      const loraOptions = (extra: Partial<TrainDecoderOptions> = {}): TrainDecoderOptions => ({ ...options({ model: undefined, initialWeights: base, learningRate: 2e-2 }), lora, ...extra });

      it('with B = 0 (fresh adapters) gives exactly the base logits', async () => {
        const trainer = await DecoderTrainer.create(loraOptions());
        try {
          const batch = { inputs: Int32Array.from(ids.flat().map((i) => i % corpus.vocabSize)), count: 2, length: 12 };
          const withAdapters = await trainer.logits(batch);
          const baseLogits = await decoderLogits(base, ids.map((r) => r.map((i) => i % corpus.vocabSize)));
          expect(maxAbsDiff(withAdapters, baseLogits)).toBe(0);
          expect(trainer.trainableParameterCount()).toBe(2 * (4 * 32 + 32 * 4) + 2 * (4 * 32 + 16 * 4) + 2 * (4 * 64 + 32 * 4));
        } finally {
          await trainer.dispose();
        }
      });

      it('trains only the adapters; the merged weights equal the adapters applied at run time (≤ 1e-4)', async () => {
        const before = await trainDecoder({ ...loraOptions(), maxSteps: 1, learningRate: 0 });
        const { weights, adapters, report } = await trainDecoder(loraOptions());
        expect(report.lora).toEqual(lora);
        expect(report.trainableParameters).toBeLessThan(report.parameters / 4);
        expect(report.valLoss!).toBeLessThan(before.report.valLoss!);
        // Untargeted weights are untouched; targeted ones moved by the merged update.
        expect(weights.weights['model.layers.0.self_attn.k_proj.weight'].data).toEqual(base.weights['model.layers.0.self_attn.k_proj.weight'].data);
        expect(maxAbsDiff(weights.weights['model.layers.0.self_attn.q_proj.weight'].data, base.weights['model.layers.0.self_attn.q_proj.weight'].data)).toBeGreaterThan(1e-4);
        const rows = [corpus.encode('ROMEO:\nBut soft, what light'), corpus.encode('JULIET:\nO Romeo, Romeo, whe')].map((r) => r.slice(0, 20));
        const runtime = await decoderLogits(base, rows, { lora, adapters });
        expect(maxAbsDiff(await decoderLogits(weights, rows), runtime)).toBeLessThanOrEqual(1e-4);
      });

      it('resumes a LoRA run exactly', async () => {
        const straight = await trainDecoder(loraOptions());
        let stored: Uint8Array | undefined;
        const kill = new AbortController();
        await trainDecoder(loraOptions({ checkpointEvery: 10, onCheckpoint: (c) => { stored = encodeCheckpoint(c); kill.abort(); }, signal: kill.signal }));
        const snapshot = decodeCheckpoint<DecoderTrainerCheckpoint>(stored!);
        expect(Object.keys(snapshot.adapters!)).toHaveLength(12);
        expect(snapshot.optimizer.m['model.layers.0.self_attn.q_proj.weight']).toBeUndefined();
        const resumed = await trainDecoder(loraOptions({ resumeFrom: snapshot }));
        expect(resumed.report.valLoss).toBe(straight.report.valLoss);
        for (const name of Object.keys(straight.adapters!)) expect(maxAbsDiff(resumed.adapters![name], straight.adapters![name])).toBe(0);
        await expect(trainDecoder({ ...loraOptions({ resumeFrom: snapshot }), lora: { ...lora, rank: 2 } })).rejects.toThrow(/LoRA/);
      });
    });
  });

  it('LoRA on GPT-2 (c_attn): B = 0 equals the base, and merged equals run-time adapters', async () => {
    const corpus = charCorpus(20_000);
    const common = { examples: corpus.examples, bosId: corpus.bosId, eosId: corpus.eosId, batchSize: 8, evalEvery: 20, seed: 3 };
    const base = await trainGpt({ ...common, model: { vocabSize: corpus.vocabSize, contextLength: 24, layers: 2, heads: 2, dim: 32 }, maxSteps: 20, learningRate: 5e-3 });
    const lora = { rank: 2, alpha: 4, targets: ['c_attn', 'c_fc'] };
    const tuned = await trainGpt({ ...common, initialWeights: base.weights, lora, maxSteps: 20, learningRate: 2e-2 });
    const rows = [corpus.encode('KING HENRY:\nOnce more unto the'), corpus.encode('HAMLET:\nTo be, or not to be, t')].map((r) => r.slice(0, 24));
    const zeroB = Object.fromEntries(Object.entries(tuned.adapters!).map(([k, v]) => [k, k.includes('lora_B') ? new Float32Array(v.length) : v]));
    expect(maxAbsDiff(await gptLogits(base.weights, rows, { lora, adapters: zeroB }), await gptLogits(base.weights, rows))).toBe(0);
    const runtime = await gptLogits(base.weights, rows, { lora, adapters: tuned.adapters });
    expect(maxAbsDiff(await gptLogits(tuned.weights, rows), runtime)).toBeLessThanOrEqual(1e-4);
    expect(maxAbsDiff(runtime, await gptLogits(base.weights, rows))).toBeGreaterThan(1e-3);
  });
});
