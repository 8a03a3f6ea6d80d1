/**
 * Rectified decoding throughput (issue 12): the same L (a forged random-weight GPT, 4 layers, dim 256, ~2k
 * vocabulary: the runtime bench's model) generates 64 new tokens for a batch of 8 prompts, plain and rectified
 * (a Q head of hidden width 128 on L's final hidden states, ε = 0.1, relative caps), alternating rounds in one
 * process through the same engine, so load affects both alike. Rectification costs the Q head's matrix–vector
 * product (D·H + H·V per row per step), the float64 softmax and the water-filling; the forward pass with its KV
 * cache is shared. EOS does not stop generation, so every row makes exactly 64 tokens.
 *
 * Prints {"rectified_tokens_per_s", "plain_tokens_per_s", "rectified_vs_plain"} (+ details) last.
 * Flags: --rounds N (default 7), --batch N (default 8), --tokens N (default 64), --hidden N (default 128).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalEngine, RectifyOptions } from '@assay/runtime';
import { initQHead, qHeadLayout, Rng } from '@assay/stats';
import { forgeModels, SHAKESPEARE } from './runtime-bench-support';

function flag(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const log = (message: string) => console.error(`[rectifier bench] ${message}`);

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const rounds = flag(args, 'rounds', 7);
  const batch = flag(args, 'batch', 8);
  const tokens = flag(args, 'tokens', 64);
  const hidden = flag(args, 'hidden', 128);
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'assay-rectifier-bench-'));
  const engine = new LocalEngine({ config: { executor: { workers: 1 }, session: { intraOpNumThreads: 1 } }, logger: { info: () => undefined, warn: () => undefined } });
  try {
    const { kv } = await forgeModels(workDir);
    const info = await engine.loadModel('l', kv);
    const layout = qHeadLayout({ inDim: info.hiddenSize, hidden, vocab: info.vocabSize });
    const params = initQHead(layout, new Rng(3), 0.1);
    // Spread the output biases so a realistic share of tokens is capped (Q from ≈ −0.98 to ≈ −0.02).
    const last = layout.layers[layout.layers.length - 1];
    const rng = new Rng(4);
    for (let a = 0; a < layout.vocab; a++) params[last.oB + a] = rng.next() * 8 - 4;
    const rectify: RectifyOptions = { head: { inDim: layout.inDim, hidden, vocab: layout.vocab, params }, epsilon: 0.1, mode: 'relative' };
    const lines = fs.readFileSync(SHAKESPEARE, 'utf8').split('\n').filter((l) => l.trim().length > 20);
    const prompts = Array.from({ length: batch }, (_, i) => lines[100 + i * 37]);
    const request = { model: 'l', prompts, maxNewTokens: tokens, temperature: 1, seed: 1, stopOnEos: false };
    const timeOne = async (rectified: boolean) => {
      const t = performance.now();
      const out = await engine.generate(rectified ? { ...request, rectify } : request);
      const seconds = (performance.now() - t) / 1000;
      return { seconds, tokens: out.usage.outputTokens, capped: out.completions.reduce((s, c) => s + (c.rectification?.tokensCapped ?? 0), 0) };
    };
    await timeOne(false);
    await timeOne(true);
    const plain: number[] = [];
    const rectifiedRates: number[] = [];
    let capped = 0;
    for (let r = 0; r < rounds; r++) {
      const p = await timeOne(false);
      const q = await timeOne(true);
      plain.push(p.tokens / p.seconds);
      rectifiedRates.push(q.tokens / q.seconds);
      capped = q.capped;
      log(`round ${r + 1}/${rounds}: plain ${plain[r].toFixed(1)} tok/s, rectified ${rectifiedRates[r].toFixed(1)} tok/s`);
    }
    const plainRate = median(plain);
    const rectifiedRate = median(rectifiedRates);
    return {
      rectified_tokens_per_s: Number(rectifiedRate.toFixed(2)),
      plain_tokens_per_s: Number(plainRate.toFixed(2)),
      rectified_vs_plain: Number((rectifiedRate / plainRate).toFixed(4)),
      batch,
      new_tokens: tokens,
      q_head: { hidden, vocab: layout.vocab, in_dim: layout.inDim },
      tokens_capped_per_request: capped,
      rounds,
      load: os.loadavg().map((x) => Number(x.toFixed(2))),
    };
  } finally {
    await engine.close();
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}
