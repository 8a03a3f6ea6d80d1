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
const t = (name: string, shape: (number | string)[] = []): TensorInfo => ({ name, type: 'float32', shape });

function signature(layers = 2, extra: Partial<ModelSignature> = {}): ModelSignature {
  const past = Array.from({ length: layers }, (_, l) => [t(`past_key_values.${l}.key`, ['b', 2, 'p', 4]), t(`past_key_values.${l}.value`, ['b', 2, 'p', 4])]).flat();
  const present = Array.from({ length: layers }, (_, l) => [t(`present.${l}.key`), t(`present.${l}.value`)]).flat();
  return {
    inputs: [t('input_ids'), t('attention_mask'), t('position_ids'), ...past, ...(extra.inputs ?? [])],
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
      hiddenSize: 8,
      bosTokenId: 1,
      eosTokenIds: [2, 3],
      padTokenId: 2,
    });
    expect(kindOf(() => runner.parseConfig({ ...config, n_head: 3 }, {}))).toBe('MODEL_DIR_INVALID');
    expect(kindOf(() => runner.parseConfig({ ...config, n_layer: undefined }, {}))).toBe('MODEL_DIR_INVALID');
    expect(kindOf(() => runner.parseConfig({ ...config, eos_token_id: 99 }, {}))).toBe('MODEL_DIR_INVALID');
    expect(kindOf(() => runnerFor('llama'))).toBe('UNKNOWN_ARCHITECTURE');
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
  });
});
