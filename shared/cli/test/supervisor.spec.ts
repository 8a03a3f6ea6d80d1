import { ChildProcess, spawn } from 'node:child_process';
import { restartDelay, RestartPolicy, Supervisor } from '../src/local-stack/supervisor';

/** Real child processes: `node -e` scripts that run until killed, or exit on their own. */
const forever = () => spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
const crashAfter = (ms: number) => () => spawn(process.execPath, ['-e', `setTimeout(() => process.exit(3), ${ms})`], { stdio: 'ignore' });
/** Says `ready` once its SIGTERM handler is in place (a loaded machine can take a while to start node). */
const ignoresTerm = () => spawn(process.execPath, ['-e', "process.on('SIGTERM', () => {}); console.log('ready'); setInterval(() => {}, 1000)"], { stdio: ['ignore', 'pipe', 'ignore'] });

const FAST: RestartPolicy = { initialDelayMs: 100, maxDelayMs: 400, stableAfterMs: 60_000, maxRestarts: 3, windowMs: 60_000 };

function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (condition()) return resolve();
      if (Date.now() > deadline) return reject(new Error('condition not met in time'));
      setTimeout(tick, 20);
    };
    tick();
  });
}

function isAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('restartDelay', () => {
  it('doubles from the initial delay and stops at the cap', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map((n) => restartDelay({ ...FAST, initialDelayMs: 1000, maxDelayMs: 30_000 }, n))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  });
});

describe('Supervisor (real child processes)', () => {
  let supervisor: Supervisor | undefined;
  afterEach(async () => supervisor?.stop(1000));

  it('restarts a SIGKILLed process after a backoff, with one log line per restart', async () => {
    const lines: string[] = [];
    const launched: ChildProcess[] = [];
    supervisor = new Supervisor('worker', forever, (l) => lines.push(l), FAST).onLaunch((c) => launched.push(c));
    supervisor.start();
    const first = launched[0].pid!;
    expect(isAlive(first)).toBe(true);

    const killedAt = Date.now();
    process.kill(first, 'SIGKILL');
    await waitFor(() => launched.length === 2 && supervisor!.status === 'running');
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(FAST.initialDelayMs - 5);
    expect(isAlive(launched[1].pid)).toBe(true);
    expect(supervisor.pid).toBe(launched[1].pid);
    expect(lines).toEqual([expect.stringMatching(/^worker exited \(signal SIGKILL\) after [\d.]+ s; restarting in 0\.1 s \(restart 1 of at most 3 within 60 s\)$/)]);

    process.kill(launched[1].pid!, 'SIGKILL');
    await waitFor(() => launched.length === 3);
    expect(lines[1]).toMatch(/restarting in 0\.2 s \(restart 2 of/); // the delay doubled
  });

  it('gives up after maxRestarts within the window, and says so', async () => {
    const lines: string[] = [];
    let launches = 0;
    supervisor = new Supervisor('flaky', crashAfter(30), (l) => lines.push(l), FAST).onLaunch(() => launches++);
    supervisor.start();
    await waitFor(() => supervisor!.status === 'gave-up');
    expect(launches).toBe(FAST.maxRestarts + 1);
    expect(lines.filter((l) => l.includes('restarting in'))).toHaveLength(FAST.maxRestarts);
    expect(lines[lines.length - 1]).toMatch(/^flaky exited \(code 3\) after [\d.]+ s; gave up after 3 restarts within 60 s: it stays down/);
    await new Promise((r) => setTimeout(r, FAST.maxDelayMs + 100));
    expect(launches).toBe(FAST.maxRestarts + 1);
  });

  it('stop() during the backoff cancels the restart', async () => {
    let launches = 0;
    supervisor = new Supervisor('worker', crashAfter(10), () => undefined, { ...FAST, initialDelayMs: 500 }).onLaunch(() => launches++);
    supervisor.start();
    await waitFor(() => supervisor!.status === 'backing-off');
    await supervisor.stop(1000);
    await new Promise((r) => setTimeout(r, 700));
    expect(launches).toBe(1);
    expect(supervisor.status).toBe('stopped');
  });

  it('stop() SIGKILLs a process that ignores SIGTERM once the grace has passed, and does not restart it', async () => {
    const launched: ChildProcess[] = [];
    supervisor = new Supervisor('stubborn', ignoresTerm, () => undefined, FAST).onLaunch((c) => launched.push(c));
    supervisor.start();
    await new Promise((r) => launched[0].stdout!.once('data', r)); // its SIGTERM handler is in place
    const started = Date.now();
    await supervisor.stop(400);
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
    expect(launched[0].signalCode).toBe('SIGKILL');
    expect(launched).toHaveLength(1);
  });
});
