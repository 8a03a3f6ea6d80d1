import { AssayBlock, CertifyResponse, REFUSAL_TEXT } from '@assay/contracts';
import { installInMemoryTracing, withSpan } from '@assay/telemetry';
import { forgeTinyModel, PlatformHarness } from '@assay/testing';
import { CertifierModule } from '../services/certifier/src/certifier.module';
import { GatewayModule } from '../services/gateway/src/gateway.module';
import { GenerationModule } from '../services/generation/src/generation.module';
import { LikelihoodModule } from '../services/likelihood/src/likelihood.module';

const TEXTS = ['the patient should rest and drink fluids', 'take the tablet twice a day with food', 'see a doctor if the fever persists'];

// G's score of the draws is made in the generation service's call (`score guide@1`, a child of its span there); the
// likelihood service only scores what that call could not (two tokenizers, rectified draws).
describe('one certification is one trace across the services', () => {
  const tracing = installInMemoryTracing();
  const harness = new PlatformHarness('tracing');

  beforeAll(async () => {
    await harness.start();
    const large = await forgeTinyModel({ texts: TEXTS, vocabSize: 300, seed: 1 });
    const guide = await forgeTinyModel({ texts: TEXTS, vocabSize: 300, seed: 2 });
    await harness.registry.push(large, { name: 'large', version: '1', provenance: { kind: 'forged' } });
    await harness.registry.push(guide, { name: 'guide', version: '1', provenance: { kind: 'forged' } });
    await harness.startService(GenerationModule, 'generation');
    await harness.startService(LikelihoodModule, 'likelihood');
    await harness.startService(CertifierModule, 'certifier');
    await harness.startService(GatewayModule, 'gateway');
    await harness.rpc.request('assay.gateway.create', { name: 'fever', model: 'large', guide: 'guide', k: 0.5, T: 3, sampling: { maxNewTokens: 1 } });
  }, 120_000);
  afterAll(async () => {
    await harness.close();
    await tracing.provider.shutdown();
  });

  it('certifier and generation spans (G scored inside the generation call) carry the caller trace id', async () => {
    tracing.exporter.reset();
    const { response, traceId } = await withSpan('caller', {}, async (span) => ({
      traceId: span.spanContext().traceId,
      // Short answers: a random-weight L rarely draws a long canonical spelling, and only canonical draws reach G.
      response: await harness.rpc.request<CertifyResponse>('assay.certifier.certify', { model: 'large', guide: 'guide', prompt: 'how do I treat a fever?', k: 0.5, T: 3, maxNewTokens: 1, seed: 11 }),
    }));
    expect(['accepted', 'abstained']).toContain(response.status);
    expect(response.attempts).toHaveLength(3);
    expect(response.attempts.some((a) => a.log2G !== null)).toBe(true);
    if (response.status === 'abstained') expect(response.text).toBe(REFUSAL_TEXT);

    await tracing.provider.forceFlush();
    const spans = tracing.exporter.getFinishedSpans();
    const inTrace = spans.filter((s) => s.spanContext().traceId === traceId);
    const names = inTrace.map((s) => s.name);
    // Consumer spans are named by the (namespaced) subject: `<namespace>.certifier.certify process`.
    for (const name of ['assay.certifier.certify send', 'certifier.certify process', 'certify', 'generation.generate process', 'text_completion large', 'score guide@1']) {
      expect([name, names.some((n) => n === name || n.endsWith(`.${name}`))]).toEqual([name, true]);
    }
    const generation = inTrace.find((s) => s.name === 'text_completion large')!;
    expect(generation.attributes['gen_ai.request.model']).toBe('large');
    expect(generation.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
    const certify = inTrace.find((s) => s.name === 'certify')!;
    expect(certify.events.map((e) => e.name)).toContain('assay.guardrail.result');
  });

  // One OpenAI request to the gateway is one trace (gateway → certifier → generation, G scored there), named by assay.traceId.
  it('the trace id in the assay block spans gateway, certifier and generation', async () => {
    tracing.exporter.reset();
    const reply = await fetch(`${await harness.url('gateway')}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer test-key' },
      body: JSON.stringify({ model: 'fever', prompt: 'how do I treat a fever?', seed: 11 }),
    });
    expect(reply.status).toBe(200);
    const { assay } = (await reply.json()) as { assay: AssayBlock };
    expect(assay.traceId).toMatch(/^[0-9a-f]{32}$/);
    await tracing.provider.forceFlush();
    const inTrace = tracing.exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === assay.traceId);
    // Consumer spans are named by the (namespaced) subject: `<namespace>.certifier.certify process`.
    const names = inTrace.map((s) => s.name);
    for (const name of ['gateway.completion', 'assay.certifier.certify send', 'certifier.certify process', 'certify', 'generation.generate process', 'text_completion large', 'score guide@1']) {
      expect([name, names.some((n) => n === name || n.endsWith(`.${name}`))]).toEqual([name, true]);
    }
    // One tree: a single span of the trace (the gateway's, or the HTTP server span above it) has no parent in it.
    const root = inTrace.find((s) => s.name === 'gateway.completion')!;
    expect(root.attributes['gen_ai.request.model']).toBe('fever');
    const ids = new Set(inTrace.map((s) => s.spanContext().spanId));
    const parentOf = (s: (typeof inTrace)[number]) => (s as unknown as { parentSpanContext?: { spanId: string }; parentSpanId?: string }).parentSpanContext?.spanId ?? (s as unknown as { parentSpanId?: string }).parentSpanId;
    const roots = inTrace.filter((s) => !ids.has(parentOf(s) ?? ''));
    expect(roots).toHaveLength(1);
  });
});
