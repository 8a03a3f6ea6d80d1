import { forgeTinyModel } from '@assay/testing';
import { isAlive } from './support/local-platform';
import { generationLoad, pushModel, ScalePlatform, startScalePlatform } from './support/scale-out';

const TEXTS = ['the patient should rest and drink fluids', 'take the tablet twice a day with food', 'see a doctor if the fever persists'];

/**
 * Issue 14.7 (c), untimed: `assay up --replicas generation=2` runs two generation processes in one queue group; one is
 * SIGKILLed while callers keep sending. Requests in flight on it fail as UNAVAILABLE within the liveness window and
 * their one documented retry (RequestOptions.retryUnavailable, as GenerationClient does) is answered by the other:
 * nothing is lost. The timed figures are `npm run bench -- scale`.
 */
describe('a generation replica killed under load', () => {
  let scale: ScalePlatform;

  beforeAll(async () => {
    scale = await startScalePlatform('generation', 2);
    await pushModel(scale.registry, 'tiny', () => forgeTinyModel({ texts: TEXTS, vocabSize: 300 }));
  }, 300_000);
  afterAll(() => scale?.stop());

  it('two replicas answer; killing one mid-load loses no request beyond the retry, and assay up restarts it', async () => {
    const pids = scale.pids();
    expect([...pids.keys()]).toEqual(['generation', 'generation#2']);
    expect(new Set(pids.values()).size).toBe(2);
    const victim = pids.get('generation#2')!;
    const load = await generationLoad(scale.rpc, {
      model: 'tiny',
      requests: 60,
      concurrency: 6,
      maxNewTokens: 8,
      during: () => {
        process.kill(victim, 'SIGKILL');
      },
    });
    expect(load.errors).toEqual([]);
    expect(load).toMatchObject({ ok: 60, lost: 0 });
    expect(isAlive(victim)).toBe(false);
    await scale.platform.waitForLine(/\[assay\] generation#2 started \(pid \d+\)/, 60_000, scale.platform.output.indexOf(`pid ${victim}`) + 1);
  }, 300_000);
});
