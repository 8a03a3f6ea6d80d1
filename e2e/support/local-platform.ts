import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '@assay/messaging';

export const REPO = path.resolve(__dirname, '../..');

/** `npm start -- --only …` (i.e. `assay up`) as real processes on free ports and a temporary data folder. */
export class LocalPlatformProcess {
  readonly dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'assay-up-'));
  npm!: ChildProcess;
  output = '';
  private readonly env: NodeJS.ProcessEnv;

  constructor(
    private readonly services: string[],
    private readonly options: { detached: boolean; extraEnv?: NodeJS.ProcessEnv; args?: string[] },
  ) {
    // Only what a user's shell would have: no NATS_URL or S3_* (assay up starts its own), no test settings.
    this.env = { PATH: process.env.PATH, HOME: process.env.HOME, ASSAY_DATA_DIR: this.dataDir, LOG_LEVEL: 'info', ...options.extraEnv };
  }

  async start(readyTimeoutMs = 180_000): Promise<this> {
    for (const service of this.services) this.env[`ASSAY_${service.toUpperCase().replace(/-/g, '_')}_PORT`] = String(await freePort());
    this.npm = spawn('npm', ['start', '--silent', '--', '--only', this.services.join(','), ...(this.options.args ?? [])], {
      cwd: REPO,
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: this.options.detached,
    });
    for (const stream of [this.npm.stdout!, this.npm.stderr!]) stream.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    await this.waitForLine(/\[assay\] Assay is up/, readyTimeoutMs);
    return this;
  }

  async waitForLine(pattern: RegExp, timeoutMs: number, from = 0): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = this.output.slice(from).match(pattern);
      if (match) return match;
      if (this.npm.exitCode !== null) throw new Error(`npm start exited (${this.npm.exitCode}):\n${this.output.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`no line matching ${pattern} within ${timeoutMs} ms:\n${this.output.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The HTTP base URL of a service (its port was picked free at start). */
  url(service: string): string {
    return `http://127.0.0.1:${this.env[`ASSAY_${service.toUpperCase().replace(/-/g, '_')}_PORT`]}`;
  }

  platformFile(): Record<string, string> {
    return JSON.parse(fs.readFileSync(path.join(this.dataDir, 'platform.json'), 'utf8')) as Record<string, string>;
  }

  /** The pid `assay up` logged for a service's newest process. */
  servicePid(service: string): number {
    const all = [...this.output.matchAll(new RegExp(`\\[assay\\] ${service} started \\(pid (\\d+)\\)`, 'g'))];
    return Number(all[all.length - 1][1]);
  }

  /** Runs the CLI as a user would after `npm start`, finding the platform through the data folder. */
  cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [path.join(REPO, 'shared/cli/bin/assay.js'), ...args], { cwd: REPO, env: { PATH: process.env.PATH, ASSAY_DATA_DIR: this.dataDir } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
  }

  /** Kills whatever is left (a failed test) and removes the data folder. */
  cleanup(): void {
    for (const pid of descendants(this.npm?.pid ?? -1)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    try {
      this.npm?.kill('SIGKILL');
    } catch {
      // already gone
    }
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** Every process below `root` (children, grandchildren...), from /proc. */
export function descendants(root: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid ...; comm may hold spaces and parentheses, so read after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(Number(entry), ppid);
    } catch {
      // exited while listing
    }
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length) {
    const parent = queue.shift()!;
    for (const [pid, ppid] of parents) {
      if (ppid === parent && !found.includes(pid)) {
        found.push(pid);
        queue.push(pid);
      }
    }
  }
  return found;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie is gone for every purpose here; its parent (jest, for npm) just has not reaped it yet.
    return !/\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Milliseconds until every pid is gone; rejects after timeoutMs. */
export async function timeUntilGone(pids: number[], timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (pids.some(isAlive)) {
    if (Date.now() - started > timeoutMs) throw new Error(`still running after ${timeoutMs} ms: ${pids.filter(isAlive).join(', ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return Date.now() - started;
}
