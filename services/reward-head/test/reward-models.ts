import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DecoderConfig, exportDecoder, randomDecoderWeights, TokenizerJson, trainToxicityClassifier, ToxicityExample } from '@assay/forge';
import { asciiTokenizerJson } from '../../../shared/runtime/test/ascii-tokenizer';

/**
 * Tiny models for the reward head's tests: a Llama-family chat L with ChatML special tokens (`<|im_start|>`,
 * `<|im_end|>`, the end-of-turn) and a final-norm hidden-states output, random weights (real onnxruntime, seconds to
 * make); `seed` gives another L of the same shape. And a tiny text classifier that calls texts with "bad" toxic.
 */
function chatTokenizer(): TokenizerJson {
  const base = asciiTokenizerJson();
  const special = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  return { ...base, added_tokens: [...base.added_tokens, special(105, '<|im_start|>'), special(106, '<|im_end|>')] };
}

export async function forgeChatModel(seed: number, size: { hiddenSize?: number; layers?: number; maxPositions?: number } = {}): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'assay-reward-l-'));
  const hiddenSize = size.hiddenSize ?? 32;
  const config: DecoderConfig = { family: 'llama', vocabSize: 107, hiddenSize, intermediateSize: 2 * hiddenSize, layers: size.layers ?? 2, heads: 4, kvHeads: 2, maxPositions: size.maxPositions ?? 256, bosTokenId: 0, eosTokenId: [0, 106] };
  await exportDecoder(randomDecoderWeights(config, seed, { std: 0.3 }), config, dir, { tokenizer: chatTokenizer(), layout: 'optimum', merged: true });
  return dir;
}

export async function forgeTinyClassifier(): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'assay-reward-clf-'));
  const words = ['sun', 'tree', 'river', 'stone', 'cloud', 'bird', 'road', 'lamp'];
  const examples: ToxicityExample[] = [];
  for (let i = 0; i < 240; i++) {
    const a = words[i % words.length];
    const b = words[(i * 3 + 1) % words.length];
    const toxic = i % 2 === 0;
    examples.push({ text: toxic ? `${a} bad ${b} bad` : `${a} good ${b}`, label: toxic ? 1 : 0, source: 'davidson', group: `g${i}` } as ToxicityExample);
  }
  const trained = await trainToxicityClassifier({ examples, vocabSize: 300, dim: 8, hidden: 8, epochs: 3, seed: 1 });
  await trained.writeModelDir(dir);
  return dir;
}

/** Preference pairs a head can learn on a random L: chosen answers say "good", rejected ones "bad". */
export function toyPairs(count: number, offset = 0): Array<{ prompt: string; chosen: string; rejected: string }> {
  const topics = ['the cat', 'the sea', 'a tree', 'the sun', 'a road', 'the moon', 'a bird', 'the rain'];
  return Array.from({ length: count }, (_, k) => {
    const i = k + offset;
    const topic = topics[i % topics.length];
    return { prompt: `Tell me about ${topic} ${i}.`, chosen: `${topic} is good, very good ${i % 5}.`, rejected: `${topic} is bad, very bad ${i % 7}.` };
  });
}
