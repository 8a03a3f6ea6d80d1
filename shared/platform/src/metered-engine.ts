import type { EngineClient, GenerateRequest, StreamedToken } from '@assay/runtime';
import type { MetricsService } from './metrics.service';

/**
 * The engine with time-to-first-token measured on streamed generations (the only ones whose first token
 * reaches the caller before the last). Every other call goes straight through.
 */
export function meteredEngine(engine: EngineClient, metrics: MetricsService): EngineClient {
  return {
    generate: (request) => engine.generate(request),
    generateStream: (request: GenerateRequest, onToken: (token: StreamedToken) => void, options?: { signal?: AbortSignal }) => {
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
    },
    score: (request) => engine.score(request),
    hiddenStates: (request) => engine.hiddenStates(request),
    classify: (request) => engine.classify(request),
    health: () => engine.health(),
    loadModel: (name, dir) => engine.loadModel(name, dir),
    unloadModel: (name) => engine.unloadModel(name),
    listModels: () => engine.listModels(),
    close: () => engine.close(),
  };
}
