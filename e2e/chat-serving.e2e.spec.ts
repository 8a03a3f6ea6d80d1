import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GenerateResponse } from '@assay/contracts';
import { DecoderConfig, exportDecoder, randomDecoderWeights, TokenizerJson } from '@assay/forge';
import { PlatformHarness } from '@assay/testing';
import { asciiTokenizerJson } from '../shared/runtime/test/ascii-tokenizer';
import { GenerationModule } from '../services/generation/src/generation.module';

/**
 * A platform team's Llama-family export (transformers.js layout, with an int8 variant) pushed to the registry
 * and served by the generation service: chat `messages` rendered with the model's template, and the weight
 * variant chosen per request.
 */
function chatTokenizer(): TokenizerJson {
  const base = asciiTokenizerJson();
  const special = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  return { ...base, added_tokens: [...base.added_tokens, special(105, '<|im_start|>'), special(106, '<|im_end|>')] };
}

describe('generation service: chat messages and weight variants', () => {
  const harness = new PlatformHarness('chat-serving');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'assay-chat-serving-'));

  beforeAll(async () => {
    await harness.start();
    const config: DecoderConfig = { family: 'llama', vocabSize: 107, hiddenSize: 32, intermediateSize: 64, layers: 2, heads: 4, kvHeads: 2, maxPositions: 128, bosTokenId: 0, eosTokenId: [0, 106] };
    await exportDecoder(randomDecoderWeights(config, 3, { std: 0.3 }), config, dir, { tokenizer: chatTokenizer(), layout: 'transformers.js', variants: ['quantized'], merged: true });
    await harness.registry.push(dir, { name: 'chatty', version: '1', provenance: { kind: 'uploaded' } });
    await harness.startService(GenerationModule, 'generation');
  }, 120_000);
  afterAll(async () => {
    await harness.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('renders messages with the chat template and generates from them; a repeated prompt gives independent samples', async () => {
    const messages = [{ role: 'user', content: 'the cat?' }];
    const chat = await harness.rpc.request<GenerateResponse>('assay.generation.generate', { model: 'chatty', messages, maxNewTokens: 8, seed: 4 });
    expect(chat.renderedPrompts).toEqual(['<|im_start|>user\nthe cat?<|im_end|>\n<|im_start|>assistant\n']);
    const plain = await harness.rpc.request<GenerateResponse>('assay.generation.generate', { model: 'chatty', prompts: chat.renderedPrompts, maxNewTokens: 8, seed: 4 });
    // A prompt string gets BOS prepended; the rendered conversation does not (its template writes its own tokens).
    expect(plain.completions[0].tokens.length).toBeGreaterThan(0);
    const batch = await harness.rpc.request<GenerateResponse>('assay.generation.generate', { model: 'chatty', messages: [messages, messages, messages], maxNewTokens: 8, seed: 4 });
    expect(batch.completions.map((c) => c.promptIndex)).toEqual([0, 1, 2]);
    expect(batch.completions[0].tokens.map((t) => t.id)).toEqual(chat.completions[0].tokens.map((t) => t.id));
    expect(new Set(batch.completions.map((c) => c.tokens.map((t) => t.id).join())).size).toBeGreaterThan(1);
  });

  it('returns one end-of-turn state per completion on request, the tokens unchanged; an end-of-turn token that is not one token is refused', async () => {
    const request = { model: 'chatty', messages: [{ role: 'user', content: 'the sea?' }], n: 4, maxNewTokens: 10, seed: 6 };
    const plain = await harness.rpc.request<GenerateResponse>('assay.generation.generate', request);
    const closed = await harness.rpc.request<GenerateResponse>('assay.generation.generate', { ...request, endOfTurnToken: '<|im_end|>' });
    closed.completions.forEach((c, i) => {
      expect(c.tokens.map((t) => t.id)).toEqual(plain.completions[i].tokens.map((t) => t.id));
      expect(c.endOfTurnState).toHaveLength(32);
      expect(c.endOfTurnState!.every(Number.isFinite)).toBe(true);
      expect(c.hiddenStates).toBeUndefined();
      expect(plain.completions[i].endOfTurnState).toBeUndefined();
    });
    const refused = await harness.rpc.request('assay.generation.generate', { ...request, endOfTurnToken: 'the sea' }).catch((e: { code: string }) => e);
    expect(refused).toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('serves the requested weight variant, and refuses prompts with messages over HTTP', async () => {
    const request = { model: 'chatty', prompts: ['on the mat'], maxNewTokens: 6, temperature: 0 };
    const fp32 = await harness.rpc.request<GenerateResponse>('assay.generation.generate', request);
    const q8 = await harness.rpc.request<GenerateResponse>('assay.generation.generate', { ...request, variant: 'quantized' });
    expect(q8.completions[0].tokens).toHaveLength(fp32.completions[0].tokens.length);
    const diffs = q8.completions[0].tokens.map((t, i) => Math.abs(t.logprob - fp32.completions[0].tokens[i].logprob));
    expect(Math.max(...diffs)).toBeGreaterThan(0); // a different graph ran
    const url = await harness.url('generation');
    const both = await fetch(`${url}/v1/generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'test-key' },
      body: JSON.stringify({ model: 'chatty', prompts: ['x'], messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(both.status).toBe(400);
    expect(await both.json()).toMatchObject({ code: 'BAD_REQUEST' });
    const missing = await harness.rpc.request('assay.generation.generate', { ...request, variant: 'fp16' }).catch((e: Error) => e);
    expect((missing as Error).message).toMatch(/fp16 variant/);
  });
});
