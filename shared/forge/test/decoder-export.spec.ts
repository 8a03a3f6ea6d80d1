import { mkdtemp, readFile, rm } from 'fs/promises';
import { tmpdir } from 'os';
import * as path from 'path';
import * as ort from 'onnxruntime-node';
import { float16ToFloat32 } from '@assay/stats';
import {
  buildDecoderModelProto,
  checkDecoderWeights,
  DECODER_FAMILIES,
  DecoderConfig,
  decoderConfigFromHf,
  decoderReferenceForward,
  DecoderWeights,
  encodeModelProto,
  exportDecoder,
  hfDecoderConfigJson,
  randomDecoderWeights,
  resolveDecoderConfig,
  ropeInverseFrequencies,
  TokenizerJson,
} from '@assay/forge';

/**
 * The decoder-family exporter against forge's float64 reference forward: every family's graph (plain and
 * merged, with and without a cache, float32 and float16 I/O) gives the reference logits and final-norm
 * hidden states on a left-padded batch, and decoding with the cache equals recomputing.
 */
const TOL = 1e-4;
const VOCAB = 53;

function tinyConfig(family: DecoderConfig['family'], extra: Partial<DecoderConfig> = {}): DecoderConfig {
  return {
    family,
    vocabSize: VOCAB,
    hiddenSize: 24,
    intermediateSize: 40,
    layers: 2,
    heads: 4,
    kvHeads: 2,
    maxPositions: 32,
    bosTokenId: 1,
    eosTokenId: 2,
    ...(family === 'gemma' || family === 'qwen3' ? { headDim: 10 } : {}),
    ...(family === 'phi3' ? { partialRotaryFactor: 0.5 } : {}),
    ...(family === 'mistral' ? { slidingWindow: 4 } : {}),
    ...extra,
  };
}

const int64 = (rows: number[][]) => new ort.Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [rows.length, rows[0].length]);

async function session(weights: DecoderWeights, config: DecoderConfig, options: Parameters<typeof buildDecoderModelProto>[2]) {
  return ort.InferenceSession.create(encodeModelProto(buildDecoderModelProto(weights, config, options)), { graphOptimizationLevel: 'all' });
}

function emptyPast(config: DecoderConfig, batch: number, type: 'float32' | 'float16' = 'float32'): Record<string, ort.Tensor> {
  const c = resolveDecoderConfig(config);
  const feeds: Record<string, ort.Tensor> = {};
  for (let l = 0; l < c.layers; l++) {
    for (const kv of ['key', 'value']) {
      feeds[`past_key_values.${l}.${kv}`] = new ort.Tensor(type, type === 'float32' ? new Float32Array(0) : new Uint16Array(0), [batch, c.kvHeads, 0, c.headDim]);
    }
  }
  return feeds;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>, rows: number[], width: number): number {
  let max = 0;
  for (const r of rows) for (let k = 0; k < width; k++) max = Math.max(max, Math.abs(a[r * width + k] - b[r * width + k]));
  return max;
}

const IDS = [
  [1, 5, 9, 13, 17, 21, 25],
  [0, 0, 1, 30, 40, 50, 7],
];
const MASK = [
  [1, 1, 1, 1, 1, 1, 1],
  [0, 0, 1, 1, 1, 1, 1],
];
const POSITIONS = [
  [0, 1, 2, 3, 4, 5, 6],
  [1, 1, 0, 1, 2, 3, 4],
];
/** Rows of [B·S] that are real tokens (padding rows are never compared). */
const REAL = MASK.flatMap((row, b) => row.map((m, s) => (m ? b * row.length + s : -1))).filter((i) => i >= 0);

describe.each(DECODER_FAMILIES)('%s export', (family) => {
  const config = tinyConfig(family, family === 'llama' ? { attentionBias: true, ropeScaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8 } } : {});
  const weights = randomDecoderWeights(config, 11 + DECODER_FAMILIES.indexOf(family), { std: 0.3 });
  const reference = decoderReferenceForward(weights, config, { inputIds: IDS, attentionMask: MASK, positionIds: POSITIONS });
  const c = resolveDecoderConfig(config);

  it('matches the reference forward on a left-padded batch: plain, merged (first pass) and without a cache', async () => {
    const feeds = { input_ids: int64(IDS), attention_mask: int64(MASK), position_ids: int64(POSITIONS) };
    for (const options of [{}, { merged: true }, { withPast: false }]) {
      const s = await session(weights, config, options);
      const extra = options.withPast === false ? {} : { ...emptyPast(config, 2), ...('merged' in options ? { use_cache_branch: new ort.Tensor('bool', [false], [1]) } : {}) };
      const out = await s.run({ ...feeds, ...extra });
      expect(maxDiff(out.logits.data as Float32Array, reference.logits, REAL, VOCAB)).toBeLessThanOrEqual(TOL);
      expect(maxDiff(out.hidden_states.data as Float32Array, reference.hiddenStates, REAL, c.hiddenSize)).toBeLessThanOrEqual(TOL);
      await s.release();
    }
  });

  it('decoding with the cache (plain and merged, float32 and float16 I/O) equals the reference of the whole sequence', async () => {
    for (const options of [{}, { merged: true }, { merged: true, ioType: 'float16' as const }]) {
      const s = await session(weights, config, options);
      const fp16 = options.ioType === 'float16';
      const tolerance = fp16 ? 0.05 : TOL;
      // Prompt: the first 4 columns; then the remaining 3 one at a time.
      const prompt = (rows: number[][]) => int64(rows.map((r) => r.slice(0, 4)));
      let out = await s.run({
        input_ids: prompt(IDS),
        attention_mask: prompt(MASK),
        position_ids: prompt(POSITIONS),
        ...emptyPast(config, 2, fp16 ? 'float16' : 'float32'),
        ...(options.merged ? { use_cache_branch: new ort.Tensor('bool', [false], [1]) } : {}),
      });
      for (let t = 4; t < IDS[0].length; t++) {
        const past: Record<string, ort.Tensor> = {};
        for (let l = 0; l < c.layers; l++) for (const kv of ['key', 'value']) past[`past_key_values.${l}.${kv}`] = out[`present.${l}.${kv}`];
        expect(out['present.0.key'].type).toBe(fp16 ? 'float16' : 'float32');
        out = await s.run({
          input_ids: int64(IDS.map((r) => [r[t]])),
          attention_mask: int64(MASK.map((r) => r.slice(0, t + 1))),
          position_ids: int64(POSITIONS.map((r) => [r[t]])),
          ...past,
          ...(options.merged ? { use_cache_branch: new ort.Tensor('bool', [true], [1]) } : {}),
        });
        const data = out.logits.data as ArrayBufferView;
        const logits = fp16 ? float16ToFloat32(new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2)) : (out.logits.data as Float32Array);
        for (let b = 0; b < 2; b++) {
          const row = (b * IDS[0].length + t) * VOCAB;
          for (let v = 0; v < VOCAB; v++) expect(Math.abs(logits[b * VOCAB + v] - reference.logits[row + v])).toBeLessThanOrEqual(tolerance);
        }
      }
      await s.release();
    }
  });

  it('writes the HF config the family reads, and it reads back', () => {
    const json = hfDecoderConfigJson(config);
    expect(json).toMatchObject({ model_type: family, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, vocab_size: VOCAB, max_position_embeddings: 32 });
    expect(resolveDecoderConfig(decoderConfigFromHf(json))).toEqual(c);
  });
});

