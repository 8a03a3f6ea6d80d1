import { mkdir, writeFile } from 'fs/promises';
import * as path from 'path';
import { OnnxModelOptions } from '../onnx/graph-builder';
import { END_OF_TEXT, PAD_TOKEN } from '../tokenizer/tokenizer-json';
import { tokenizerConfigJson } from '../tokenizer/tokenizer-dir';
import { buildClassifierOnnx, CLASSIFIER_ONNX_NAMES } from './classifier-onnx';
import { ClassifierTokenizerJson } from './classifier-tokenizer';
import { ClassifierWeights } from './classifier-weights';

export const CLASSIFIER_MODEL_TYPE = 'assay-text-classifier';
export const TOXICITY_LABELS = ['non-toxic', 'toxic'] as const;

export interface ClassifierModelDirMeta {
  /** Longest input the model was trained on; longer inputs are truncated (keep the first ids). */
  maxLength: number;
  padTokenId: number;
  /** Decision threshold on `probabilities` chosen on validation data. */
  threshold: number;
  labels?: readonly string[];
  positiveLabel?: string;
  /** Written as report.json when given. */
  report?: unknown;
  /** Extra keys merged into config.json's `assay` object (e.g. provenance). */
  assay?: Record<string, unknown>;
  onnx?: OnnxModelOptions;
}

/** `config.json` in the HF sequence-classification style plus our `assay` section. */
export function classifierConfigJson(weights: ClassifierWeights, tokenizer: ClassifierTokenizerJson, meta: ClassifierModelDirMeta): Record<string, unknown> {
  const labels = meta.labels ?? TOXICITY_LABELS;
  const positive = meta.positiveLabel ?? labels[labels.length - 1];
  return {
    model_type: CLASSIFIER_MODEL_TYPE,
    architectures: ['AssayBagOfEmbeddingsClassifier'],
    vocab_size: weights.shape.vocabSize,
    hidden_size: weights.shape.dim,
    classifier_hidden_size: weights.shape.hidden,
    num_labels: labels.length,
    labels: [...labels],
    id2label: Object.fromEntries(labels.map((l, i) => [String(i), l])),
    label2id: Object.fromEntries(labels.map((l, i) => [l, i])),
    max_length: meta.maxLength,
    pad_token_id: meta.padTokenId,
    problem_type: 'single_label_classification',
    assay: {
      ...meta.assay,
      task: 'text-classification',
      positive_label: positive,
      positive_index: labels.indexOf(positive),
      threshold: meta.threshold,
      lowercase: tokenizer.normalizer?.type === 'Lowercase',
      truncation: 'keep-first',
      inputs: [CLASSIFIER_ONNX_NAMES.inputIds, CLASSIFIER_ONNX_NAMES.attentionMask],
      outputs: { logits: CLASSIFIER_ONNX_NAMES.logits, probabilities: CLASSIFIER_ONNX_NAMES.probabilities },
    },
  };
}

/** Files of a classifier model directory, by name. */
export function classifierModelDirFiles(weights: ClassifierWeights, tokenizer: ClassifierTokenizerJson, meta: ClassifierModelDirMeta): Record<string, Uint8Array | string> {
  const json = (v: unknown): string => JSON.stringify(v, null, 2) + '\n';
  const files: Record<string, Uint8Array | string> = {
    'model.onnx': buildClassifierOnnx(weights, meta.onnx),
    'config.json': json(classifierConfigJson(weights, tokenizer, meta)),
    'tokenizer.json': JSON.stringify(tokenizer) + '\n',
    'tokenizer_config.json': json({ ...tokenizerConfigJson({ modelMaxLength: meta.maxLength, eosToken: END_OF_TEXT, padToken: PAD_TOKEN }), do_lower_case: tokenizer.normalizer?.type === 'Lowercase' }),
  };
  if (meta.report !== undefined) files['report.json'] = json(meta.report);
  return files;
}

/** Writes model.onnx, config.json, tokenizer.json, tokenizer_config.json (and report.json) into `outDir`. */
export async function exportClassifierModelDir(
  weights: ClassifierWeights,
  tokenizer: ClassifierTokenizerJson,
  outDir: string,
  meta: ClassifierModelDirMeta,
): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const written: string[] = [];
  for (const [name, content] of Object.entries(classifierModelDirFiles(weights, tokenizer, meta))) {
    const file = path.join(outDir, name);
    await writeFile(file, content);
    written.push(file);
  }
  return written;
}
