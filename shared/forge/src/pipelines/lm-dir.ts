import fs from 'node:fs';
import path from 'node:path';
import { GptWeights } from '../gpt/gpt-weights';
import { exportGptModelDir } from '../onnx/model-dir';
import { TokenizerJson } from '../tokenizer/tokenizer-json';
import { decodeCheckpoint, encodeCheckpoint } from '../train/checkpoint-codec';

/** Beside model.onnx: the trained parameters, so a registered model can be fine-tuned later. */
export const WEIGHTS_FILE = 'weights.bin';
export const TRAINING_REPORT_FILE = 'training-report.json';

export interface LmDirMeta {
  bosTokenId: number;
  eosTokenId: number;
  padTokenId: number;
  report?: unknown;
  assay?: Record<string, unknown>;
}

/**
 * Writes a forged LM in the Optimum layout (model.onnx, config.json, generation_config.json, tokenizer.json)
 * plus weights.bin and training-report.json: everything the registry stores for a model Assay made itself.
 */
export async function writeLmDir(weights: GptWeights, tokenizer: TokenizerJson, dir: string, meta: LmDirMeta): Promise<string> {
  await exportGptModelDir(weights, tokenizer, dir, { bosTokenId: meta.bosTokenId, eosTokenId: meta.eosTokenId, padTokenId: meta.padTokenId, assay: meta.assay });
  await fs.promises.writeFile(path.join(dir, WEIGHTS_FILE), encodeCheckpoint(weights));
  if (meta.report !== undefined) await fs.promises.writeFile(path.join(dir, TRAINING_REPORT_FILE), JSON.stringify(meta.report, null, 2));
  return dir;
}

/** The parameters of a model directory written by writeLmDir (for fine-tuning). */
export async function readLmWeights(dir: string): Promise<GptWeights> {
  const file = path.join(dir, WEIGHTS_FILE);
  if (!fs.existsSync(file)) throw new Error(`${dir} has no ${WEIGHTS_FILE}: only models forged by Assay can be fine-tuned`);
  return decodeCheckpoint<GptWeights>(new Uint8Array(await fs.promises.readFile(file)));
}
