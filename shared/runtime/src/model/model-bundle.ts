import { readFile, stat } from 'fs/promises';
import * as path from 'path';
import { RuntimeError } from '../errors';
import { ModelIo, ModelRunner, ModelShape, ModelSignature } from '../model-runner/model-runner';
import { runnerFor } from '../model-runner/runner-table';
import { TextTokenizer } from './text-tokenizer';

/** File names of the Hugging Face Optimum layout. */
export const MODEL_FILES = {
  model: 'model.onnx',
  config: 'config.json',
  generationConfig: 'generation_config.json',
  tokenizer: 'tokenizer.json',
  tokenizerConfig: 'tokenizer_config.json',
} as const;

/** Everything about a model directory except the ONNX session: cheap to read on any thread. */
export interface ModelBundle {
  dir: string;
  modelPath: string;
  config: Record<string, unknown>;
  generationConfig: Record<string, unknown>;
  shape: ModelShape;
  tokenizer: TextTokenizer;
  runner: ModelRunner;
}

async function readJson(dir: string, file: string, required: boolean): Promise<Record<string, unknown> | undefined> {
  const full = path.join(dir, file);
  let text: string;
  try {
    text = await readFile(full, 'utf8');
  } catch (error) {
    if (!required && (error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RuntimeError('MODEL_DIR_INVALID', `cannot read ${full}: ${(error as Error).message}`, { dir, file });
  }
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not a JSON object');
    return value as Record<string, unknown>;
  } catch (error) {
    throw new RuntimeError('MODEL_DIR_INVALID', `${full} is not valid JSON: ${(error as Error).message}`, { dir, file });
  }
}

/**
 * Reads and validates a model directory: config (architecture known to the runner table, sizes sane),
 * tokenizer (loads, and never produces ids beyond the model's vocabulary), model file present. The ONNX
 * graph itself is checked by {@link describeModelIo} once a session has loaded it.
 */
export async function readModelBundle(dir: string): Promise<ModelBundle> {
  const absolute = path.resolve(dir);
  const config = (await readJson(absolute, MODEL_FILES.config, true))!;
  const generationConfig = (await readJson(absolute, MODEL_FILES.generationConfig, false)) ?? {};
  const runner = runnerFor(config.model_type);
  const shape = runner.parseConfig(config, generationConfig);

  const tokenizerJson = (await readJson(absolute, MODEL_FILES.tokenizer, true))!;
  const tokenizerConfig = (await readJson(absolute, MODEL_FILES.tokenizerConfig, false)) ?? {};
  let tokenizer: TextTokenizer;
  try {
    tokenizer = TextTokenizer.fromJson(tokenizerJson, tokenizerConfig);
  } catch (error) {
    throw new RuntimeError('MODEL_DIR_INVALID', `tokenizer.json in ${absolute} does not load: ${(error as Error).message}`, { dir: absolute });
  }
  if (tokenizer.size > shape.vocabSize) {
    throw new RuntimeError(
      'VOCAB_MISMATCH',
      `tokenizer.json has ${tokenizer.size} token ids but the model's vocabulary is ${shape.vocabSize}: ids ≥ ${shape.vocabSize} would index past the embedding`,
      { dir: absolute, tokenizerSize: tokenizer.size, modelVocabSize: shape.vocabSize },
    );
  }

  const modelPath = path.join(absolute, MODEL_FILES.model);
  const modelStat = await stat(modelPath).catch(() => undefined);
  if (!modelStat?.isFile() || modelStat.size === 0) {
    throw new RuntimeError('MODEL_FILE_INVALID', `${modelPath} is missing or empty`, { dir: absolute });
  }
  return { dir: absolute, modelPath, config, generationConfig, shape, tokenizer, runner };
}

/** Checks a loaded graph against the bundle's runner and config: past present? hidden states present? */
export function describeModelIo(bundle: ModelBundle, signature: ModelSignature): ModelIo {
  return bundle.runner.describeIo(signature, bundle.shape, bundle.config);
}
