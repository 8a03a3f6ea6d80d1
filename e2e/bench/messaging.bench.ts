/**
 * Messaging overhead: NATS request/reply through a service (Nest microservice with validation, tracing,
 * metrics and our RpcClient) against a bare `nats` responder and `nc.request`, same server, same payload.
 */
import { PlatformHarness } from '@assay/testing';
import { LikelihoodModule } from '../../services/likelihood/src/likelihood.module';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

async function time(n: number, call: () => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = process.hrtime.bigint();
    await call();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return samples.sort((a, b) => a - b);
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const n = Number(args[0] ?? 3000);
  process.env.TEST_LOG_LEVEL = 'silent';
  const harness = await new PlatformHarness('bench-messaging').start();
  try {
    await harness.startService(LikelihoodModule, 'likelihood');
    const rawSubject = `bench.raw.${harness.namespace}`;
    const sub = harness.nc.subscribe(rawSubject, {
      callback: (_err, msg) => msg.respond(new TextEncoder().encode(JSON.stringify({ service: 'raw', status: 'ok', uptimeSec: 0 }))),
    });
    const payload = new TextEncoder().encode('{}');
    const raw = () => harness.nc.request(rawSubject, payload, { timeout: 5000 });
    const service = () => harness.rpc.request('assay.likelihood.health', {}, { timeoutMs: 5000 });
    // Interleave warm-up and measurement rounds so drift on a shared machine hits both paths alike.
    await time(300, raw);
    await time(300, service);
    const rawSamples: number[] = [];
    const serviceSamples: number[] = [];
    for (let round = 0; round < 5; round++) {
      rawSamples.push(...(await time(n / 5, raw)));
      serviceSamples.push(...(await time(n / 5, service)));
    }
    rawSamples.sort((a, b) => a - b);
    serviceSamples.sort((a, b) => a - b);
    sub.unsubscribe();
    const result = {
      requests_per_path: n,
      service_p50_ms: percentile(serviceSamples, 0.5),
      raw_p50_ms: percentile(rawSamples, 0.5),
      service_p99_ms: percentile(serviceSamples, 0.99),
      raw_p99_ms: percentile(rawSamples, 0.99),
      service_overhead_p50_ms: percentile(serviceSamples, 0.5) - percentile(rawSamples, 0.5),
    };
    console.error(`service p50 ${result.service_p50_ms.toFixed(3)} ms vs raw ${result.raw_p50_ms.toFixed(3)} ms`);
    return result;
  } finally {
    await harness.close();
  }
}
