import { Injectable } from '@nestjs/common';

export type ReadinessCheck = () => Promise<true | string>;

/**
 * What /readyz reports. The platform registers NATS and the object store; services add their own
 * (e.g. "models loaded"). A check returns true or a short reason it is not ready.
 */
@Injectable()
export class ReadinessService {
  private readonly checks = new Map<string, ReadinessCheck>();

  register(name: string, check: ReadinessCheck) {
    this.checks.set(name, check);
  }

  async evaluate(timeoutMs = 2000): Promise<{ ready: boolean; checks: Record<string, string> }> {
    const results: Record<string, string> = {};
    await Promise.all(
      [...this.checks].map(async ([name, check]) => {
        const outcome = await Promise.race([
          check().catch((error: Error) => error.message || 'failed'),
          new Promise<string>((resolve) => setTimeout(() => resolve('timed out'), timeoutMs).unref()),
        ]);
        results[name] = outcome === true ? 'ok' : outcome;
      }),
    );
    return { ready: Object.values(results).every((r) => r === 'ok'), checks: results };
  }
}
