/**
 * `npm run bench -- certifier [--runs n] [--tokens n] [--T n] [--large llama-4x256|gpt-2x128]`: what certification
 * costs, measured through the real services (certifier → generation over NATS, onnxruntime), each against a baseline
 * in the same run.
 *
 * - batched_vs_sequential: latency of a T-draw certification in the worst case, where every draw is rejected
 *   (k = −64), batched (all T draws in one generate call that also scores them under G) over sequential (T such
 *   calls). Both have the same output distribution (see services/certifier/README.md).
 * - batched_vs_generation: the same batched certification over one plain generation of the same length through the
 *   generation service (n = 1, no G), i.e. the latency price of a certificate.
 * L and G are random-weight models over one tokenizer of single ASCII characters without merges, so every draw is the
 * canonical spelling of its text and reaches G (a random L over a trained BPE vocabulary draws lone UTF-8 bytes and
 * split merges, which the certifier rejects before G is asked: that would hide G's cost). A random L emits EOS at about
 * 1/97 per step, so lengths vary alike for certification and generation (both mean lengths are reported).
 *
 * L's size. The default L is the Llama-family shape of the peers bench (4 layers, width 256, GQA), with G a 2 × 64
 * GPT: VALID pairs a large L with a small guide (8B and 184M in the paper), and the question is what T draws cost next
 * to one when L's forward pass is real work. `--large gpt-2x128` is the former 2 × 128 GPT, whose decode step is
 * mostly fixed per-call overhead (a 4-row step costs 1.3–1.5× a 1-row one there, however the certifier is built).
 * `breakdown_ms` times the parts alone: generate n = T plain and as the certifier asks for it (scored under G in the
 * same call), generate n = 1, and G's score of T draws through the likelihood service (the former separate call).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CertifyResponse, GenerateResponse, ScoreResponse } from '@assay/contracts';
import { DecoderConfig, exportDecoder, exportGptModelDir, randomDecoderWeights, randomGptWeights, TokenizerJson } from '@assay/forge';
import { PlatformHarness } from '@assay/testing';
import { CertifierModule } from '../../services/certifier/src/certifier.module';
import { GenerationModule } from '../../services/generation/src/generation.module';
import { LikelihoodModule } from '../../services/likelihood/src/likelihood.module';

export function flag(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

export function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  return sorted[lo] + (sorted[Math.min(lo + 1, sorted.length - 1)] - sorted[lo]) * (at - lo);
}

const round = (x: number, digits = 2) => Number(x.toFixed(digits));

const BYTE_LEVEL = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true } as const;

/** Byte-level BPE over printable ASCII, space (Ġ) and newline (Ċ), no merges: every token sequence is canonical. */
function asciiTokenizer(): TokenizerJson {
  const chars = ['Ġ', 'Ċ', ...Array.from({ length: 94 }, (_, i) => String.fromCharCode(33 + i))];
  const special = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(chars.length, '<|endoftext|>')],
    normalizer: null,
    pre_tokenizer: BYTE_LEVEL,
    post_processor: BYTE_LEVEL,
    decoder: BYTE_LEVEL,
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab: Object.fromEntries(chars.map((c, i) => [c, i])), merges: [] },
  };
}

export async function asciiModel(shape: { layers: number; heads: number; dim: number }, seed: number): Promise<string> {
  const tokenizer = asciiTokenizer();
  const eos = tokenizer.added_tokens[0].id;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'assay-bench-certifier-'));
  // No padding token in the vocabulary: L could sample it, and a special token mid-answer is not canonical.
  const weights = randomGptWeights({ vocabSize: eos + 1, contextLength: 256, layerNormEps: 1e-5, ...shape }, seed);
  await exportGptModelDir(weights, tokenizer, dir, { bosTokenId: eos, eosTokenId: eos, padTokenId: eos });
  return dir;
}

