/**
 * `npm run bench -- gateway [--runs n] [--tokens n] [--T n]`: what the OpenAI-compatible endpoint adds to a
 * certification. The same certified request (same L, G, k, T, length and seed) is sent, interleaved, through the
 * gateway (`POST /v1/completions` naming a policy) and directly to the certifier (`POST /v1/certify`), both over HTTP
 * with the API key, against the real services (gateway → certifier → generation + likelihood over NATS, onnxruntime).
 * `gateway_vs_certifier` = median gateway latency / median certifier latency (target ≤ 1.1). The models and the
 * worst case (k = −64: every draw rejected, so all T are generated and scored) are those of the certifier bench.
 */
import { PlatformHarness } from '@assay/testing';
import { CertifierModule } from '../../services/certifier/src/certifier.module';
import { GatewayModule } from '../../services/gateway/src/gateway.module';
import { GenerationModule } from '../../services/generation/src/generation.module';
import { LikelihoodModule } from '../../services/likelihood/src/likelihood.module';
import { asciiModel, flag, quantile } from './certifier.bench';

const round = (x: number, digits = 2) => Number(x.toFixed(digits));

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const runs = flag(args, 'runs', 30);
  const tokens = flag(args, 'tokens', 32);
  const T = flag(args, 'T', 4);
  const k = flag(args, 'k', -64);
  const harness = new PlatformHarness('bench-gateway');
  await harness.start();
  try {
    const [large, guide] = await Promise.all([asciiModel({ layers: 2, heads: 4, dim: 128 }, 1), asciiModel({ layers: 2, heads: 4, dim: 64 }, 2)]);
    await harness.registry.push(large, { name: 'bench-l', version: '1', provenance: { kind: 'forged' } });
    await harness.registry.push(guide, { name: 'bench-g', version: '1', provenance: { kind: 'forged' } });
    await harness.startService(GenerationModule, 'generation');
    await harness.startService(LikelihoodModule, 'likelihood');
    await harness.startService(CertifierModule, 'certifier');
    await harness.startService(GatewayModule, 'gateway');
    await harness.rpc.request('assay.gateway.create', { name: 'bench', model: 'bench-l', guide: 'bench-g', k, T, sampling: { maxNewTokens: tokens, temperature: 1 } });
    const [gatewayUrl, certifierUrl] = [await harness.url('gateway'), await harness.url('certifier')];
    const prompt = 'Question: what helps with a fever?\nAnswer:\n';
    const post = async (url: string, body: unknown) => {
      const reply = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer test-key' }, body: JSON.stringify(body) });
      if (!reply.ok) throw new Error(`${url}: ${reply.status} ${await reply.text()}`);
      return reply.json() as Promise<Record<string, unknown>>;
    };
    // The gateway seeds choice 0 with derivedSeed(seed, 0) = seed, so both paths make the same draws.
    const viaGateway = (seed: number) => post(`${gatewayUrl}/v1/completions`, { model: 'bench', prompt, seed });
    const direct = (seed: number) => post(`${certifierUrl}/v1/certify`, { model: 'bench-l', guide: 'bench-g', prompt, k, T, maxNewTokens: tokens, temperature: 1, seed });

    console.error('[gateway bench] warm-up (models load on first use) ...');
    for (let i = 0; i < 3; i++) await Promise.all([viaGateway(1000 + i), direct(2000 + i)]);

    console.error(`[gateway bench] ${runs} interleaved runs each: T = ${T}, ${tokens} tokens, k = ${k} ...`);
    const samples = { gateway: [] as number[], certifier: [] as number[], certifierNats: [] as number[] };
    const overNats = (seed: number) => harness.rpc.request('assay.certifier.certify', { model: 'bench-l', guide: 'bench-g', prompt, k, T, maxNewTokens: tokens, temperature: 1, seed });
    let same = 0;
    for (let i = 0; i < runs; i++) {
      const seed = 10_000 + i;
      const order = i % 2 === 0 ? (['gateway', 'certifier'] as const) : (['certifier', 'gateway'] as const);
      const answers: Record<string, string> = {};
      for (const what of order) {
        const started = performance.now();
        const reply = what === 'gateway' ? await viaGateway(seed) : await direct(seed);
        samples[what].push(performance.now() - started);
        answers[what] = what === 'gateway' ? String((reply.assay as { status: string }).status) : String(reply.status);
      }
      if (answers.gateway === answers.certifier) same++;
      const started = performance.now();
      await overNats(seed);
      samples.certifierNats.push(performance.now() - started);
    }
    const median = (what: keyof typeof samples) => quantile(samples[what], 0.5);
    return {
      gateway_p50_ms: round(median('gateway')),
      certifier_p50_ms: round(median('certifier')),
      gateway_vs_certifier: round(median('gateway') / median('certifier'), 3),
      gateway_p90_ms: round(quantile(samples.gateway, 0.9)),
      certifier_p90_ms: round(quantile(samples.certifier, 0.9)),
      certifier_over_nats_p50_ms: round(median('certifierNats')),
      same_status_fraction: round(same / runs, 3),
      runs,
      T,
      k,
      max_new_tokens: tokens,
    };
  } finally {
    await harness.close();
  }
}
