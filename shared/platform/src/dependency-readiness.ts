import type { ServiceName } from '@assay/contracts';
import { AssayError } from '@assay/contracts';
import { RpcClient } from '@assay/messaging';
import type { ReadinessCheck } from './readiness.service';

/** A health request gets this long; readiness probes must stay cheap. */
export const DEPENDENCY_HEALTH_TIMEOUT_MS = 1000;
/** Answers are reused this long, so frequent probes cost one NATS request per dependency every few seconds. */
export const DEPENDENCY_HEALTH_TTL_MS = 2000;

/**
 * A readiness check that a service this one needs answers `assay.<service>.health` over NATS. The answer
 * (good or bad) is cached for a couple of seconds and concurrent probes share one request; no responder
 * at all is known at once (NATS answers "no responders"), a stuck one within the short deadline.
 */
export function dependencyCheck(rpc: RpcClient, service: ServiceName, now: () => number = Date.now): ReadinessCheck {
  let cached: { at: number; outcome: Promise<true | string> } | undefined;
  const ask = async (): Promise<true | string> => {
    try {
      await rpc.request(`assay.${service}.health`, {}, { timeoutMs: DEPENDENCY_HEALTH_TIMEOUT_MS });
      return true;
    } catch (error) {
      const failure = AssayError.from(error);
      if (failure.code === 'UNAVAILABLE') return `no ${service} service answers`;
      if (failure.code === 'TIMEOUT') return `${service} did not answer within ${DEPENDENCY_HEALTH_TIMEOUT_MS} ms`;
      return `${service}: ${failure.message}`;
    }
  };
  return () => {
    if (!cached || now() - cached.at >= DEPENDENCY_HEALTH_TTL_MS) cached = { at: now(), outcome: ask() };
    return cached.outcome;
  };
}
