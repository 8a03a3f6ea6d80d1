import { RuntimeError } from '../errors';
import { ModelRunner } from './model-runner';
import { GPT2_CONFIG_KEYS, OptimumDecoderRunner } from './optimum-decoder-runner';
import { TextClassifierRunner } from './text-classifier-runner';

/**
 * architecture (config.json `model_type`) → runner. Explicit on purpose: a model loads only if its
 * architecture is listed here, and adding one is a one-line, reviewable change.
 */
export const MODEL_RUNNERS: Readonly<Record<string, ModelRunner>> = {
  gpt2: new OptimumDecoderRunner('gpt2', GPT2_CONFIG_KEYS),
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
