/**
 * Assay's generation service against the peer a Node user would pick: transformers.js 4.3.1 (same
 * onnxruntime-node) behind the minimal HTTP server in peers-transformersjs-server.ts, on the same model
 * directory (a forged random-weight Llama-family model in the transformers.js layout: 4 layers, width 256,
 * grouped-query attention, ~2k vocabulary). Greedy decoding, the same intra-op threads, both over HTTP;
 * tokens/s counts generated tokens.
 *
 * - b1: one request of one prompt (96 new tokens).
 * - b8: one request of 8 prompts of different lengths (64 new tokens each), batched by each side.
 * - concurrent16: 16 clients, each sending 3 requests back to back with mixed lengths (8–128 new tokens).
 *
 * Each figure is the median over rounds of Assay / transformers.js measured back to back (order
 * alternating: load on the shared machine drifts, so neighbours are compared); b1 and b8 run 4× and 2× as
 * many (short) rounds as concurrent16. The details add each side's tokens per CPU second over all rounds
 * (server and client), which the machine's load moves much less than wall-clock rates.
 *
 * Flags: --threads N (intra-op threads, both; default 1), --rounds N (default 5).
 */
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { GenerateResponse } from '@assay/contracts';
import { DecoderConfig, END_OF_TEXT, exportDecoder, PAD_TOKEN, randomDecoderWeights, specialTokenId, tokenizerVocabSize, trainBpeTokenizer } from '@assay/forge';
import type { PlatformHarness } from '@assay/testing';
import { GenerationModule } from '../../services/generation/src/generation.module';
import { privateNats, SHAKESPEARE } from './runtime-bench-support';

const log = (message: string) => console.error(`[peers bench] ${message}`);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const now = () => performance.now();

/** CPU milliseconds a child process has used (Linux /proc, 10 ms ticks), or undefined elsewhere. */
function childCpuMs(pid: number | undefined): number | undefined {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * (1000 / 100);
  } catch {
    return undefined;
  }
}
const ownCpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

function flag(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

/** One HTTP generation request: prompts and new tokens each; resolves with the tokens generated. */
type Generate = (prompts: string[], maxNewTokens: number) => Promise<number>;

async function forgeModel(dir: string): Promise<void> {
  const text = fs.readFileSync(SHAKESPEARE, 'utf8').slice(0, 200_000);
  const tokenizer = trainBpeTokenizer({ texts: text.split('\n\n'), vocabSize: 2048 });
  const eos = specialTokenId(tokenizer, END_OF_TEXT);
  const config: DecoderConfig = {
    family: 'llama',
    vocabSize: tokenizerVocabSize(tokenizer),
    hiddenSize: 256,
    intermediateSize: 688,
    layers: 4,
    heads: 8,
    kvHeads: 4,
    maxPositions: 512,
    bosTokenId: eos,
    eosTokenId: eos,
    padTokenId: specialTokenId(tokenizer, PAD_TOKEN),
  };
  await exportDecoder(randomDecoderWeights(config, 1), config, dir, { tokenizer, layout: 'transformers.js', hiddenStates: false });
}

async function startPeer(dir: string, threads: number): Promise<{ generate: Generate; child: ChildProcess }> {
  const server = path.join(__dirname, 'peers-transformersjs-server.ts');
  const child = spawn(process.execPath, ['-r', require.resolve('@swc-node/register'), server, dir, String(threads)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`transformers.js server exited with ${code}`)));
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = /^listening (\d+)$/.exec(line);
      if (match) resolve(Number(match[1]));
    });
  });
  const generate: Generate = async (prompts, maxNewTokens) => {
    const res = await fetch(`http://127.0.0.1:${port}/generate`, { method: 'POST', body: JSON.stringify({ prompts, max_new_tokens: maxNewTokens }) });
    const body = (await res.json()) as { generated?: number[]; error?: string };
    if (!body.generated) throw new Error(`transformers.js server: ${body.error}`);
    return body.generated.reduce((a, b) => a + b, 0);
  };
  return { generate, child };
}

