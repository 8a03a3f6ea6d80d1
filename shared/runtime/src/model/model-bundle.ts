import { readFile, stat } from 'fs/promises';
import * as path from 'path';
import { RuntimeError } from '../errors';
import { ModelIo, ModelRunner, ModelShape, ModelSignature } from '../model-runner/model-runner';
import { runnerFor } from '../model-runner/runner-table';
import { ChatTemplate } from '../chat/chat-template';
import { TextTokenizer } from './text-tokenizer';

/** File names of the Hugging Face Optimum layout (the graph may also sit in `onnx/`, see {@link modelGraphCandidates}). */
export const MODEL_FILES = {
  model: 'model.onnx',
  config: 'config.json',
  generationConfig: 'generation_config.json',
  tokenizer: 'tokenizer.json',
  tokenizerConfig: 'tokenizer_config.json',
  /** Newer exports keep the chat template beside tokenizer_config.json. */
  chatTemplate: 'chat_template.jinja',
} as const;

/**
 * Weight variants by the file-name suffix transformers.js and Optimum give them: `model.onnx` (fp32),
 * `model_fp16.onnx`, `model_quantized.onnx` (int8, transformers.js' "q8"), and the other quantizations
 * transformers.js' conversion writes.
 */
export const MODEL_VARIANTS: Readonly<Record<string, string>> = {
  fp32: '',
  fp16: '_fp16',
  quantized: '_quantized',
  q8: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
  q4f16: '_q4f16',
  bnb4: '_bnb4',
};
export type ModelVariant = keyof typeof MODEL_VARIANTS;

export interface ModelFileChoice {
  /** Asked for explicitly: missing is an error. */
  variant?: string;
  /** The configured default: when the directory lacks it, fp32 (then any variant present) is used instead. */
  preferredVariant?: string;
}

/**
 * Where a variant's graph may be, in order: the Optimum layout (root), the transformers.js layout (`onnx/`),
 * and older Optimum merged-decoder names (`decoder_model_merged*.onnx`).
 */
export function modelGraphCandidates(variant: string): string[] {
  const suffix = MODEL_VARIANTS[variant];
  if (suffix === undefined) {
    throw new RuntimeError('INVALID_REQUEST', `unknown model variant ${JSON.stringify(variant)}; known: ${Object.keys(MODEL_VARIANTS).join(', ')}`, { variant });
  }
  return [`model${suffix}.onnx`, `onnx/model${suffix}.onnx`, `decoder_model_merged${suffix}.onnx`, `onnx/decoder_model_merged${suffix}.onnx`];
}

async function isNonEmptyFile(file: string): Promise<boolean> {
  const info = await stat(file).catch(() => undefined);
  return info !== undefined && info.isFile() && info.size > 0;
}

/** The graph file to load: the requested variant, else the preferred one, else fp32, else any variant present. */
export async function resolveModelGraph(dir: string, choice: ModelFileChoice = {}): Promise<{ variant: string; modelPath: string }> {
  const find = async (variant: string): Promise<string | undefined> => {
    for (const candidate of modelGraphCandidates(variant)) if (await isNonEmptyFile(path.join(dir, candidate))) return path.join(dir, candidate);
    return undefined;
  };
  const order = choice.variant !== undefined ? [choice.variant] : [...new Set([choice.preferredVariant ?? 'fp32', 'fp32', ...Object.keys(MODEL_VARIANTS)])];
  for (const variant of order) {
    const modelPath = await find(variant);
    if (modelPath) return { variant, modelPath };
  }
  const present: string[] = [];
  for (const variant of Object.keys(MODEL_VARIANTS)) if (await find(variant)) present.push(variant);
  const wanted = choice.variant !== undefined ? `${choice.variant} variant (${modelGraphCandidates(choice.variant).join(', ')})` : 'model graph (model.onnx or onnx/model.onnx)';
  throw new RuntimeError('MODEL_FILE_INVALID', `${dir} has no ${wanted}, or it is empty${present.length ? `; variants present: ${present.join(', ')}` : ''}`, { dir, variants: present });
}

/** Everything about a model directory except the ONNX session: cheap to read on any thread. */
export interface ModelBundle {
  dir: string;
  /** The weight variant loaded (fp32, fp16, quantized, ...). */
  variant: string;
  modelPath: string;
  config: Record<string, unknown>;
  generationConfig: Record<string, unknown>;
  shape: ModelShape;
  tokenizer: TextTokenizer;
  /** tokenizer_config.json ({} when absent): special tokens and the chat template. */
  tokenizerConfig: Record<string, unknown>;
  /** The chat template, when the model has one (see ChatTemplate). */
  chatTemplate?: ChatTemplate;
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
export async function readModelBundle(dir: string, choice: ModelFileChoice = {}): Promise<ModelBundle> {
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

  const { variant, modelPath } = await resolveModelGraph(absolute, choice);
  const separateTemplate = await readFile(path.join(absolute, MODEL_FILES.chatTemplate), 'utf8').catch(() => undefined);
  const chatTemplate = ChatTemplate.fromTokenizerConfig(tokenizerConfig, separateTemplate);
  return { dir: absolute, variant, modelPath, config, generationConfig, shape, tokenizer, tokenizerConfig, chatTemplate, runner };
}

/** Checks a loaded graph against the bundle's runner and config: past present? hidden states present? */
export function describeModelIo(bundle: ModelBundle, signature: ModelSignature): ModelIo {
  return bundle.runner.describeIo(signature, bundle.shape, bundle.config);
}
