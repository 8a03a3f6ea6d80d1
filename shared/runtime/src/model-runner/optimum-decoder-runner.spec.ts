import { RuntimeError } from '../errors';
import { ModelSignature, TensorInfo } from './model-runner';
import { runnerFor } from './runner-table';

const config = {
  model_type: 'gpt2',
  vocab_size: 50,
  n_positions: 32,
  n_embd: 8,
  n_layer: 2,
  n_head: 2,
  bos_token_id: 1,
  eos_token_id: 2,
  assay: { hidden_states_output: 'hidden_states' },
};
const t = (name: string, shape: (number | string)[] = [], type = 'float32'): TensorInfo => ({ name, type, shape });
const ids = (name: string) => t(name, ['b', 's'], 'int64');

function signature(layers = 2, extra: Partial<ModelSignature> = {}): ModelSignature {
  const past = Array.from({ length: layers }, (_, l) => [t(`past_key_values.${l}.key`, ['b', 2, 'p', 4]), t(`past_key_values.${l}.value`, ['b', 2, 'p', 4])]).flat();
  const present = Array.from({ length: layers }, (_, l) => [t(`present.${l}.key`), t(`present.${l}.value`)]).flat();
  return {
    inputs: [ids('input_ids'), ids('attention_mask'), ids('position_ids'), ...past, ...(extra.inputs ?? [])],
    outputs: [t('logits', ['b', 's', 50]), ...present, t('hidden_states'), ...(extra.outputs ?? [])],
  };
}

function kindOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return (error as RuntimeError).kind;
  }
  return undefined;
}

describe('gpt2 (Optimum decoder) runner', () => {
  const runner = runnerFor('gpt2');
  const shape = runner.parseConfig(config, { eos_token_id: [2, 3] });

  it('reads HF gpt2 config keys and merges EOS ids from generation_config', () => {
    expect(shape).toEqual({
      architecture: 'gpt2',
      vocabSize: 50,
      contextLength: 32,
      layers: 2,
      heads: 2,
      kvHeads: 2,
      headDim: 4,
      hiddenSize: 8,
      bosTokenId: 1,
      eosTokenIds: [2, 3],
      padTokenId: 2,
    });
    expect(kindOf(() => runner.parseConfig({ ...config, n_head: 3 }, {}))).toBe('MODEL_DIR_INVALID');
    expect(kindOf(() => runner.parseConfig({ ...config, n_layer: undefined }, {}))).toBe('MODEL_DIR_INVALID');
    expect(kindOf(() => runner.parseConfig({ ...config, eos_token_id: 99 }, {}))).toBe('MODEL_DIR_INVALID');
    expect(kindOf(() => runnerFor('mamba'))).toBe('UNKNOWN_ARCHITECTURE');
  });

  it('maps the signature: past/present per layer, hidden states, KV dims from the graph', () => {
    const io = runner.describeIo(signature(), shape, config);
    expect(io.pastInputs).toEqual([
      { key: 'past_key_values.0.key', value: 'past_key_values.0.value' },
      { key: 'past_key_values.1.key', value: 'past_key_values.1.value' },
    ]);
    expect(io.presentOutputs[1]).toEqual({ key: 'present.1.key', value: 'present.1.value' });
    expect(io).toMatchObject({ positionIds: 'position_ids', hiddenStates: 'hidden_states', kvHeads: 2, headDim: 4 });
    const noPast = runner.describeIo({ inputs: signature().inputs.slice(0, 3), outputs: [t('logits')] }, shape, { ...config, assay: {} });
    expect(noPast.pastInputs).toEqual([]);
    expect(noPast.hiddenStates).toBeUndefined();
  });

  it('rejects graphs that do not match the config or the layout', () => {
    expect(kindOf(() => runner.describeIo(signature(1), shape, config))).toBe('MODEL_SIGNATURE_INVALID');
    expect(kindOf(() => runner.describeIo(signature(2, { inputs: [t('token_type_ids')] }), shape, config))).toBe('MODEL_SIGNATURE_INVALID');
    const wrongVocab = signature();
    wrongVocab.outputs[0] = t('logits', ['b', 's', 51]);
    expect(kindOf(() => runner.describeIo(wrongVocab, shape, config))).toBe('MODEL_SIGNATURE_INVALID');
    const noHidden = signature();
    noHidden.outputs = noHidden.outputs.filter((o) => o.name !== 'hidden_states');
    expect(kindOf(() => runner.describeIo(noHidden, shape, config))).toBe('MODEL_SIGNATURE_INVALID');
    const noPresent = signature();
    noPresent.outputs = noPresent.outputs.filter((o) => o.name !== 'present.1.value');
    expect(kindOf(() => runner.describeIo(noPresent, shape, config))).toBe('MODEL_SIGNATURE_INVALID');
    const floatIds = signature();
    floatIds.inputs[0] = t('input_ids', ['b', 's']);
    expect(kindOf(() => runner.describeIo(floatIds, shape, config))).toBe('MODEL_SIGNATURE_INVALID');
  });
});

