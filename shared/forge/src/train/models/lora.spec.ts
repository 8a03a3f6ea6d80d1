import type { LmArchitecture } from './architecture';
import { initLoraAdapters, loraModules, loraParamSpecs, mergeLora } from './lora';

const arch = (layout: 'out-in' | 'in-out'): LmArchitecture => ({
  family: layout === 'out-in' ? 'llama' : 'gpt2',
  vocabSize: 4,
  contextLength: 4,
  params: [],
  linearModules: [
    { module: 'model.layers.0.self_attn.q_proj', inFeatures: 3, outFeatures: 2, layout },
    { module: 'model.layers.0.self_attn.k_proj', inFeatures: 3, outFeatures: 2, layout },
    { module: 'model.layers.0.mlp.down_proj', inFeatures: 3, outFeatures: 2, layout },
  ],
  head: () => {
    throw new Error('not used');
  },
  forwardFlopsPerToken: () => 0,
});

describe('LoRA', () => {
  it('matches target modules by name suffix and names adapters as PEFT does', () => {
    const lora = { rank: 1, alpha: 2, targets: ['q_proj', 'down_proj'] };
    expect(loraModules(arch('out-in'), lora).map((m) => m.module)).toEqual(['model.layers.0.self_attn.q_proj', 'model.layers.0.mlp.down_proj']);
    expect(loraParamSpecs(arch('out-in'), lora).map((p) => [p.name, p.shape])).toEqual([
      ['model.layers.0.self_attn.q_proj.lora_A.weight', [1, 3]],
      ['model.layers.0.self_attn.q_proj.lora_B.weight', [2, 1]],
      ['model.layers.0.mlp.down_proj.lora_A.weight', [1, 3]],
      ['model.layers.0.mlp.down_proj.lora_B.weight', [2, 1]],
    ]);
    expect(() => loraModules(arch('out-in'), { ...lora, targets: ['o_proj'] })).toThrow(/o_proj matches no linear module .*q_proj, k_proj, down_proj/);
    expect(() => loraModules(arch('out-in'), { ...lora, rank: 0 })).toThrow(/rank/);
  });

  it('starts as a no-op (B = 0) with A within ±1/√in', () => {
    const adapters = initLoraAdapters(arch('out-in'), { rank: 2, alpha: 4, targets: ['k_proj'] }, 5);
    expect([...adapters.get('model.layers.0.self_attn.k_proj.lora_B.weight')!]).toEqual([0, 0, 0, 0]);
    const a = adapters.get('model.layers.0.self_attn.k_proj.lora_A.weight')!;
    expect(a).toHaveLength(6);
    for (const v of a) expect(Math.abs(v)).toBeLessThanOrEqual(1 / Math.sqrt(3));
  });

  it('merges W + (alpha/r)·B·A, transposed for GPT-2 [in, out] weights (hand-computed)', () => {
    const lora = { rank: 1, alpha: 2, targets: ['q_proj'] };
    const a = Float32Array.of(1, 2, 3); // [1, in=3]
    const b = Float32Array.of(10, 20); // [out=2, 1]
    const adapters = new Map([
      ['model.layers.0.self_attn.q_proj.lora_A.weight', a],
      ['model.layers.0.self_attn.q_proj.lora_B.weight', b],
    ]);
    // s·B·A = 2·[[10, 20, 30], [20, 40, 60]]
    const outIn = mergeLora(arch('out-in'), lora, new Map([['model.layers.0.self_attn.q_proj.weight', new Float32Array(6)]]), adapters);
    expect([...outIn.get('model.layers.0.self_attn.q_proj.weight')!]).toEqual([20, 40, 60, 40, 80, 120]);
    const inOut = mergeLora(arch('in-out'), lora, new Map([['model.layers.0.self_attn.q_proj.weight', Float32Array.of(1, 1, 1, 1, 1, 1)]]), adapters);
    expect([...inOut.get('model.layers.0.self_attn.q_proj.weight')!]).toEqual([21, 41, 41, 81, 61, 121]);
  });
});