/** The peers bench's Llama shape (4 layers, width 256, 8 heads / 4 KV heads) over the same ASCII tokenizer. */
export async function asciiLlama(seed: number): Promise<string> {
  const tokenizer = asciiTokenizer();
  const eos = tokenizer.added_tokens[0].id;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'assay-bench-certifier-'));
  const config: DecoderConfig = { family: 'llama', vocabSize: eos + 1, hiddenSize: 256, intermediateSize: 688, layers: 4, heads: 8, kvHeads: 4, maxPositions: 256, bosTokenId: eos, eosTokenId: eos, padTokenId: eos };
  await exportDecoder(randomDecoderWeights(config, seed), config, dir, { tokenizer, hiddenStates: false, chatTemplate: null });
  return dir;
}

const LARGE = {
  'llama-4x256': { make: () => asciiLlama(1), describe: 'random Llama 4×256 (8 heads, 4 KV heads, SwiGLU 688), ctx 256, 97 tokens: single characters and EOS' },
  'gpt-2x128': { make: () => asciiModel({ layers: 2, heads: 4, dim: 128 }, 1), describe: 'random GPT 2×128, ctx 256, 97 tokens: single characters and EOS' },
} as const;

async function timed<T>(runs: number, call: (run: number) => Promise<T>): Promise<{ ms: number[]; last: T }> {
  const ms: number[] = [];
  let last!: T;
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    last = await call(run);
    ms.push(performance.now() - started);
  }
  return { ms, last };
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const runs = flag(args, 'runs', 20);
  const tokens = flag(args, 'tokens', 32);
  const T = flag(args, 'T', 4);
  const i = args.indexOf('--large');
  const largeKind = (i >= 0 ? args[i + 1] : 'llama-4x256') as keyof typeof LARGE;
  if (!(largeKind in LARGE)) throw new Error(`--large: one of ${Object.keys(LARGE).join(', ')}`);
  const harness = new PlatformHarness('bench-certifier');
  await harness.start();
  try {
    const [large, guide] = await Promise.all([LARGE[largeKind].make(), asciiModel({ layers: 2, heads: 4, dim: 64 }, 2)]);
    // One tokenizer, byte for byte (as `assay guide train --tokenizer <L>` makes it): G rescores L's own ids.
    fs.copyFileSync(path.join(large, 'tokenizer.json'), path.join(guide, 'tokenizer.json'));
    await harness.registry.push(large, { name: 'bench-l', version: '1', provenance: { kind: 'forged' } });
    await harness.registry.push(guide, { name: 'bench-g', version: '1', provenance: { kind: 'forged' } });
    await harness.startService(GenerationModule, 'generation');
    await harness.startService(LikelihoodModule, 'likelihood');
    await harness.startService(CertifierModule, 'certifier');

    const prompt = 'Question: what helps with a fever?\nAnswer:\n';
    const certify = (mode: 'batched' | 'sequential', seed: number) =>
      harness.rpc.request<CertifyResponse>('assay.certifier.certify', { model: 'bench-l', guide: 'bench-g', prompt, k: -64, T, mode, maxNewTokens: tokens, seed });
    const generate = (seed: number, n = 1, scoreWith?: string) =>
      harness.rpc.request<GenerateResponse>('assay.generation.generate', { model: 'bench-l', prompts: [prompt], n, maxNewTokens: tokens, seed, ...(scoreWith ? { scoreWith } : {}) });
    const scoreDraws = (completions: GenerateResponse['completions']) =>
      harness.rpc.request<ScoreResponse>('assay.likelihood.score', {
        // As the certifier sends it: the guide's resolved version (no registry lookup in the likelihood service).
        model: 'bench-g@1',
        items: completions.map((c) => ({ context: '', continuationIds: (c.finishReason === 'eos' ? c.tokens.slice(0, -1) : c.tokens).map((t) => t.id) })).filter((i) => i.continuationIds.length > 0),
      });

    console.error(`[certifier bench] warm-up (models load on first use) ...`);
    for (let i = 0; i < 3; i++) await Promise.all([certify('batched', 1000 + i), generate(1000 + i)]).then(() => certify('sequential', 2000 + i));

    console.error(`[certifier bench] ${runs} runs each: T = ${T}, ${tokens} tokens, always-reject k = -64 ...`);
    const order = ['batched', 'sequential', 'generation'] as const;
    const samples: Record<(typeof order)[number], number[]> = { batched: [], sequential: [], generation: [] };
    const parts: Record<'generateT' | 'generateTScored' | 'generate1' | 'scoreT', number[]> = { generateT: [], generateTScored: [], generate1: [], scoreT: [] };
    const generatedTokens: number[] = [];
    const certifiedTokens: number[] = [];
    let abstained = 0;
    let draws = 0;
    let scoredByGuide = 0;
    // Interleaved, so that load from other processes falls on all three alike.
    for (let run = 0; run < runs; run++) {
      for (const what of order) {
        const seed = 10_000 + run;
        const { ms, last } = await timed(1, async () => (what === 'generation' ? generate(seed) : certify(what, seed)));
        samples[what].push(ms[0]);
        if (what === 'generation') generatedTokens.push((last as GenerateResponse).completions[0].tokens.length);
        else {
          const response = last as CertifyResponse;
          if (response.status === 'abstained') abstained++;
          draws += response.attempts.length;
          scoredByGuide += response.attempts.filter((a) => a.log2G !== null).length;
          if (what === 'batched') certifiedTokens.push(...response.attempts.map((a) => a.nTokens));
        }
      }
      const seed = 20_000 + run;
      const started = performance.now();
      const drawn = await generate(seed, T);
      parts.generateT.push(performance.now() - started);
      parts.scoreT.push((await timed(1, () => scoreDraws(drawn.completions))).ms[0]);
      parts.generateTScored.push((await timed(1, () => generate(seed, T, 'bench-g'))).ms[0]);
      parts.generate1.push((await timed(1, () => generate(seed))).ms[0]);
    }
    const part = (what: keyof typeof parts) => round(quantile(parts[what], 0.5));
    const median = (what: (typeof order)[number]) => quantile(samples[what], 0.5);
    const p90 = (what: (typeof order)[number]) => quantile(samples[what], 0.9);
    return {
      batched_vs_sequential: round(median('batched') / median('sequential'), 3),
      batched_vs_generation: round(median('batched') / median('generation'), 3),
      // The same ratio per run (a certification and the plain generation of the same run, seconds apart), its median:
      // less moved by load that drifts over the run on a shared machine.
      batched_vs_generation_paired_median: round(quantile(samples.batched.map((b, run) => b / samples.generation[run]), 0.5), 3),
      batched_ms: { median: round(median('batched')), p90: round(p90('batched')) },
      sequential_ms: { median: round(median('sequential')), p90: round(p90('sequential')) },
      generation_ms: { median: round(median('generation')), p90: round(p90('generation')) },
      T,
      max_new_tokens: tokens,
      mean_generated_tokens: round(generatedTokens.reduce((s, n) => s + n, 0) / generatedTokens.length, 1),
      mean_certified_draw_tokens: round(certifiedTokens.reduce((s, n) => s + n, 0) / certifiedTokens.length, 1),
      breakdown_ms: { generate_n_T: part('generateT'), generate_n_T_scored_by_guide: part('generateTScored'), generate_n_1: part('generate1'), guide_score_T_via_likelihood: part('scoreT') },
      runs,
      abstained_fraction: round(abstained / (2 * runs), 3),
      mean_draws_per_certification: round(draws / (2 * runs), 2),
      draws_scored_by_guide: round(scoredByGuide / draws, 3),
      models: { large: LARGE[largeKind].describe, guide: 'random GPT 2×64, same tokenizer.json' },
    };
  } finally {
    await harness.close();
  }
}
