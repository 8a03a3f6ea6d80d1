/**
 * `npm run bench -- certifier [--runs n] [--tokens n] [--T n]`: what certification costs, measured through the real
 * services (certifier → generation + likelihood over NATS, onnxruntime), each against a baseline in the same run.
 *
 * - batched_vs_sequential: latency of a T-draw certification in the worst case, where every draw is rejected
 *   (k = −64), batched (all T draws in one generate call, one score call) over sequential (T generate + score
 *   round trips). Both have the same output distribution (see services/certifier/README.md).
 * - batched_vs_generation: the same batched certification over one plain generation of the same length, i.e. the
 *   latency price of a certificate.
 * Lengths are equal by construction: L is a random-weight model that almost never emits EOS, so every draw runs to
 * maxNewTokens (the mean generated length is reported to show it).
 */
import { CertifyResponse, GenerateResponse } from '@assay/contracts';
import { forgeTinyModel, PlatformHarness } from '@assay/testing';
import { CertifierModule } from '../../services/certifier/src/certifier.module';
import { GenerationModule } from '../../services/generation/src/generation.module';
import { LikelihoodModule } from '../../services/likelihood/src/likelihood.module';

function flag(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  return sorted[lo] + (sorted[Math.min(lo + 1, sorted.length - 1)] - sorted[lo]) * (at - lo);
}

const round = (x: number, digits = 2) => Number(x.toFixed(digits));

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
  const harness = new PlatformHarness('bench-certifier');
  await harness.start();
  try {
    const texts = Array.from({ length: 200 }, (_, i) => `Answer ${i}: rest, fluids and a visit to the doctor if the fever lasts more than ${i % 7} days.`);
    // A guide-sized L: the point is relative latency, so both L and G are small and share a tokenizer.
    const [large, guide] = await Promise.all([
      forgeTinyModel({ texts, vocabSize: 512, layers: 2, heads: 4, dim: 128, contextLength: 256, seed: 1 }),
      forgeTinyModel({ texts, vocabSize: 512, layers: 2, heads: 4, dim: 64, contextLength: 256, seed: 2 }),
    ]);
    await harness.registry.push(large, { name: 'bench-l', version: '1', provenance: { kind: 'forged' } });
    await harness.registry.push(guide, { name: 'bench-g', version: '1', provenance: { kind: 'forged' } });
    await harness.startService(GenerationModule, 'generation');
    await harness.startService(LikelihoodModule, 'likelihood');
    await harness.startService(CertifierModule, 'certifier');

    const prompt = 'Question: what helps with a fever?\nAnswer:\n';
    const certify = (mode: 'batched' | 'sequential', seed: number) =>
      harness.rpc.request<CertifyResponse>('assay.certifier.certify', { model: 'bench-l', guide: 'bench-g', prompt, k: -64, T, mode, maxNewTokens: tokens, seed });
    const generate = (seed: number) =>
      harness.rpc.request<GenerateResponse>('assay.generation.generate', { model: 'bench-l', prompts: [prompt], n: 1, maxNewTokens: tokens, seed });

    console.error(`[certifier bench] warm-up (models load on first use) ...`);
    for (let i = 0; i < 3; i++) await Promise.all([certify('batched', 1000 + i), generate(1000 + i)]).then(() => certify('sequential', 2000 + i));

    console.error(`[certifier bench] ${runs} runs each: T = ${T}, ${tokens} tokens, always-reject k = -64 ...`);
    const order = ['batched', 'sequential', 'generation'] as const;
    const samples: Record<(typeof order)[number], number[]> = { batched: [], sequential: [], generation: [] };
    const generatedTokens: number[] = [];
    let abstained = 0;
    let draws = 0;
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
        }
      }
    }
    const median = (what: (typeof order)[number]) => quantile(samples[what], 0.5);
    const p90 = (what: (typeof order)[number]) => quantile(samples[what], 0.9);
    return {
      batched_vs_sequential: round(median('batched') / median('sequential'), 3),
      batched_vs_generation: round(median('batched') / median('generation'), 3),
      batched_ms: { median: round(median('batched')), p90: round(p90('batched')) },
      sequential_ms: { median: round(median('sequential')), p90: round(p90('sequential')) },
      generation_ms: { median: round(median('generation')), p90: round(p90('generation')) },
      T,
      max_new_tokens: tokens,
      mean_generated_tokens: round(generatedTokens.reduce((s, n) => s + n, 0) / generatedTokens.length, 1),
      runs,
      abstained_fraction: round(abstained / (2 * runs), 3),
      mean_draws_per_certification: round(draws / (2 * runs), 2),
      models: { large: 'random GPT 2×128, ctx 256, vocab 512', guide: 'random GPT 2×64, shared tokenizer' },
    };
  } finally {
    await harness.close();
  }
}
