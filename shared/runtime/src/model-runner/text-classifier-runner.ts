import { RuntimeError } from '../errors';
import { asFloat32 } from './float-tensors';
import { ClassifierHead, ClassifierInputs, ClassifierOutputs, ClassifierRunner, FeedTensor, InferenceBackend, ModelIo, ModelShape, ModelSignature } from './model-runner';

/** Graph names of an `assay-text-classifier` export (see @assay/forge's buildClassifierOnnx). */
export const TEXT_CLASSIFIER_IO = { inputIds: 'input_ids', attentionMask: 'attention_mask', logits: 'logits', probabilities: 'probabilities' } as const;

function invalidDir(message: string, details?: Record<string, unknown>): RuntimeError {
  return new RuntimeError('MODEL_DIR_INVALID', `config.json: ${message}`, details);
}

function positiveInt(config: Record<string, unknown>, key: string): number {
  const value = config[key];
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) throw invalidDir(`"${key}" must be a positive integer, got ${JSON.stringify(value)}`, { key });
  return value;
}

/** `labels`, else `id2label` in index order. */
function readLabels(config: Record<string, unknown>): string[] {
  let labels: unknown = config.labels;
  if (labels === undefined && config.id2label && typeof config.id2label === 'object') {
    const byId = config.id2label as Record<string, unknown>;
    labels = Object.keys(byId)
      .map(Number)
      .sort((a, b) => a - b)
      .map((i) => byId[String(i)]);
  }
  if (!Array.isArray(labels) || labels.length < 2 || labels.some((l) => typeof l !== 'string' || l.length === 0) || new Set(labels).size !== labels.length) {
    throw invalidDir(`"labels" must list at least two distinct label names, got ${JSON.stringify(labels)}`);
  }
  if (config.num_labels !== undefined && config.num_labels !== labels.length) throw invalidDir(`num_labels=${JSON.stringify(config.num_labels)} but ${labels.length} labels are named`);
  return labels as string[];
}

/**
 * Sequence classifiers exported by @assay/forge (`model_type: "assay-text-classifier"`): input_ids and
 * attention_mask [batch, seq] (right-padded with the pad id, mask 0 on padding) → logits [batch, labels].
 * Texts are encoded without special tokens and truncated to `max_length` keeping the first tokens.
 */
export class TextClassifierRunner implements ClassifierRunner {
  readonly task = 'text-classification' as const;

  constructor(readonly architecture: string) {}

  parseConfig(config: Record<string, unknown>): ModelShape {
    const assay = (config.assay ?? {}) as Record<string, unknown>;
    if (assay.task !== undefined && assay.task !== 'text-classification') throw invalidDir(`assay.task is ${JSON.stringify(assay.task)}, expected "text-classification"`);
    if (assay.truncation !== undefined && assay.truncation !== 'keep-first') throw invalidDir(`assay.truncation ${JSON.stringify(assay.truncation)} is not supported (only "keep-first")`);
    const vocabSize = positiveInt(config, 'vocab_size');
    const maxLength = positiveInt(config, 'max_length');
    const padTokenId = config.pad_token_id;
    if (typeof padTokenId !== 'number' || !Number.isInteger(padTokenId) || padTokenId < 0 || padTokenId >= vocabSize) {
      throw invalidDir(`"pad_token_id" must be an id in [0, ${vocabSize}), got ${JSON.stringify(padTokenId)}`);
    }
    const labels = readLabels(config);
    const positiveLabel = assay.positive_label ?? labels[labels.length - 1];
    const positiveIndex = labels.indexOf(positiveLabel as string);
    if (positiveIndex < 0) throw invalidDir(`assay.positive_label ${JSON.stringify(positiveLabel)} is not one of the labels ${JSON.stringify(labels)}`);
    if (assay.positive_index !== undefined && assay.positive_index !== positiveIndex) {
      throw invalidDir(`assay.positive_index=${JSON.stringify(assay.positive_index)} but "${String(positiveLabel)}" is label ${positiveIndex}`);
    }
    const threshold = assay.threshold ?? 0.5;
    if (typeof threshold !== 'number' || !(threshold >= 0 && threshold <= 1)) throw invalidDir(`assay.threshold must be a number in [0, 1], got ${JSON.stringify(threshold)}`);
    const head: ClassifierHead = { labels, positiveLabel: labels[positiveIndex], positiveIndex, threshold, lowercase: assay.lowercase === true };
    const hiddenSize = typeof config.hidden_size === 'number' && Number.isInteger(config.hidden_size) && config.hidden_size > 0 ? config.hidden_size : 0;
    return { architecture: this.architecture, vocabSize, contextLength: maxLength, layers: 0, heads: 0, kvHeads: 0, headDim: 0, hiddenSize, eosTokenIds: [], padTokenId, classifier: head };
  }

  describeIo(signature: ModelSignature, shape: ModelShape): ModelIo {
    const inputs = new Set(signature.inputs.map((t) => t.name));
    const outputs = new Map(signature.outputs.map((t) => [t.name, t]));
    const bad = (message: string): RuntimeError => new RuntimeError('MODEL_SIGNATURE_INVALID', message, { inputs: [...inputs], outputs: [...outputs.keys()] });
    for (const name of [TEXT_CLASSIFIER_IO.inputIds, TEXT_CLASSIFIER_IO.attentionMask]) if (!inputs.has(name)) throw bad(`model.onnx has no "${name}" input`);
    for (const name of inputs) {
      if (name !== TEXT_CLASSIFIER_IO.inputIds && name !== TEXT_CLASSIFIER_IO.attentionMask) throw bad(`model.onnx has an input this runner does not know how to feed: "${name}"`);
    }
    const logits = outputs.get(TEXT_CLASSIFIER_IO.logits);
    if (!logits) throw bad('model.onnx has no "logits" output');
    const columns = logits.shape[logits.shape.length - 1];
    const labels = shape.classifier!.labels.length;
    if (typeof columns === 'number' && columns !== labels) throw bad(`model.onnx logits have ${columns} columns but config.json names ${labels} labels`);
    return {
      inputIds: TEXT_CLASSIFIER_IO.inputIds,
      attentionMask: TEXT_CLASSIFIER_IO.attentionMask,
      logits: TEXT_CLASSIFIER_IO.logits,
      probabilities: outputs.has(TEXT_CLASSIFIER_IO.probabilities) ? TEXT_CLASSIFIER_IO.probabilities : undefined,
      pastInputs: [],
      presentOutputs: [],
      kvHeads: 0,
      headDim: 0,
      kvType: 'float32',
    };
  }

  async classify(backend: InferenceBackend, io: ModelIo, inputs: ClassifierInputs): Promise<ClassifierOutputs> {
    const dims = [inputs.batch, inputs.seqLen];
    const feeds: Record<string, FeedTensor> = {
      [io.inputIds]: { type: 'int64', data: inputs.inputIds, dims },
      [io.attentionMask]: { type: 'int64', data: inputs.attentionMask, dims },
    };
    const out = (await backend.run(feeds, [io.logits]))[io.logits];
    return { logits: asFloat32(out), labels: out.dims[out.dims.length - 1] };
  }
}
