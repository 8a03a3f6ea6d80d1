import { mkdir, writeFile } from 'fs/promises';
import * as path from 'path';
import { END_OF_TEXT, PAD_TOKEN, TokenizerJson } from './tokenizer-json';

/** ChatML, the template Qwen2 ships and what forged chat models use: `<|im_start|>role\ncontent<|im_end|>\n`. */
export const CHATML_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

export interface TokenizerConfigOptions {
  /** model_max_length (the model's context length). */
  modelMaxLength?: number;
  bosToken?: string;
  eosToken?: string;
  padToken?: string;
  /** Jinja chat template (`chat_template`), rendered by transformers / transformers.js / @assay/runtime for chat requests. */
  chatTemplate?: string;
}

/**
 * HF `tokenizer_config.json` for a GPT-2-style tokenizer. `clean_up_tokenization_spaces: false`
 * matters: loaders default it to true, which rewrites " ," to "," on decode and breaks round trips.
 */
export function tokenizerConfigJson(options: TokenizerConfigOptions = {}): Record<string, unknown> {
  const eos = options.eosToken ?? END_OF_TEXT;
  return {
    tokenizer_class: 'GPT2Tokenizer',
    bos_token: options.bosToken ?? eos,
    eos_token: eos,
    unk_token: eos,
    pad_token: options.padToken ?? PAD_TOKEN,
    add_bos_token: false,
    add_prefix_space: false,
    clean_up_tokenization_spaces: false,
    ...(options.modelMaxLength !== undefined ? { model_max_length: options.modelMaxLength } : {}),
    ...(options.chatTemplate !== undefined ? { chat_template: options.chatTemplate } : {}),
  };
}

/** The files of a tokenizer directory, by name. */
export function tokenizerDirFiles(tokenizer: TokenizerJson, options: TokenizerConfigOptions = {}): Record<string, string> {
  return {
    'tokenizer.json': JSON.stringify(tokenizer) + '\n',
    'tokenizer_config.json': JSON.stringify(tokenizerConfigJson(options), null, 2) + '\n',
  };
}

/** Writes tokenizer.json and tokenizer_config.json into `outDir`; returns the paths. */
export async function writeTokenizerDir(tokenizer: TokenizerJson, outDir: string, options: TokenizerConfigOptions = {}): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const written: string[] = [];
  for (const [name, content] of Object.entries(tokenizerDirFiles(tokenizer, options))) {
    const file = path.join(outDir, name);
    await writeFile(file, content);
    written.push(file);
  }
  return written;
}
