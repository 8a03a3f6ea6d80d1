import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { END_OF_TEXT, gradedKnowledgeTask, PAD_TOKEN, randomGptWeights, specialTokenId, tokenizerVocabSize, trainBpeTokenizer, writeLmDir } from '@assay/forge';
import type { LabelledRow, Split } from '../src/dataset.store';

/**
 * A tiny GPT-2 L with random weights, a BPE tokenizer trained on the graded-knowledge corpus, and weights.bin
 * (so CT-Query can fine-tune it): real to run through onnxruntime and the forge's trainer, fast to make.
 */
export async function forgeTinyL(seed = 1): Promise<string> {
  const task = gradedKnowledgeTask({ people: 30, seed });
  const tokenizer = trainBpeTokenizer({ texts: [...task.corpus, 'Is the proposed answer correct?\nChoices:\n(i): no\n(ii): yes\nAnswer: ii i'], vocabSize: 420 });
  const eos = specialTokenId(tokenizer, END_OF_TEXT);
  const pad = specialTokenId(tokenizer, PAD_TOKEN);
  const weights = randomGptWeights({ vocabSize: tokenizerVocabSize(tokenizer), contextLength: 128, layers: 1, heads: 2, dim: 32, layerNormEps: 1e-5 }, seed, { std: 0.3 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'assay-calibrator-l-'));
  await writeLmDir(weights, tokenizer, dir, { bosTokenId: eos, eosTokenId: eos, padTokenId: pad });
  return dir;
}

/**
 * A labelled dataset whose labels a probe can learn from L's hidden state at the answer's last token: answers
 * "yes" are correct, "no" wrong, on graded-knowledge questions (the calibrator's plumbing, not L's knowledge).
 */
export function fixtureRows(n = 72, seed = 2): LabelledRow[] {
  const task = gradedKnowledgeTask({ people: 30, seed });
  return task.openEnded.slice(0, n).map((q, i) => {
    const label = (i * 7 + 3) % 5 < 2 ? 1 : 0;
    const split: Split = i % 4 === 0 ? 'val' : i % 4 === 1 ? 'test' : 'train';
    return { id: i, question: q.question, answer: label ? 'yes' : 'no', label, split, gold: q.answers[0] };
  });
}