describe('Hugging Face decoder families (llama, mistral, qwen2, qwen3, phi3, gemma)', () => {
  /** A Gemma-like config: 4 query heads sharing 2 key/value heads, head_dim 12 (not hidden / heads). */
  const hf = { model_type: 'gemma', vocab_size: 40, max_position_embeddings: 64, hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, head_dim: 12, rope_theta: 10000, bos_token_id: 2, eos_token_id: 1 };
  const kv = (name: string, heads: number | string = 2, width: number | string = 12, type = 'float32') => t(name, ['batch_size', heads, 'past_sequence_length', width], type);
  function familySignature(options: { heads?: number; width?: number; type?: string; merged?: boolean } = {}): ModelSignature {
    const { heads = 2, width = 12, type = 'float32' } = options;
    const layers = [0, 1];
    return {
      inputs: [
        ids('input_ids'),
        ids('attention_mask'),
        ids('position_ids'),
        ...layers.flatMap((l) => [kv(`past_key_values.${l}.key`, heads, width, type), kv(`past_key_values.${l}.value`, heads, width, type)]),
        ...(options.merged ? [t('use_cache_branch', [1], 'bool')] : []),
      ],
      outputs: [t('logits', ['batch_size', 'sequence_length', 40], type), ...layers.flatMap((l) => [kv(`present.${l}.key`, heads, width, type), kv(`present.${l}.value`, heads, width, type)])],
    };
  }

  it('every family reads the shared HF keys: GQA heads, explicit head_dim, rope_theta', () => {
    for (const family of ['llama', 'mistral', 'qwen2', 'qwen3', 'phi3', 'gemma']) {
      const shape = runnerFor(family).parseConfig({ ...hf, model_type: family }, {});
      expect(shape).toMatchObject({ architecture: family, heads: 4, kvHeads: 2, headDim: 12, hiddenSize: 16, layers: 2, contextLength: 64, ropeTheta: 10000 });
    }
    // Without num_key_value_heads / head_dim: as many KV heads as heads, hidden / heads wide.
    const plain = runnerFor('llama').parseConfig({ ...hf, model_type: 'llama', num_key_value_heads: undefined, head_dim: undefined }, {});
    expect(plain).toMatchObject({ kvHeads: 4, headDim: 4 });
    expect(kindOf(() => runnerFor('llama').parseConfig({ ...hf, num_key_value_heads: 3 }, {}))).toBe('MODEL_DIR_INVALID');
  });

  it('maps merged decoders (use_cache_branch) and float16 caches; rejects graphs whose cache does not match config.json', () => {
    const runner = runnerFor('gemma');
    const shape = runner.parseConfig(hf, {});
    const io = runner.describeIo(familySignature({ merged: true, type: 'float16' }), shape, hf);
    expect(io).toMatchObject({ useCacheBranch: 'use_cache_branch', kvType: 'float16', kvHeads: 2, headDim: 12 });
    const message = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return `${(error as RuntimeError).kind}: ${(error as Error).message}`;
      }
      return 'no error';
    };
    expect(message(() => runner.describeIo(familySignature({ heads: 4 }), shape, hf))).toMatch(/MODEL_SIGNATURE_INVALID: .*4 key\/value heads .*num_key_value_heads=2/);
    expect(message(() => runner.describeIo(familySignature({ width: 4 }), shape, hf))).toMatch(/MODEL_SIGNATURE_INVALID: .*head size 4 .*12/);
    const int8Cache = familySignature({ type: 'int8' });
    expect(kindOf(() => runner.describeIo(int8Cache, shape, hf))).toBe('MODEL_SIGNATURE_INVALID');
    const branchOnly = familySignature({ merged: true });
    branchOnly.inputs = branchOnly.inputs.filter((i) => !i.name.startsWith('past_key_values'));
    expect(kindOf(() => runner.describeIo(branchOnly, shape, hf))).toBe('MODEL_SIGNATURE_INVALID');
  });
});
