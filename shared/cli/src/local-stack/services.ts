import { ChildProcess, fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ServiceName, SERVICES } from '@assay/contracts/services';

export const REPO_ROOT = path.resolve(__dirname, '../../../..');

/** A service's compiled entry point (`npm run build`); images run the same file: `node services/<name>/dist/main.js`. */
export function serviceEntry(service: ServiceName): string {
  return path.join(REPO_ROOT, 'services', service, 'dist', 'main.js');
}

export function availableServices(): ServiceName[] {
  return SERVICES.filter((service) => fs.existsSync(serviceEntry(service)));
}

/**
 * Starts one service as a child process running its compiled entry point. It gets a process group of its own,
 * so a terminal's Ctrl-C reaches only `assay up`, which stops the services before the NATS and S3 servers they
 * need; and it shuts itself down if `assay up` goes away (bin/orphan-guard.js, preloaded).
 */
export function startService(service: ServiceName, env: NodeJS.ProcessEnv, onLine: (service: string, line: string) => void): ChildProcess {
  const child = fork(serviceEntry(service), [], {
    cwd: REPO_ROOT,
    env,
    execArgv: ['-r', path.join(REPO_ROOT, 'shared', 'cli', 'bin', 'orphan-guard.js')],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    detached: true,
  });
  for (const stream of [child.stdout, child.stderr]) {
    let buffer = '';
    stream?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) onLine(service, line);
    });
  }
  return child;
}

/** SIGTERM, then SIGKILL once `graceMs` has passed; resolves when the process is gone. */
export function stopChild(child: ChildProcess | undefined, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export async function waitReady(url: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}
