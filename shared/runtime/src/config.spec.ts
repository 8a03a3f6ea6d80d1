import { runtimeConfig, runtimeConfigFromEnv } from './config';
import { RUNTIME_ENV } from './env';

describe('runtime config', () => {
  it('has defaults: one worker thread, CPU, full graph optimisation, a few-ms batching window', () => {
    expect(runtimeConfig()).toEqual({
      executor: { kind: 'worker-threads', workers: 1 },
      session: { executionProviders: ['cpu'], graphOptimizationLevel: 'all' },
      batching: { windowMs: 3, maxBatchSize: 32, maxBatchTokens: 16384 },
      models: {},
    });
    expect(runtimeConfigFromEnv({ [RUNTIME_ENV.modelVariant]: 'quantized' }).models).toEqual({ variant: 'quantized' });
  });

  it('reads environment variables over a base config', () => {
    const config = runtimeConfigFromEnv(
      {
        [RUNTIME_ENV.executionProviders]: 'cuda, cpu',
        [RUNTIME_ENV.workers]: '4',
        [RUNTIME_ENV.intraOpNumThreads]: '2',
        [RUNTIME_ENV.batchWindowMs]: '5',
      },
      { batching: { maxBatchSize: 8 } },
    );
    expect(config.session).toMatchObject({ executionProviders: ['cuda', 'cpu'], intraOpNumThreads: 2 });
    expect(config.executor.workers).toBe(4);
    expect(config.batching).toEqual({ windowMs: 5, maxBatchSize: 8, maxBatchTokens: 16384 });
  });

  it('fails with the name of a bad variable', () => {
    expect(() => runtimeConfigFromEnv({ [RUNTIME_ENV.workers]: 'many' })).toThrow(RUNTIME_ENV.workers);
    expect(() => runtimeConfigFromEnv({ [RUNTIME_ENV.graphOptimizationLevel]: 'max' })).toThrow('session.graphOptimizationLevel');
  });
});
