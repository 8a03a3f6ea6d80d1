import { mkdir, writeFile } from 'fs/promises';
import * as path from 'path';
import { CHATML_TEMPLATE, tokenizerDirFiles } from '../../tokenizer/tokenizer-dir';
import { TokenizerJson } from '../../tokenizer/tokenizer-json';
import { tokenContent } from '../model-dir';
import { DecoderConfig, hfDecoderConfigJson, resolveDecoderConfig } from './decoder-config';
import { buildDecoderModelProto, DECODER_ONNX_NAMES, encodeModelProto, splitExternalData } from './decoder-graph';
import { DecoderWeights } from './decoder-weights';
import { WeightFormat } from './weight-store';

export type DecoderVariant = 'fp16' | 'quantized';

export interface DecoderExportOptions {
  /** Written as tokenizer.json; its added tokens name BOS/EOS/pad in tokenizer_config.json. */
  tokenizer: TokenizerJson;
  /**
   * `optimum` (default): the graph at the root (`model.onnx`), as `optimum-cli export onnx` writes it;
   * `transformers.js`: under `onnx/` (`onnx/model.onnx`, `onnx/model_fp16.onnx`, ...), as its conversion does.
   */
  layout?: 'optimum' | 'transformers.js';
  /** KV-cache inputs/outputs (default true). */
  withPast?: boolean;
  /** One graph for both passes, switched by a `use_cache_branch` input (Optimum's merged decoder). */
  merged?: boolean;
  /** Element type of model.onnx's past/present, logits and hidden states (default float32). */
  ioType?: 'float32' | 'float16';
  /** Weights in `<graph>.onnx_data` beside each graph (ONNX external data), as exports past 2 GB are. */
  externalData?: boolean;
  /** Extra weight variants: `model_fp16.onnx` (float16 weights and I/O), `model_quantized.onnx` (int8 Linear weights). */
  variants?: DecoderVariant[];
  /** Add the final-norm `hidden_states` output the heads need (default true; standard exports lack it). */
  hiddenStates?: boolean;
  /** tokenizer_config.json `chat_template`; default ChatML, null writes none. */
  chatTemplate?: string | null;
  /** Merged into config.json's `assay` section (e.g. provenance). */
  assay?: Record<string, unknown>;
}

interface VariantSpec {
  file: string;
  weightFormat: WeightFormat;
  ioType: 'float32' | 'float16';
}

/**
 * Writes a model directory in the exact export layout of a decoder family: config.json (the family's HF
 * keys), generation_config.json, tokenizer.json + tokenizer_config.json, and the ONNX graph(s) with
 * Optimum's `text-generation-with-past` signature. Returns the paths written.
 *
 * `weights` is a Hugging Face state dict (see {@link DecoderWeights}); this signature is the stable seam for
 * anything that trains or imports decoder weights.
 */
export async function exportDecoder(weights: DecoderWeights, config: DecoderConfig, dir: string, options: DecoderExportOptions): Promise<string[]> {
  const c = resolveDecoderConfig(config);
  const graphDir = options.layout === 'transformers.js' ? path.join(dir, 'onnx') : dir;
  await mkdir(graphDir, { recursive: true });
  const written: string[] = [];
  const write = async (file: string, content: Uint8Array | string) => {
    await writeFile(file, content);
    written.push(file);
  };
  const specs: VariantSpec[] = [{ file: 'model.onnx', weightFormat: 'float32', ioType: options.ioType ?? 'float32' }];
  if (options.variants?.includes('fp16')) specs.push({ file: 'model_fp16.onnx', weightFormat: 'float16', ioType: 'float16' });
  if (options.variants?.includes('quantized')) specs.push({ file: 'model_quantized.onnx', weightFormat: 'int8', ioType: 'float32' });

  const hiddenStates = options.hiddenStates ?? true;
  const withPast = options.withPast ?? true;
  for (const spec of specs) {
    const proto = buildDecoderModelProto(weights, config, { withPast, merged: options.merged, ioType: spec.ioType, weightFormat: spec.weightFormat, hiddenStates });
    const file = path.join(graphDir, spec.file);
    if (options.externalData) {
      const split = splitExternalData(proto, `${spec.file}_data`);
      await write(file, split.model);
      await write(`${file}_data`, split.data);
    } else {
      await write(file, encodeModelProto(proto));
    }
  }

  const eos = Array.isArray(c.eosTokenId) ? c.eosTokenId : [c.eosTokenId];
  const assay = { ...options.assay, with_past: withPast, ...(hiddenStates ? { hidden_states_output: DECODER_ONNX_NAMES.hiddenStates } : {}) };
  const tjsConfig: Record<string, unknown> = {};
  if (options.externalData) tjsConfig.use_external_data_format = Object.fromEntries(specs.map((s) => [s.file, 1]));
  if (specs.some((s) => s.ioType === 'float16')) tjsConfig.kv_cache_dtype = Object.fromEntries(specs.map((s) => [s.file === 'model.onnx' ? 'fp32' : s.file === 'model_fp16.onnx' ? 'fp16' : 'q8', s.ioType]));
  const configJson = hfDecoderConfigJson(config, {
    assay,
    ...(Object.keys(tjsConfig).length > 0 ? { 'transformers.js_config': tjsConfig } : {}),
  });
  const json = (v: unknown) => JSON.stringify(v, null, 2) + '\n';
  await write(path.join(dir, 'config.json'), json(configJson));
  await write(
    path.join(dir, 'generation_config.json'),
    json({ bos_token_id: c.bosTokenId ?? null, eos_token_id: c.eosTokenId, ...(c.padTokenId !== undefined ? { pad_token_id: c.padTokenId } : {}), max_length: c.maxPositions }),
  );
  const tokenizerFiles = tokenizerDirFiles(options.tokenizer, {
    modelMaxLength: c.maxPositions,
    bosToken: c.bosTokenId !== undefined ? tokenContent(options.tokenizer, c.bosTokenId) : undefined,
    eosToken: tokenContent(options.tokenizer, eos[0]),
    padToken: c.padTokenId !== undefined ? tokenContent(options.tokenizer, c.padTokenId) : undefined,
    ...(options.chatTemplate === null ? {} : { chatTemplate: options.chatTemplate ?? CHATML_TEMPLATE }),
  });
  for (const [name, content] of Object.entries(tokenizerFiles)) await write(path.join(dir, name), content);
  return written;
}