describe('decoder exporter', () => {
  const tokenizer: TokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [{ id: 0, content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab: Object.fromEntries([['<|endoftext|>', 0], ...Array.from({ length: VOCAB - 1 }, (_, i) => [String.fromCharCode(65 + i), i + 1])]), merges: [] },
  };

  it('writes the transformers.js layout with external weights and fp16 / int8 variants that onnxruntime loads', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'forge-decoder-'));
    try {
      const config = tinyConfig('qwen2', { bosTokenId: 0, eosTokenId: 0 });
      const written = await exportDecoder(randomDecoderWeights(config, 3, { std: 0.3 }), config, dir, { tokenizer, layout: 'transformers.js', externalData: true, variants: ['fp16', 'quantized'] });
      expect(written.map((f) => path.relative(dir, f)).sort()).toEqual(
        ['config.json', 'generation_config.json', 'onnx/model.onnx', 'onnx/model.onnx_data', 'onnx/model_fp16.onnx', 'onnx/model_fp16.onnx_data', 'onnx/model_quantized.onnx', 'onnx/model_quantized.onnx_data', 'tokenizer.json', 'tokenizer_config.json'].sort(),
      );
      const configJson = JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8'));
      expect(configJson).toMatchObject({ model_type: 'qwen2', architectures: ['Qwen2ForCausalLM'], assay: { hidden_states_output: 'hidden_states', with_past: true } });
      expect(JSON.parse(await readFile(path.join(dir, 'tokenizer_config.json'), 'utf8')).chat_template).toContain('<|im_start|>');
      for (const file of ['model.onnx', 'model_fp16.onnx', 'model_quantized.onnx']) {
        const s = await ort.InferenceSession.create(path.join(dir, 'onnx', file));
        expect(s.inputNames.slice(0, 3)).toEqual(['input_ids', 'attention_mask', 'position_ids']);
        expect(s.outputNames[0]).toBe('logits');
        await s.release();
      }
      expect((await readFile(path.join(dir, 'onnx', 'model.onnx'))).length).toBeLessThan(40_000); // the weights are elsewhere
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('validates the state dict and the config', () => {
    const config = tinyConfig('llama');
    const weights = randomDecoderWeights(config, 1);
    expect(() => checkDecoderWeights({ ...weights, 'model.norm.weight': { shape: [3], data: new Float32Array(3) } }, config)).toThrow(/model.norm.weight has shape \[3\], expected \[24\]/);
    const { ['lm_head.weight']: _head, ...headless } = weights;
    expect(() => checkDecoderWeights(headless, config)).toThrow(/missing lm_head.weight/);
    expect(() => checkDecoderWeights({ ...weights, 'model.extra.weight': { shape: [1], data: new Float32Array(1) } }, config)).toThrow(/unexpected tensors/);
    expect(() => resolveDecoderConfig({ ...config, kvHeads: 3 })).toThrow(/kvHeads 3 must divide heads 4/);
    // HF's default rotary frequencies θ^(−2i/d) and Llama 3's scaling (low frequencies divided by the factor).
    const inv = ropeInverseFrequencies(resolveDecoderConfig({ ...config, ropeTheta: 10000 }));
    expect(inv[1]).toBeCloseTo(10000 ** (-2 / 6), 12);
    const scaled = ropeInverseFrequencies(resolveDecoderConfig({ ...config, ropeScaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8 } }));
    // Wavelengths 2π·(1, 21.5, 464) against 8/4 … 8/1: the first is smoothed, the others divided by 8.
    const smooth = (8 / (2 * Math.PI) - 1) / (4 - 1);
    expect(scaled[0]).toBeCloseTo((1 - smooth) * (inv[0] / 8) + smooth * inv[0], 12);
    expect(scaled[1]).toBeCloseTo(inv[1] / 8, 12);
    expect(scaled[2]).toBeCloseTo(inv[2] / 8, 12);
  });
});
