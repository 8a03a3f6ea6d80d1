import type { ChildProcess } from 'node:child_process';
import { stopChild } from './services';

export interface RestartPolicy {
  /** First restart delay; doubles with each crash in a row, up to maxDelayMs. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** A process that ran this long before exiting starts again from initialDelayMs. */
  stableAfterMs: number;
  /** Give up after this many restarts within windowMs. */
  maxRestarts: number;
  windowMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  initialDelayMs: 1_000,
  maxDelayMs: 30_000,
  stableAfterMs: 60_000,
  maxRestarts: 5,
  windowMs: 10 * 60_000,
};

export type SupervisorState = 'running' | 'backing-off' | 'gave-up' | 'stopped';

/** The delay before restart number `crashesInARow` (0-based): initial × 2^n, capped. Pure, for tests. */
export function restartDelay(policy: RestartPolicy, crashesInARow: number): number {
  return Math.min(policy.initialDelayMs * 2 ** Math.min(crashesInARow, 30), policy.maxDelayMs);
}

/**
 * Keeps one child process running: when it exits on its own it is started again after a backoff delay,
 * with one log line per restart, until it has restarted `maxRestarts` times within `windowMs`; then the
 * supervisor gives up (one log line) and leaves it down. stop() ends it for good.
 */
export class Supervisor {
  private child?: ChildProcess;
  private state: SupervisorState = 'stopped';
  private restarts: number[] = [];
  private crashesInARow = 0;
  private timer?: NodeJS.Timeout;
  private readonly launchListeners: Array<(child: ChildProcess) => void> = [];

  constructor(
    readonly name: string,
    private readonly spawnChild: () => ChildProcess,
    private readonly log: (line: string) => void,
    private readonly policy: RestartPolicy = DEFAULT_RESTART_POLICY,
  ) {}

  get status(): SupervisorState {
    return this.state;
  }

  get pid(): number | undefined {
    return this.state === 'running' ? this.child?.pid : undefined;
  }

  /** Called with every process started, the first and each restart. */
  onLaunch(listener: (child: ChildProcess) => void): this {
    this.launchListeners.push(listener);
    return this;
  }

  start(): void {
    if (this.state !== 'stopped') return;
    this.launch();
  }

  /** Ends the process (SIGTERM, SIGKILL after graceMs) and cancels any pending restart. */
  async stop(graceMs: number): Promise<void> {
    this.state = 'stopped';
    clearTimeout(this.timer);
    await stopChild(this.child, graceMs);
  }

  private launch(): void {
    const startedAt = Date.now();
    const child = this.spawnChild();
    this.child = child;
    this.state = 'running';
    child.once('exit', (code, signal) => this.exited(child, code, signal, Date.now() - startedAt));
    for (const listener of this.launchListeners) listener(child);
  }

  private exited(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null, ranMs: number): void {
    if (this.state === 'stopped' || child !== this.child) return;
    const how = `${this.name} exited (${signal ? `signal ${signal}` : `code ${code}`}) after ${(ranMs / 1000).toFixed(1)} s`;
    if (ranMs >= this.policy.stableAfterMs) this.crashesInARow = 0;
    const now = Date.now();
    this.restarts = this.restarts.filter((at) => now - at < this.policy.windowMs);
    const window = `${Math.round(this.policy.windowMs / 1000)} s`;
    if (this.restarts.length >= this.policy.maxRestarts) {
      this.state = 'gave-up';
      this.log(`${how}; gave up after ${this.restarts.length} restarts within ${window}: it stays down (see its log above)`);
      return;
    }
    const delay = restartDelay(this.policy, this.crashesInARow);
    this.crashesInARow++;
    this.restarts.push(now);
    this.state = 'backing-off';
    this.log(`${how}; restarting in ${(delay / 1000).toFixed(1)} s (restart ${this.restarts.length} of at most ${this.policy.maxRestarts} within ${window})`);
    this.timer = setTimeout(() => this.launch(), delay);
  }
}
