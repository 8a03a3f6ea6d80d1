import type { EngineClient, GenerateRequest, StreamedToken } from '@assay/runtime';
import type { MetricsService } from './metrics.service';

/**
 * The engine with time-to-first-token measured on streamed generations (the only ones whose first token
 * reaches the caller before the last). Every other member is the engine's own, bound to it, so the
 * decorator follows the EngineClient protocol as it grows.
 */
export function meteredEngine(engine: EngineClient, metrics: MetricsService): EngineClient {
  const generateStream: EngineClient['generateStream'] = (request: GenerateRequest, onToken: (token: StreamedToken) => void, options) => {
    const stop = metrics.timeToFirstToken.startTimer({ model: request.model });
    let first = true;
    const timed = (token: StreamedToken) => {
      if (first) {
        first = false;
        stop();
      }
      onToken(token);
    };
    return engine.generateStream(request, timed, options);
  };
  return new Proxy(engine, {
    get(target, property) {
      if (property === 'generateStream') return generateStream;
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