function assayClient(url: string): Generate {
  return async (prompts, maxNewTokens) => {
    const res = await fetch(`${url}/v1/generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'test-key' },
      body: JSON.stringify({ model: 'peer', prompts, maxNewTokens, temperature: 0, stopOnEos: false }),
    });
    if (res.status !== 200) throw new Error(`assay: ${res.status} ${await res.text()}`);
    return ((await res.json()) as GenerateResponse).usage.outputTokens;
  };
}

interface Scenario {
  name: 'b1' | 'b8' | 'concurrent16';
  /** Paired rounds per `--rounds` unit: short workloads get more, finer-grained pairs. */
  roundsPerUnit: number;
  /** Runs the workload once through `generate`; resolves with the tokens generated. */
  run(generate: Generate): Promise<number>;
}

function scenarios(words: string[]): Scenario[] {
  const prompt = (i: number, length: number) => words.slice((i * 131) % 5000, ((i * 131) % 5000) + length).join(' ');
  const clientLengths = [8, 128, 24, 64, 16, 96, 32, 48];
  return [
    { name: 'b1', roundsPerUnit: 4, run: (generate) => generate([prompt(1, 16)], 96) },
    { name: 'b8', roundsPerUnit: 2, run: (generate) => generate(Array.from({ length: 8 }, (_, i) => prompt(10 + i, 6 + 3 * i)), 64) },
    {
      name: 'concurrent16',
      roundsPerUnit: 1,
      run: async (generate) => {
        const counts = await Promise.all(
          Array.from({ length: 16 }, async (_, client) => {
            let tokens = 0;
            for (let r = 0; r < 3; r++) tokens += await generate([prompt(100 + client * 3 + r, 5 + ((client + r) % 6) * 5)], clientLengths[(client + 3 * r) % clientLengths.length]);
            return tokens;
          }),
        );
        return counts.reduce((a, b) => a + b, 0);
      },
    },
  ];
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const threads = flag(args, 'threads', 1);
  const rounds = flag(args, 'rounds', 5);
  process.env.TEST_LOG_LEVEL = 'silent';
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'assay-bench-peers-'));
  const modelDir = path.join(workDir, 'model');
  const nats = await privateNats(path.join(workDir, 'nats'));
  if (nats) process.env.NATS_URL = nats.url;
  const { PlatformHarness: Harness } = await import('@assay/testing');
  const harness: PlatformHarness = await new Harness('bench-peers').start();
  let peer: Awaited<ReturnType<typeof startPeer>> | undefined;
  try {
    log('forging a Llama-family model (4 layers, width 256, 8 heads / 4 KV heads, ~2k vocabulary) in the transformers.js layout ...');
    await forgeModel(modelDir);
    await harness.registry.push(modelDir, { name: 'peer', version: '1', provenance: { kind: 'forged' } });
    Object.assign(process.env, { ASSAY_RUNTIME_INTRA_OP_THREADS: String(threads), ASSAY_RUNTIME_WORKERS: '1', ASSAY_MAX_BATCH: '64' });
    await harness.startService(GenerationModule, 'generation');
    const assay = assayClient(await harness.url('generation'));
    peer = await startPeer(modelDir, threads);
    const words = fs.readFileSync(SHAKESPEARE, 'utf8').split(/\s+/).filter(Boolean);
    // Warm up both (model load, first-run allocations).
    await assay(['ROMEO:'], 8);
    await peer.generate(['ROMEO:'], 8);

    const result: Record<string, unknown> = {};
    const details: Record<string, unknown> = {};
    for (const scenario of scenarios(words)) {
      const ratios: number[] = [];
      const rates = { assay: [] as number[], transformersjs: [] as number[] };
      // CPU per side over all rounds: Assay's service runs in this process (with both sides' clients); the peer's
      // is its own process plus this process's share while it runs (its client).
      const cpu = { assay: { ms: 0, tokens: 0 }, transformersjs: { ms: 0, tokens: 0 } };
      let cpuKnown = true;
      for (let round = 0; round < rounds * scenario.roundsPerUnit; round++) {
        const sides = [
          ['assay', assay],
          ['transformersjs', peer.generate],
        ] as const;
        const measured: Record<string, number> = {};
        for (const [side, generate] of round % 2 === 0 ? sides : [...sides].reverse()) {
          const started = now();
          const cpuBefore = ownCpuMs() + (side === 'transformersjs' ? (childCpuMs(peer.child.pid) ?? NaN) : 0);
          const tokens = await scenario.run(generate);
          measured[side] = tokens / ((now() - started) / 1000);
          const cpuMs = ownCpuMs() + (side === 'transformersjs' ? (childCpuMs(peer.child.pid) ?? NaN) : 0) - cpuBefore;
          cpuKnown &&= Number.isFinite(cpuMs);
          cpu[side].ms += cpuMs;
          cpu[side].tokens += tokens;
          rates[side].push(measured[side]);
        }
        ratios.push(measured.assay / measured.transformersjs);
        log(`${scenario.name} round ${round + 1}: assay ${measured.assay.toFixed(0)} tok/s, transformers.js ${measured.transformersjs.toFixed(0)} tok/s`);
      }
      result[`${scenario.name}_vs_transformersjs`] = Number(median(ratios).toFixed(3));
      details[scenario.name] = {
        assay_tokens_per_s: Math.round(median(rates.assay)),
        transformersjs_tokens_per_s: Math.round(median(rates.transformersjs)),
        ratio_range: [Number(Math.min(...ratios).toFixed(3)), Number(Math.max(...ratios).toFixed(3))],
        // Load-robust companion of the wall-clock ratio (the shared machine's load swings it): tokens per CPU second.
        ...(cpuKnown
          ? {
              assay_tokens_per_cpu_s: Math.round(cpu.assay.tokens / (cpu.assay.ms / 1000)),
              transformersjs_tokens_per_cpu_s: Math.round(cpu.transformersjs.tokens / (cpu.transformersjs.ms / 1000)),
              cpu_ratio: Number((cpu.assay.tokens / cpu.assay.ms / (cpu.transformersjs.tokens / cpu.transformersjs.ms)).toFixed(3)),
            }
          : {}),
      };
    }
    return { ...result, ...details, threads, rounds, load_average: os.loadavg().map((l) => Number(l.toFixed(2))) };
  } finally {
    peer?.child.kill();
    await harness.close();
    nats?.process.kill();
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}
