import fs from 'node:fs';
import path from 'node:path';
import { decoderConfigFromHf } from '../onnx/decoder-families';
import type { DecoderModel } from '../train/model-family';
import { decoderWeightsFromOnnx, readOnnxModel } from './onnx-weights';

/** Graph files tried in order: the Optimum layout (root), then transformers.js' (`onnx/`); fp32 before fp16 and int8. */
const GRAPH_CANDIDATES = ['model.onnx', 'decoder_model_merged.onnx', 'decoder_model.onnx', 'model_fp16.onnx', 'model_quantized.onnx'].flatMap((f) => [f, `onnx/${f}`]);

export interface ImportedDecoder extends DecoderModel {
  /** The graph the weights were read from (relative to the directory). */
  file: string;
  /** The directory's tokenizer.json, when it has one. */
  tokenizerJson?: string;
}

/**
 * Reads a llama-family model directory exported by Optimum or transformers.js (or by the forge) into the
 * trainer's form, for fine-tuning: config.json (a supported model_type), the weights of its ONNX graph (see
 * onnx-weights.ts), and tokenizer.json. `file` picks a graph (e.g. `onnx/model_fp16.onnx`).
 */
export function importDecoderDir(dir: string, options: { file?: string } = {}): ImportedDecoder {
  const configFile = path.join(dir, 'config.json');
  if (!fs.existsSync(configFile)) throw new Error(`${dir} has no config.json`);
  const config = decoderConfigFromHf(JSON.parse(fs.readFileSync(configFile, 'utf8')) as Record<string, unknown>);
  const file = options.file ?? GRAPH_CANDIDATES.find((f) => fs.existsSync(path.join(dir, f)));
  if (!file || !fs.existsSync(path.join(dir, file))) throw new Error(`${dir} has no ONNX graph (looked for ${options.file ?? GRAPH_CANDIDATES.join(', ')})`);
  const graphPath = path.join(dir, file);
  const weights = decoderWeightsFromOnnx(readOnnxModel(graphPath), config, path.dirname(graphPath));
  const tokenizerFile = path.join(dir, 'tokenizer.json');
  return { config, weights, file, ...(fs.existsSync(tokenizerFile) ? { tokenizerJson: fs.readFileSync(tokenizerFile, 'utf8') } : {}) };
}
