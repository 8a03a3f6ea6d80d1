import fs from 'node:fs';
import path from 'node:path';
import { CertifyResponse, Completion, ScoreResponse } from '@assay/contracts';
import { TextTokenizer } from '@assay/runtime';
import { forgeTinyModel, PlatformHarness } from '@assay/testing';
import { CertifierModule } from '../services/certifier/src/certifier.module';
import { Draw, judgeDraws, prepareDraw, scoreDraw } from '../services/certifier/src/certify-attempts';
import { GenerationModule } from '../services/generation/src/generation.module';
import { LikelihoodModule } from '../services/likelihood/src/likelihood.module';

const SHAKESPEARE = path.resolve(__dirname, '../../shared/data/tinyshakespeare/input.txt');
const REPLACEMENT = '\uFFFD';
const T = 4;
const K = 0;
const CALLS = 200;

/**
 * The outside measurement of issue 15 item 0, reproduced: forged L and G sharing a 1,024-token byte-level BPE
 * tokenizer, 1-token answers, T = 4. About an eighth of the vocabulary is lone UTF-8 bytes that all decode to U+FFFD,
 * so without the round-trip rule the text "\uFFFD" was emitted far more often than any certificate attached to it.
 * With 1-token answers, M(text|x) is computed exactly from L's and G's scores of every token (likelihood service),
 * with the certifier's own judge (with the rule, and with it switched off as before); and CALLS real certify calls
 * check that the fragment text is never returned.
 */
describe('certificates hold for the text: 1-token answers on a 1,024-token tokenizer', () => {
  const harness = new PlatformHarness('certify-text');
  const prompt = 'KING RICHARD:';
  let tokenizer: TextTokenizer;
  let eos: number;

  beforeAll(async () => {
    await harness.start();
    const texts = fs.readFileSync(SHAKESPEARE, 'utf8').slice(0, 60_000).split('\n\n');
    const [large, guide] = await Promise.all([forgeTinyModel({ texts, vocabSize: 1024, seed: 21 }), forgeTinyModel({ texts, vocabSize: 1024, seed: 22 })]);
    tokenizer = TextTokenizer.fromJson(JSON.parse(fs.readFileSync(path.join(large, 'tokenizer.json'), 'utf8')));
    eos = JSON.parse(fs.readFileSync(path.join(large, 'config.json'), 'utf8')).eos_token_id;
    await harness.registry.push(large, { name: 'text-l', version: '1', provenance: { kind: 'forged' } });
    await harness.registry.push(guide, { name: 'text-g', version: '1', provenance: { kind: 'forged' } });
    await harness.startService(GenerationModule, 'generation');
    await harness.startService(LikelihoodModule, 'likelihood');
    await harness.startService(CertifierModule, 'certifier');
  }, 180_000);
  afterAll(() => harness.close());

  /** ln p of every single-token continuation of `context` under `model`, in id order. */
  async function singleTokenLogprobs(model: string, context: string, vocab: number): Promise<number[]> {
    const out: number[] = [];
    for (let from = 0; from < vocab; from += 64) {
      const items = Array.from({ length: Math.min(64, vocab - from) }, (_, i) => ({ context, continuationIds: [from + i] }));
      const reply = await harness.rpc.request<ScoreResponse>('assay.likelihood.score', { model, items });
      out.push(...reply.results.map((r) => r.sumLogprob));
    }
    return out;
  }

  it('M(text|x) ≤ ε_text exactly, and the U+FFFD fragment text is never returned (before: far above its ε)', async () => {
    const vocab = tokenizer.size;
    const [lnL, lnG] = await Promise.all([singleTokenLogprobs('text-l', prompt, vocab), singleTokenLogprobs('text-g', '', vocab)]);
    const guide = { encode: (t: string) => tokenizer.encode(t), contextLength: 128 };
    const figures = { after: exactTextLaw(true), before: exactTextLaw(false) };

    /** The exact law of VALID's output text at (K, T), with the certifier's judge, round-trip rule on or off. */
    function exactTextLaw(roundTrip: boolean) {
      const rows = lnL.map((lp, id) => {
        const completion: Completion = { promptIndex: 0, sampleIndex: 0, text: id === eos ? '' : tokenizer.decode([id]), tokens: [{ id, text: '', logprob: lp, samplingLogprob: lp }], finishReason: id === eos ? 'eos' : 'length' };
        const prepared = roundTrip
          ? prepareDraw(completion, tokenizer, guide, true)
          : completion.text
            ? { completion, ids: [id], guideIds: [id], log2L: lp / Math.LN2 }
            : prepareDraw(completion, tokenizer, guide, true);
        const draw: Draw = scoreDraw(prepared, prepared.rejection === undefined ? { sumLogprob: lnG[id], tokens: [{ logprob: lnG[id] }] } : undefined, true);
        const { chosen } = judgeDraws([draw], K, T);
        return { text: completion.text, p: Math.exp(lp), accepted: chosen !== null, log2Epsilon: chosen?.log2Epsilon ?? -Infinity };
      });
      const a = rows.reduce((s, r) => s + (r.accepted ? r.p : 0), 0);
      const factor = a > 0 ? (1 - (1 - a) ** T) / a : 0;
      const byText = new Map<string, { m: number; log2Epsilon: number; spellings: number }>();
      for (const r of rows.filter((r) => r.accepted)) {
        const g = byText.get(r.text) ?? { m: 0, log2Epsilon: -Infinity, spellings: 0 };
        byText.set(r.text, { m: g.m + r.p * factor, log2Epsilon: Math.max(g.log2Epsilon, r.log2Epsilon), spellings: g.spellings + 1 });
      }
      const fragment = byText.get(REPLACEMENT);
      const worst = Math.max(...[...byText.values()].map((g) => Math.log2(g.m) - g.log2Epsilon));
      return {
        fragmentTokens: rows.filter((r) => r.text === REPLACEMENT).length,
        fragmentM: fragment?.m ?? 0,
        fragmentEpsilon: fragment ? 2 ** fragment.log2Epsilon : null,
        fragmentAcceptedSpellings: fragment?.spellings ?? 0,
        worstLog2MOverEpsilon: worst,
      };
    }

    let fragments = 0;
    let accepted = 0;
    for (let seed = 0; seed < CALLS; seed++) {
      const response = await harness.rpc.request<CertifyResponse>('assay.certifier.certify', { model: 'text-l', guide: 'text-g', prompt, k: K, T, maxNewTokens: 1, seed });
      if (response.status === 'accepted') accepted++;
      if (response.text === REPLACEMENT) fragments++;
    }
    console.log(JSON.stringify({ measurement: 'issue 15 item 0', k: K, T, vocab, calls: CALLS, accepted, fragmentTextReturned: fragments, exact: figures }));

    expect(figures.before.fragmentTokens).toBeGreaterThan(50);
    expect(figures.before.worstLog2MOverEpsilon).toBeGreaterThan(1); // the control: without the rule, more than 2× over ε
    expect(figures.after.fragmentAcceptedSpellings).toBe(0);
    expect(figures.after.worstLog2MOverEpsilon).toBeLessThanOrEqual(1e-9);
    expect(accepted).toBeGreaterThan(0);
    expect(fragments).toBe(0);
  }, 120_000);
});
