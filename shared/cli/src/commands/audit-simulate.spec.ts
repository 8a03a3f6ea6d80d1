import { empiricalSampler, simulateAudit } from '@assay/stats';
import { runAuditSimulation } from './audit-simulate';
import { samplerSourceFor } from './audit-simulate-command';

describe('runAuditSimulation (worker threads)', () => {
  const options = {
    reference: 'beta:2,8', candidate: 'beta:3,7', runs: 8, batchSize: 25, budget: 150, test: 'witness' as const, seed: 'par',
    testOptions: { hiddenSize: 4 },
  };

  it('gives exactly the single-threaded result, whatever the number of workers, and reports every run', async () => {
    const expected = simulateAudit(options);
    const seen: number[] = [];
    const parallel = await runAuditSimulation(options, { workers: 2, onRun: (done) => seen.push(done) });
    expect(parallel).toEqual(expected);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(await runAuditSimulation(options, { workers: 1 })).toEqual(expected);
  });

  it('carries observed scores to the workers and fails fast on bad options', async () => {
    const scores = { values: [0.1, 0.2, 0.3, 0.9], description: 'file:x.jsonl' };
    const result = await runAuditSimulation({ ...options, reference: scores, candidate: scores, runs: 3 }, { workers: 2 });
    expect(result).toMatchObject({ runs: 3, reference: 'file:x.jsonl' });
    expect(result).toEqual(simulateAudit({ ...options, reference: empiricalSampler(scores.values, scores.description), candidate: empiricalSampler(scores.values, scores.description), runs: 3 }));
    await expect(runAuditSimulation({ ...options, runs: 0 })).rejects.toThrow(RangeError);
    expect(() => samplerSourceFor('gamma:1')).toThrow(/unknown distribution/);
  });
});
