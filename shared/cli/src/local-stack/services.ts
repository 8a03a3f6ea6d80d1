import { ChildProcess, fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ServiceName, SERVICES } from '@assay/contracts';

export const REPO_ROOT = path.resolve(__dirname, '../../../..');

/** A service's compiled entry point (`npm run build`); images run the same file: `node services/<name>/dist/main.js`. */
export function serviceEntry(service: ServiceName): string {
  return path.join(REPO_ROOT, 'services', service, 'dist', 'main.js');
}

export function availableServices(): ServiceName[] {
  return SERVICES.filter((service) => fs.existsSync(serviceEntry(service)));
}

export interface RunningService {
  service: ServiceName;
  child: ChildProcess;
}

/** Starts one service as a child process running its compiled entry point. */
export function startService(service: ServiceName, env: NodeJS.ProcessEnv, onLine: (service: string, line: string) => void): RunningService {
  const child = fork(serviceEntry(service), [], {
    cwd: REPO_ROOT,
    env,
    execArgv: [],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
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
  return { service, child };
}

export function stopService(running: RunningService, graceMs = 10_000): Promise<void> {
  return new Promise((resolve) => {
    if (running.child.exitCode !== null || running.child.signalCode !== null) return resolve();
    const timer = setTimeout(() => running.child.kill('SIGKILL'), graceMs);
    running.child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    running.child.kill('SIGTERM');
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
