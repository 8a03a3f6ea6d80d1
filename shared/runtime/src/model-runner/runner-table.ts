import { RuntimeError } from '../errors';
import { ModelRunner } from './model-runner';
import { GPT2_CONFIG_KEYS, HF_DECODER_CONFIG_KEYS, OptimumDecoderRunner } from './optimum-decoder-runner';
import { TextClassifierRunner } from './text-classifier-runner';

/**
 * architecture (config.json `model_type`) → runner. Explicit on purpose: a model loads only if its
 * architecture is listed here, and adding one is a one-line, reviewable change.
 *
 * The decoder families all export with Optimum's `text-generation-with-past` signature (Qwen3's export
 * config is Llama's, so its graph has the same inputs and outputs); they differ only in config keys and in
 * what the graph computes, which the runtime never needs to know.
 */
export const MODEL_RUNNERS: Readonly<Record<string, ModelRunner>> = {
  gpt2: new OptimumDecoderRunner('gpt2', GPT2_CONFIG_KEYS),
  llama: new OptimumDecoderRunner('llama', HF_DECODER_CONFIG_KEYS),
  mistral: new OptimumDecoderRunner('mistral', HF_DECODER_CONFIG_KEYS),
  qwen2: new OptimumDecoderRunner('qwen2', HF_DECODER_CONFIG_KEYS),
  qwen3: new OptimumDecoderRunner('qwen3', HF_DECODER_CONFIG_KEYS),
  phi3: new OptimumDecoderRunner('phi3', HF_DECODER_CONFIG_KEYS),
  gemma: new OptimumDecoderRunner('gemma', HF_DECODER_CONFIG_KEYS),
  'assay-text-classifier': new TextClassifierRunner('assay-text-classifier'),
};

export function runnerFor(architecture: unknown): ModelRunner {
  const runner = typeof architecture === 'string' ? MODEL_RUNNERS[architecture] : undefined;
  if (!runner) {
    throw new RuntimeError('UNKNOWN_ARCHITECTURE', `config.json model_type ${JSON.stringify(architecture)} has no runner; known: ${Object.keys(MODEL_RUNNERS).join(', ')}`, {
      architecture,
      known: Object.keys(MODEL_RUNNERS),
    });
  }
  return runner;
}
