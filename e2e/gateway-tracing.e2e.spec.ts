import { AssayBlock } from '@assay/contracts';
import { installInMemoryTracing } from '@assay/telemetry';
import { forgeTinyModel, PlatformHarness } from '@assay/testing';
import { CertifierModule } from '../services/certifier/src/certifier.module';
import { GatewayModule } from '../services/gateway/src/gateway.module';
import { GenerationModule } from '../services/generation/src/generation.module';
import { LikelihoodModule } from '../services/likelihood/src/likelihood.module';

const TEXTS = ['the patient should rest and drink fluids', 'take the tablet twice a day with food', 'see a doctor if the fever persists'];

/**
 * One OpenAI request to the gateway is one trace: gateway → certifier → generation (L's draws) → likelihood (G), the
 * trace id named in the answer's `assay.traceId`. (With a policy's rectifier, reward head and calibrator, their
 * services' spans join the same trace through the same NATS propagation.)
 */
describe('one assured request is one trace across the gateway and the services it composes', () => {
  const tracing = installInMemoryTracing();
  const harness = new PlatformHarness('gateway-tracing');

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

  it('the trace id in the assay block spans gateway, certifier, generation and likelihood', async () => {
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
    const names = inTrace.map((s) => s.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'gateway.completion',
        'assay.certifier.certify send',
        'assay.certifier.certify process',
        'certify',
        'assay.generation.generate process',
        'text_completion large',
        'assay.likelihood.score process',
        'score guide@1',
      ]),
    );
    // One tree: a single span of the trace (the gateway's, or the HTTP server span above it) has no parent in it.
    const root = inTrace.find((s) => s.name === 'gateway.completion')!;
    expect(root.attributes['gen_ai.request.model']).toBe('fever');
    const ids = new Set(inTrace.map((s) => s.spanContext().spanId));
    const parentOf = (s: (typeof inTrace)[number]) => (s as unknown as { parentSpanContext?: { spanId: string }; parentSpanId?: string }).parentSpanContext?.spanId ?? (s as unknown as { parentSpanId?: string }).parentSpanId;
    const roots = inTrace.filter((s) => !ids.has(parentOf(s) ?? ''));
    expect(roots).toHaveLength(1);
  });
});
