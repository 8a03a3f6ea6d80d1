import fs from 'node:fs';
import path from 'node:path';
import type { DecoderConfigJson } from '../gpt/decoder-weights';
import type { TokenizerJson } from '../tokenizer/tokenizer-json';
import type { DecoderModel } from '../train/model-family';

/** The part of the family exporter's API this seam uses (shared/forge/src/onnx/decoder-families). */
interface DecoderFamiliesModule {
  decoderConfigFromHf(json: Record<string, unknown>): unknown;
  exportDecoder(weights: DecoderModel['weights'], config: unknown, dir: string, options: { tokenizer: TokenizerJson; assay?: Record<string, unknown> }): Promise<string[]>;
}

const EXPORTER_DIR = path.join(__dirname, '../onnx/decoder-families');

/** Whether this build has the llama-family exporter. */
export function decoderExporterAvailable(): boolean {
  return ['index.ts', 'index.js'].some((f) => fs.existsSync(path.join(EXPORTER_DIR, f)));
}

/** Throws, saying why, when this build cannot export llama-family models. */
export function requireDecoderExporter(): void {
  if (!decoderExporterAvailable()) throw new Error('exporting llama-family models needs the decoder-family exporter (shared/forge/src/onnx/decoder-families), which is not in this build');
}

/**
 * Exports a trained llama-family model with the family exporter (`exportDecoder`, the Optimum layout with KV cache
 * that the runtime serves): the trainer's config is config.json's keys, which the exporter reads with
 * `decoderConfigFromHf`. The exporter is developed on another branch; it is loaded by path so that this builds
 * with or without it (replace with a static import once both are merged).
 */
export async function exportDecoderModelDir(model: DecoderModel, tokenizer: TokenizerJson, dir: string, options: { assay?: Record<string, unknown> } = {}): Promise<string[]> {
  requireDecoderExporter();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const exporter = require(EXPORTER_DIR) as DecoderFamiliesModule;
  const config: DecoderConfigJson = model.config;
  return exporter.exportDecoder(model.weights, exporter.decoderConfigFromHf(config as unknown as Record<string, unknown>), dir, { tokenizer, assay: options.assay });
}
