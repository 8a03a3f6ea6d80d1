import { InProcessExecutor, LocalEngine, OnnxSession, WorkerPoolExecutor } from '@assay/runtime';
import { captureLogger, newTestEngine, newTestModel, removeTestModels, TestModel } from './fixtures';

const TOLERANCE = 1e-4;

describe('executors', () => {
  let model: TestModel;

  beforeAll(async () => {
    model = await newTestModel({ seed: 8, contextLength: 64 });
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await removeTestModels();
  });

  it('worker threads: the main thread never runs a session; in-process gives the same results', async () => {
    const run = jest.spyOn(OnnxSession.prototype, 'run');
    const request = { model: 'tiny', prompts: ['the cat', 'a'], n: 2, maxNewTokens: 12, temperature: 1, seed: 3 };
    const workers = newTestEngine({ executor: { kind: 'worker-threads', workers: 2 } });
    const inProcess = newTestEngine({ executor: { kind: 'in-process' } });
    try {
      await workers.loadModel('tiny', model.dir);
      const viaWorkers = await workers.generate(request);
      await workers.score({ model: 'tiny', items: [{ context: 'the', continuation: ' cat' }] });
      await workers.hiddenStates({ model: 'tiny', texts: ['the cat'] });
      expect(run).not.toHaveBeenCalled();
      expect((await workers.health()).executor).toMatchObject({ kind: 'worker-threads', workers: 2, aliveWorkers: 2 });

      await inProcess.loadModel('tiny', model.dir);
      const local = await inProcess.generate(request);
      expect(run).toHaveBeenCalled();
      local.completions.forEach((c, i) => {
        expect(c.tokens.map((t) => t.id)).toEqual(viaWorkers.completions[i].tokens.map((t) => t.id));
        c.tokens.forEach((t, j) => expect(Math.abs(t.logprob - viaWorkers.completions[i].tokens[j].logprob)).toBeLessThanOrEqual(TOLERANCE));
      });
    } finally {
      run.mockRestore();
      await Promise.all([workers.close(), inProcess.close()]);
    }
  });

  it('replaces a dead worker, reloads its models, and keeps serving', async () => {
    const logger = captureLogger();
    const executor = new WorkerPoolExecutor({ workers: 1 }, logger);
    const engine = new LocalEngine({ executor, logger, config: { session: { intraOpNumThreads: 1 } } });
    try {
      await engine.loadModel('tiny', model.dir);
      const before = await engine.generate({ model: 'tiny', prompts: ['the'], maxNewTokens: 5, temperature: 0 });
      const workers = (executor as unknown as { workers: { worker: { terminate(): Promise<number> } }[] }).workers;
      await workers[0].worker.terminate();
      await new Promise((resolve) => setTimeout(resolve, 50));
      const health = await engine.health();
      expect(health.executor.restarts).toBe(1);
      expect(logger.lines.some((l) => l.level === 'warn' && l.msg.includes('restarting'))).toBe(true);
      const after = await engine.generate({ model: 'tiny', prompts: ['the'], maxNewTokens: 5, temperature: 0 });
      expect(after.completions[0].tokens.map((t) => t.id)).toEqual(before.completions[0].tokens.map((t) => t.id));
      expect((await engine.health()).status).toBe('ok');
    } finally {
      await engine.close();
    }
  });

  it('unload lets in-flight work finish first; a closed engine refuses work', async () => {
    const engine = new LocalEngine({ executor: new InProcessExecutor(), logger: captureLogger() });
    await engine.loadModel('tiny', model.dir);
    const pending = engine.generate({ model: 'tiny', prompts: ['the cat'], maxNewTokens: 20, temperature: 0 });
    await engine.unloadModel('tiny');
    expect((await pending).completions[0].tokens.length).toBeGreaterThan(0);
    expect(await engine.listModels()).toEqual([]);
    await engine.close();
    await expect(engine.generate({ model: 'tiny', prompts: ['a'] })).rejects.toMatchObject({ kind: 'EXECUTOR_CLOSED' });
    expect((await engine.health()).status).toBe('closed');
  });
});
