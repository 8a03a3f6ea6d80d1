import { decoderConfigFromHf, resolveDecoderConfig, ropeInverseFrequencies } from './decoder-config';
import { decoderWeightShapes } from './decoder-weights';

const base = { vocab_size: 100, hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 4 };

describe('decoderConfigFromHf', () => {
  it("fills transformers' defaults for omitted keys", () => {
    const c = decoderConfigFromHf({ ...base, model_type: 'llama', eos_token_id: [2, 7] });
    expect(c).toMatchObject({ kvHeads: 4, rmsNormEps: 1e-6, ropeTheta: 10000, tieWordEmbeddings: false, maxPositions: 2048, eosTokenId: [2, 7] });
    expect(c.slidingWindow).toBeNull();
    expect(decoderConfigFromHf({ ...base, model_type: 'mistral' }).slidingWindow).toBe(4096);
    // An explicit null is no window (what the exporter writes for a model without one).
    expect(decoderConfigFromHf({ ...base, model_type: 'mistral', sliding_window: null }).slidingWindow).toBeNull();
    // Qwen2 only uses its window when use_sliding_window is set.
    expect(decoderConfigFromHf({ ...base, model_type: 'qwen2', sliding_window: 32 }).slidingWindow).toBeNull();
    const gemma = decoderConfigFromHf({ ...base, model_type: 'gemma', head_dim: 16, hidden_act: 'gelu' });
    expect(gemma).toMatchObject({ tieWordEmbeddings: true, headDim: 16 });
    expect(resolveDecoderConfig(gemma).gemmaStyle).toBe(true);
  });

  it('names what it cannot read', () => {
    expect(() => decoderConfigFromHf({ ...base, model_type: 'falcon' })).toThrow(/model_type "falcon" is not supported/);
    expect(() => decoderConfigFromHf({ ...base, model_type: 'llama', hidden_act: 'relu' })).toThrow(/hidden_act relu/);
    expect(() => decoderConfigFromHf({ ...base, model_type: 'llama', num_key_value_heads: 3 })).toThrow(/num_key_value_heads \(3\) must divide/);
    expect(() => decoderConfigFromHf({ ...base, model_type: 'llama', rope_scaling: { rope_type: 'yarn', factor: 4 } })).toThrow(/yarn/);
  });

  it('lays out Phi-3 fused projections and its partial rotary dimensions', () => {
    const c = decoderConfigFromHf({ ...base, model_type: 'phi3', num_key_value_heads: 2, partial_rotary_factor: 0.5 });
    expect(resolveDecoderConfig(c).rotaryDim).toBe(8);
    const names = [...decoderWeightShapes(c)].map(([name, shape]) => `${name} [${shape}]`);
    expect(names).toContain('model.layers.0.self_attn.qkv_proj.weight [128,64]');
    expect(names).toContain('model.layers.0.mlp.gate_up_proj.weight [256,64]');
  });

  it('computes rotary frequencies with linear and llama3 scaling (hand-computed)', () => {
    const c = decoderConfigFromHf({ ...base, model_type: 'llama', hidden_size: 16, num_attention_heads: 2, rope_theta: 100 });
    // head_dim 8: θ^(−2i/8) for i = 0..3 = 1, 0.1^... with θ = 100: 1, 100^-0.25, 100^-0.5, 100^-0.75
    expect([...ropeInverseFrequencies(resolveDecoderConfig(c))].map((v) => +v.toFixed(6))).toEqual([1, 0.316228, 0.1, 0.031623]);
    const linear = ropeInverseFrequencies(resolveDecoderConfig({ ...c, ropeScaling: { rope_type: 'linear', factor: 2 } }));
    expect(+linear[1].toFixed(6)).toBe(0.158114);
    // llama3 with original 8 positions: wavelengths 2π·(1, 3.16, 10, 31.6); high-freq bound 8/4 = 2, low 8/1 = 8.
    const l3 = ropeInverseFrequencies(resolveDecoderConfig({ ...c, ropeScaling: { rope_type: 'llama3', factor: 4, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8 } }));
    // wavelength 6.28 lies between 2 and 8: smooth = (8/2π − 1)/(4 − 1) = 0.09108, (1 − smooth)·1/4 + smooth·1 = 0.31831
    expect(l3[0]).toBeCloseTo(0.31831, 5);
    expect(l3[3]).toBeCloseTo(0.031623 / 4, 6); // wavelength 198 > 8: divided by the factor
  });
});
