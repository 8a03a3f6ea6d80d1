import { mkdir, writeFile } from 'fs/promises';
import * as path from 'path';
import { GPT_ACTIVATION, GptWeights } from '../gpt/gpt-weights';
import { CHATML_TEMPLATE, tokenizerDirFiles } from '../tokenizer/tokenizer-dir';
import { TokenizerJson } from '../tokenizer/tokenizer-json';
import { buildGptOnnx, GPT_ONNX_NAMES } from './gpt-export';

export interface GptModelDirMeta {
  bosTokenId: number;
  eosTokenId: number;
  padTokenId: number;
  /** generation_config.json max_length; defaults to the context length. */
  maxLength?: number;
  /** Export with KV-cache inputs/outputs (default true). */
  withPast?: boolean;
  /** Extra keys merged into config.json's `assay` object (e.g. provenance). */
  assay?: Record<string, unknown>;
}

/** HF `config.json` for a GPT-2 model, with our `assay` section. */
export function gptConfigJson(weights: GptWeights, meta: GptModelDirMeta): Record<string, unknown> {
  const s = weights.shape;
  return {
    model_type: 'gpt2',
    architectures: ['GPT2LMHeadModel'],
    vocab_size: s.vocabSize,
    n_positions: s.contextLength,
    n_ctx: s.contextLength,
    n_embd: s.dim,
    n_layer: s.layers,
    n_head: s.heads,
    n_inner: null,
    layer_norm_epsilon: s.layerNormEps,
    activation_function: GPT_ACTIVATION,
    bos_token_id: meta.bosTokenId,
    eos_token_id: meta.eosTokenId,
    pad_token_id: meta.padTokenId,
    tie_word_embeddings: true,
    use_cache: meta.withPast ?? true,
    assay: { ...meta.assay, hidden_states_output: GPT_ONNX_NAMES.hiddenStates, with_past: meta.withPast ?? true },
  };
}

export function generationConfigJson(weights: GptWeights, meta: GptModelDirMeta): Record<string, unknown> {
  return {
    bos_token_id: meta.bosTokenId,
    eos_token_id: meta.eosTokenId,
    pad_token_id: meta.padTokenId,
    max_length: meta.maxLength ?? weights.shape.contextLength,
  };
}

/** The text of token `id` (an added token's content, or the vocabulary entry). */
export function tokenContent(tokenizer: TokenizerJson, id: number): string {
  const added = tokenizer.added_tokens.find((t) => t.id === id);
  if (added !== undefined) return added.content;
  const entry = Object.entries(tokenizer.model.vocab).find(([, v]) => v === id);
  if (entry === undefined) throw new Error(`token id ${id} is not in the tokenizer`);
  return entry[0];
}

/** Files of a model directory in the Optimum layout, by file name. */
export function gptModelDirFiles(weights: GptWeights, tokenizerJson: TokenizerJson, meta: GptModelDirMeta): Record<string, Uint8Array | string> {
  const json = (v: unknown): string => JSON.stringify(v, null, 2) + '\n';
  return {
    'model.onnx': buildGptOnnx(weights, { withPast: meta.withPast ?? true }),
    'config.json': json(gptConfigJson(weights, meta)),
    'generation_config.json': json(generationConfigJson(weights, meta)),
    ...tokenizerDirFiles(tokenizerJson, {
      modelMaxLength: weights.shape.contextLength,
      bosToken: tokenContent(tokenizerJson, meta.bosTokenId),
      eosToken: tokenContent(tokenizerJson, meta.eosTokenId),
      padToken: tokenContent(tokenizerJson, meta.padTokenId),
      // Forged models speak ChatML when a caller sends messages (the markers are plain text to this tokenizer).
      chatTemplate: CHATML_TEMPLATE,
    }),
  };
}

/** Writes model.onnx, config.json, generation_config.json, tokenizer.json and tokenizer_config.json into `outDir`; returns the paths. */
export async function exportGptModelDir(
  weights: GptWeights,
  tokenizerJson: TokenizerJson,
  outDir: string,
  meta: GptModelDirMeta,
): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const written: string[] = [];
  for (const [name, content] of Object.entries(gptModelDirFiles(weights, tokenizerJson, meta))) {
    const file = path.join(outDir, name);
    await writeFile(file, content);
    written.push(file);
  }
  return written;
}
