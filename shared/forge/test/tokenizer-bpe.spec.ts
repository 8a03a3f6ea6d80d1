import { readFileSync } from 'fs';
import { mkdtemp, readFile, rm } from 'fs/promises';
import { tmpdir } from 'os';
import * as path from 'path';
import { Tokenizer } from '@huggingface/tokenizers';
import {
  BYTE_ORDER,
  BYTE_TO_UNICODE,
  ByteLevelBpe,
  countPreTokens,
  END_OF_TEXT,
  learnMerges,
  PAD_TOKEN,
  specialTokenId,
  tokenizerConfigJson,
  TokenizerJson,
  tokenizerVocabSize,
  trainBpeTokenizer,
  writeTokenizerDir,
} from '@assay/forge';

const corpus = readFileSync(path.resolve(__dirname, '../../../../shared/data/tinyshakespeare/input.txt'), 'utf8');
const train = corpus.slice(0, 400_000);
const heldOut = corpus.slice(900_000, 960_000);

function mulberry(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random valid strings: code points from mixed ranges (ASCII, Latin, combining marks, CJK, emoji, astral), no lone surrogates. */
function randomUnicode(rand: () => number, length: number): string {
  const ranges: [number, number][] = [
    [0x00, 0x7f], [0x80, 0x2ff], [0x300, 0x36f], [0x4e00, 0x9fff], [0x1f300, 0x1faff], [0x2000, 0x206f],
    [0xac00, 0xd7a3], [0x10000, 0x10ffff], [0xe000, 0xfffd],
  ];
  let s = '';
  for (let i = 0; i < length; i++) {
    const [lo, hi] = ranges[Math.floor(rand() * ranges.length)];
    s += String.fromCodePoint(lo + Math.floor(rand() * (hi - lo + 1)));
  }
  return s;
}

/** Random bytes read as UTF-8 (invalid sequences become U+FFFD): whatever a file might contain. */
function randomBytesText(rand: () => number, length: number): string {
  const bytes = Uint8Array.from({ length }, () => Math.floor(rand() * 256));
  return new TextDecoder('utf-8', { fatal: false }).decode(bytes);
}

const tricky = [
  '',
  ' ',
  'Hello, world!',
  "I'm sure you'll see they've said it's 'd 're 'LL",
  '  leading and trailing spaces   ',
  'tabs\tand\t\ttabs\n\nnewlines\r\nCRLF\n',
  '\n\n\n    \n\t \u00a0\u2003 x \u3000 y',
  'emoji 😀👍🏽 👨‍👩‍👧‍👦 🇫🇷 ❤️ flags',
  '中文字符和日本語のテキスト，한국어 텍스트',
  'combining: e\u0301 a\u0308 n\u0303 Z\u0336\u0335\u0334 ﬁ ligature',
  'numbers 123 4.56 7,890 ٣٤٥ ①②',
  `doc one${END_OF_TEXT}doc two${PAD_TOKEN}${PAD_TOKEN}<|endoftext|`,
  '\u0000\u0001\u001f\u007f control chars',
  '\ufeffBOM at start',
  'Ωμέγα Привет мир שלום مرحبا',
];

describe('byte-level BPE tokenizer trainer', () => {
  let tokenizerJson: TokenizerJson;
  let library: Tokenizer;
  let ours: ByteLevelBpe;
  let trainMs = 0;

  beforeAll(() => {
    const t0 = Date.now();
    tokenizerJson = trainBpeTokenizer({ texts: [train], vocabSize: 1000 });
    trainMs = Date.now() - t0;
    library = new Tokenizer(tokenizerJson, tokenizerConfigJson());
    ours = new ByteLevelBpe(tokenizerJson);
  });

  it('uses the GPT-2 byte table', () => {
    expect(BYTE_TO_UNICODE[32]).toBe('Ġ');
    expect(BYTE_TO_UNICODE[10]).toBe('Ċ');
    expect(BYTE_TO_UNICODE[0]).toBe('Ā');
    expect(BYTE_ORDER[0]).toBe(33);
    expect(new Set(BYTE_TO_UNICODE).size).toBe(256);
  });

  it('reaches the requested vocab size with special tokens last', () => {
    expect(tokenizerVocabSize(tokenizerJson)).toBe(1000);
    expect(tokenizerJson.model.merges).toHaveLength(1000 - 256 - 2);
    expect(specialTokenId(tokenizerJson, END_OF_TEXT)).toBe(998);
    expect(specialTokenId(tokenizerJson, PAD_TOKEN)).toBe(999);
    expect(tokenizerJson.added_tokens.every((t) => t.special)).toBe(true);
    expect(typeof tokenizerJson.model.merges[0]).toBe('string');
    const ids = Object.values(tokenizerJson.model.vocab).sort((a, b) => a - b);
    expect(ids).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(library.token_to_id(END_OF_TEXT)).toBe(998);
    expect(trainMs).toBeLessThan(10_000);
  });

  it('is deterministic', () => {
    expect(JSON.stringify(trainBpeTokenizer({ texts: [train.slice(0, 50_000)], vocabSize: 400 }))).toBe(
      JSON.stringify(trainBpeTokenizer({ texts: [train.slice(0, 50_000)], vocabSize: 400 })),
    );
  });

  it('learns the expected merges on a hand-checked corpus', () => {
    // words: "ab" ×1, "Ġab" ×2, "Ġcd" ×1 → (a,b)=3 first, then (Ġ,ab)=2; the rest occur once.
    const tok = trainBpeTokenizer({ texts: ['ab ab ab cd'], vocabSize: 10_000 });
    expect(tok.model.merges).toEqual(['a b', 'Ġ ab']);
    expect(tokenizerVocabSize(tok)).toBe(256 + 2 + 2);
  });

  it('incremental pair counting equals recounting from scratch every step', () => {
    const counts = countPreTokens([train.slice(0, 20_000)], [END_OF_TEXT, PAD_TOKEN]);
    const fast = learnMerges(counts, 256 + 200);
    // Naive trainer with the same tie-break (highest count, then smallest (left id, right id)).
    const tokens = BYTE_ORDER.map((b) => BYTE_TO_UNICODE[b]);
    const idOf = new Map(tokens.map((t, i) => [t, i]));
    let words = [...counts].map(([w, c]) => ({ syms: Array.from(w, (ch) => idOf.get(ch) as number), c }));
    const merges: string[] = [];
    while (tokens.length < 256 + 200) {
      const pc = new Map<string, number>();
      for (const { syms, c } of words) for (let i = 0; i + 1 < syms.length; i++) pc.set(`${syms[i]},${syms[i + 1]}`, (pc.get(`${syms[i]},${syms[i + 1]}`) ?? 0) + c);
      let best: [number, number] | null = null;
      let bestCount = 0;
      for (const [k, c] of pc) {
        const [a, b] = k.split(',').map(Number);
        if (c > bestCount || (c === bestCount && best !== null && (a < best[0] || (a === best[0] && b < best[1])))) {
          best = [a, b];
          bestCount = c;
        }
      }
      if (best === null || bestCount < 2) break;
      const [a, b] = best;
      const merged = tokens[a] + tokens[b];
      if (!idOf.has(merged)) {
        idOf.set(merged, tokens.length);
        tokens.push(merged);
      }
      const id = idOf.get(merged) as number;
      merges.push(`${tokens[a]} ${tokens[b]}`);
      words = words.map(({ syms, c }) => {
        const next: number[] = [];
        for (let i = 0; i < syms.length; i++) {
          if (i + 1 < syms.length && syms[i] === a && syms[i + 1] === b) {
            next.push(id);
            i++;
          } else next.push(syms[i]);
        }
        return { syms: next, c };
      });
    }
    expect(fast.merges.map(([l, r]) => `${l} ${r}`)).toEqual(merges);
    expect(fast.tokens).toEqual(tokens);
  });

  it('@huggingface/tokenizers encodes exactly like the reference encoder and round-trips any text', () => {
    const rand = mulberry(42);
    const texts = [
      ...tricky,
      ...heldOut.match(/[\s\S]{1,2000}/g)!,
      ...Array.from({ length: 200 }, () => randomUnicode(rand, 1 + Math.floor(rand() * 60))),
      ...Array.from({ length: 200 }, () => randomBytesText(rand, 1 + Math.floor(rand() * 80))),
    ];
    let checked = 0;
    for (const text of texts) {
      const expected = ours.encode(text);
      const got = library.encode(text).ids;
      expect({ text, ids: got }).toEqual({ text, ids: expected });
      expect(ours.decode(expected)).toBe(text);
      if (expected.length > 0) expect(library.decode(got)).toBe(text);
      else expect(text).toBe('');
      checked++;
    }
    expect(checked).toBe(texts.length);
    // The tokenizer actually compresses held-out English (merges are used, not just bytes).
    expect(ours.encode(heldOut).length).toBeLessThan(0.5 * new TextEncoder().encode(heldOut).length);
  });

  it('writes a tokenizer directory that loads back identically', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'forge-tok-'));
    try {
      const files = await writeTokenizerDir(tokenizerJson, dir, { modelMaxLength: 128 });
      expect(files.map((f) => path.basename(f)).sort()).toEqual(['tokenizer.json', 'tokenizer_config.json']);
      const json = JSON.parse(await readFile(path.join(dir, 'tokenizer.json'), 'utf8'));
      const config = JSON.parse(await readFile(path.join(dir, 'tokenizer_config.json'), 'utf8'));
      expect(config).toMatchObject({ eos_token: END_OF_TEXT, bos_token: END_OF_TEXT, pad_token: PAD_TOKEN, model_max_length: 128 });
      const loaded = new Tokenizer(json, config);
      const sample = heldOut.slice(0, 5000);
      expect(loaded.encode(sample).ids).toEqual(ours.encode(sample));
      expect(loaded.decode(loaded.encode(sample).ids)).toBe(sample);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
