import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exportGptModelDir, randomGptWeights, specialTokenId, tokenizerVocabSize, trainBpeTokenizer, END_OF_TEXT, PAD_TOKEN } from '@assay/forge';

export interface TinyModelOptions {
  texts: string[];
  vocabSize?: number;
  layers?: number;
  heads?: number;
  dim?: number;
  contextLength?: number;
  seed?: number;
  withPast?: boolean;
}

/**
 * A small Optimum-layout model directory with random weights and a BPE tokenizer trained on `texts`:
 * fast to make, real to run (onnxruntime), for tests of plumbing rather than of model quality.
 */
export async function forgeTinyModel(options: TinyModelOptions, dir = fs.mkdtempSync(path.join(os.tmpdir(), 'assay-model-'))): Promise<string> {
  const tokenizer = trainBpeTokenizer({ texts: options.texts, vocabSize: options.vocabSize ?? 400 });
  const vocabSize = tokenizerVocabSize(tokenizer);
  const weights = randomGptWeights(
    { vocabSize, contextLength: options.contextLength ?? 128, layers: options.layers ?? 1, heads: options.heads ?? 2, dim: options.dim ?? 32, layerNormEps: 1e-5 },
    options.seed ?? 1,
  );
  const eos = specialTokenId(tokenizer, END_OF_TEXT);
  const pad = specialTokenId(tokenizer, PAD_TOKEN);
  await exportGptModelDir(weights, tokenizer, dir, { bosTokenId: eos, eosTokenId: eos, padTokenId: pad, withPast: options.withPast ?? true });
  return dir;
}
