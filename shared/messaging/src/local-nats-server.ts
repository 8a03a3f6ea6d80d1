import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** True when something accepts TCP connections at host:port within the timeout. */
export function probeTcp(host: string, port: number, timeoutMs = 800): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

export interface LocalNats {
  url: string;
  started: boolean;
  stop(): Promise<void>;
}

export function findNatsServer(): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v nats-server || ls /usr/sbin/nats-server 2>/dev/null'], { encoding: 'utf8' });
  const bin = found.stdout.trim().split('\n')[0];
  return bin || undefined;
}

/**
 * Uses the NATS at `url` when it answers; otherwise starts `nats-server -js` from PATH on a free port,
 * with JetStream state under `dataDir`, so jobs survive a restart of the local platform.
 */
export async function ensureNats(url: string, dataDir: string, log: (line: string) => void): Promise<LocalNats> {
  const first = new URL(url.split(',')[0].replace(/^nats:/, 'http:'));
  if (await probeTcp(first.hostname, Number(first.port || 4222))) {
    return { url, started: false, stop: async () => undefined };
  }
  const bin = findNatsServer();
  if (!bin) {
    throw new Error(
      `no NATS server answers at ${url} and nats-server is not installed.\n` +
        `  Install it (Debian/Ubuntu: sudo apt-get install -y nats-server; macOS: brew install nats-server)\n` +
        `  or point NATS_URL at a running server with JetStream enabled.`,
    );
  }
  const server = await startNatsServer(bin, path.join(dataDir, 'nats'), log);
  log(`started nats-server (JetStream) on ${server.url}, state in ${path.join(dataDir, 'nats')}`);
  return server;
}

/** Starts `nats-server -js` on a free loopback port; local runs and test harnesses get a server of their own. */
export async function startNatsServer(bin: string, storeDir: string, log: (line: string) => void = () => undefined): Promise<LocalNats> {
  const port = await freePort();
  fs.mkdirSync(storeDir, { recursive: true });
  const child: ChildProcess = spawn(bin, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    if (/\[(ERR|FTL)\]/.test(text)) log(`nats-server: ${text.trim()}`);
  });
  for (let attempt = 0; attempt < 50; attempt++) {
    if (await probeTcp('127.0.0.1', port, 200)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    started: true,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
