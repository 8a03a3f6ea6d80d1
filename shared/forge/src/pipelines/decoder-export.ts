import type { TokenizerJson } from '../tokenizer/tokenizer-json';
import type { DecoderModel } from '../train/model-family';

/**
 * The seam to the llama-family exporter (shared/forge/src/onnx/decoder-families, `exportDecoder`), which writes
 * the Optimum layout with KV cache that the runtime serves. That exporter is developed on another branch; until
 * it is merged, exporting a llama-family model reports so instead of writing a second exporter here. Once merged
 * the body is: `return exportDecoder(model.weights, decoderConfigFromHf(model.config), dir, { tokenizer, assay: options.assay })`.
 */
export async function exportDecoderModelDir(model: DecoderModel, tokenizer: TokenizerJson, dir: string, options: { assay?: Record<string, unknown> } = {}): Promise<string[]> {
  throw new Error('exporting llama-family models needs the decoder-family exporter (shared/forge/src/onnx/decoder-families), which is not in this build');
}
