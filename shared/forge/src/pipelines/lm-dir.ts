import fs from 'node:fs';
import path from 'node:path';
import { GptWeights } from '../gpt/gpt-weights';
import { exportDecoder } from '../onnx/decoder-families';
import { exportGptModelDir } from '../onnx/model-dir';
import { gptWeightsFromOnnxDir } from './gpt-onnx-weights';
import { TokenizerJson } from '../tokenizer/tokenizer-json';
import { decodeCheckpoint, encodeCheckpoint } from '../train/checkpoint-codec';
import type { DecoderModel } from '../train/model-family';
import type { LoraConfig } from '../train/models/lora';
import { importDecoderDir } from './import-decoder';

/** Beside model.onnx: the trained parameters, so a registered model can be fine-tuned later. */
export const WEIGHTS_FILE = 'weights.bin';
export const TRAINING_REPORT_FILE = 'training-report.json';
/** LoRA adapters of a fine-tune (unmerged; the exported model has them merged), with their config. */
export const ADAPTERS_FILE = 'lora-adapters.bin';

export interface LmDirMeta {
  bosTokenId: number;
  eosTokenId: number;
  padTokenId: number;
  report?: unknown;
  assay?: Record<string, unknown>;
  /** LoRA adapters of a fine-tune, kept beside the merged model. */
  adapters?: { lora: LoraConfig; weights: Record<string, Float32Array> };
}

/**
 * Writes a forged LM in the Optimum layout (model.onnx, config.json, generation_config.json, tokenizer.json)
 * plus weights.bin and training-report.json: everything the registry stores for a model Assay made itself.
 */
export async function writeLmDir(weights: GptWeights, tokenizer: TokenizerJson, dir: string, meta: LmDirMeta): Promise<string> {
  await exportGptModelDir(weights, tokenizer, dir, { bosTokenId: meta.bosTokenId, eosTokenId: meta.eosTokenId, padTokenId: meta.padTokenId, assay: meta.assay });
  await fs.promises.writeFile(path.join(dir, WEIGHTS_FILE), encodeCheckpoint(weights));
  if (meta.report !== undefined) await fs.promises.writeFile(path.join(dir, TRAINING_REPORT_FILE), JSON.stringify(meta.report, null, 2));
  if (meta.adapters) await fs.promises.writeFile(path.join(dir, ADAPTERS_FILE), encodeCheckpoint(meta.adapters));
  return dir;
}

/**
 * Writes a trained llama-family model: the family export (config.json, Optimum layout), weights.bin (the
 * DecoderModel, for later fine-tuning), training-report.json, and the LoRA adapters when there were any.
 */
export async function writeDecoderDir(model: DecoderModel, tokenizer: TokenizerJson, dir: string, meta: Pick<LmDirMeta, 'report' | 'assay' | 'adapters'>): Promise<string> {
  await exportDecoder(model.weights, model.config, dir, { tokenizer, assay: meta.assay });
  await fs.promises.writeFile(path.join(dir, WEIGHTS_FILE), encodeCheckpoint(model));
  if (meta.report !== undefined) await fs.promises.writeFile(path.join(dir, TRAINING_REPORT_FILE), JSON.stringify(meta.report, null, 2));
  if (meta.adapters) await fs.promises.writeFile(path.join(dir, ADAPTERS_FILE), encodeCheckpoint(meta.adapters));
  return dir;
}

/** The parameters of a GPT-2 model directory written by writeLmDir (for fine-tuning). */
export async function readLmWeights(dir: string): Promise<GptWeights> {
  const base = await readBaseModel(dir);
  if (base.family !== 'gpt2') throw new Error(`${dir} holds a ${base.model.config.family} model, not a GPT-2`);
  return base.weights;
}

export type BaseModel = { family: 'gpt2'; weights: GptWeights; tokenizer?: TokenizerJson } | { family: 'llama'; model: DecoderModel; tokenizer?: TokenizerJson };

/**
 * A model directory to fine-tune: the forge's weights.bin (GPT-2 or llama family), or else the weights of a
 * llama-family ONNX export (Optimum or transformers.js layout, see importDecoderDir), with its tokenizer.json.
 */
export async function readBaseModel(dir: string): Promise<BaseModel> {
  const tokenizerFile = path.join(dir, 'tokenizer.json');
  const tokenizer = fs.existsSync(tokenizerFile) ? (JSON.parse(await fs.promises.readFile(tokenizerFile, 'utf8')) as TokenizerJson) : undefined;
  const file = path.join(dir, WEIGHTS_FILE);
  if (fs.existsSync(file)) {
    const stored = decodeCheckpoint<GptWeights | DecoderModel>(new Uint8Array(await fs.promises.readFile(file)));
    if ('config' in stored && 'weights' in stored) return { family: 'llama', model: stored, tokenizer };
    return { family: 'gpt2', weights: stored, tokenizer };
  }
  if (!fs.existsSync(path.join(dir, 'config.json'))) throw new Error(`${dir} has neither ${WEIGHTS_FILE} nor config.json: not a model directory`);
  const config = JSON.parse(await fs.promises.readFile(path.join(dir, 'config.json'), 'utf8')) as { model_type?: string };
  if (config.model_type === 'gpt2') return { family: 'gpt2', weights: gptWeightsFromOnnxDir(dir), tokenizer };
  const imported = importDecoderDir(dir);
  return { family: 'llama', model: { config: imported.config, weights: imported.weights }, tokenizer };
}
