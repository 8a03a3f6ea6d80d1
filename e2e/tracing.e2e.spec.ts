import { CertifyResponse, REFUSAL_TEXT } from '@assay/contracts';
import { installInMemoryTracing, withSpan } from '@assay/telemetry';
import { forgeTinyModel, PlatformHarness } from '@assay/testing';
import { CertifierModule } from '../services/certifier/src/certifier.module';
import { GenerationModule } from '../services/generation/src/generation.module';
import { LikelihoodModule } from '../services/likelihood/src/likelihood.module';

const TEXTS = ['the patient should rest and drink fluids', 'take the tablet twice a day with food', 'see a doctor if the fever persists'];

describe('one certification is one trace across three services', () => {
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
  }, 120_000);
  afterAll(async () => {
    await harness.close();
    await tracing.provider.shutdown();
  });

  it('certifier, generation and likelihood spans carry the caller trace id', async () => {
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
    expect(names).toEqual(expect.arrayContaining([
      'assay.certifier.certify send',
      'assay.certifier.certify process',
      'certify',
      'assay.generation.generate process',
      'text_completion large',
      'assay.likelihood.score process',
      'score guide@1',
    ]));
    const generation = inTrace.find((s) => s.name === 'text_completion large')!;
    expect(generation.attributes['gen_ai.request.model']).toBe('large');
    expect(generation.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
    const certify = inTrace.find((s) => s.name === 'certify')!;
    expect(certify.events.map((e) => e.name)).toContain('assay.guardrail.result');
  });
});
