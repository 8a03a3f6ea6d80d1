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
  /** SIGTERM, then SIGKILL after `graceMs` (default 5 s). */
  stop(graceMs?: number): Promise<void>;
  /** The nats-server process, when this process started it. */
  pid?: number;
}

export interface NatsServerOptions {
  /** Clients must log in with these (user/password authorization); anonymous clients are refused. */
  auth?: { user: string; password: string };
  /** Own process group, so a terminal's Ctrl-C reaches only the parent, which stops the server last. */
  detached?: boolean;
}

export function findNatsServer(): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v nats-server || ls /usr/sbin/nats-server 2>/dev/null'], { encoding: 'utf8' });
  const bin = found.stdout.trim().split('\n')[0];
  return bin || undefined;
}

/**
 * Starts `nats-server` with JetStream on a free loopback port; local runs and test harnesses get a server of
 * their own. The settings (and credentials, when given) go in a config file (mode 0600) beside the store,
 * never on the command line where other local users could read them.
 */
export async function startNatsServer(
  bin: string,
  storeDir: string,
  log: (line: string) => void = () => undefined,
  options: NatsServerOptions = {},
): Promise<LocalNats> {
  const port = await freePort();
  fs.mkdirSync(storeDir, { recursive: true });
  const configFile = path.join(storeDir, 'nats-server.conf');
  const pidFile = path.join(storeDir, 'nats-server.pid');
  const stale = await stopStaleServer(pidFile, configFile);
  if (stale !== undefined) log(`stopped nats-server pid ${stale}, left running on this store by a platform that was killed`);
  const lines = [`listen: "127.0.0.1:${port}"`, `jetstream { store_dir: ${JSON.stringify(storeDir)} }`, `pid_file: ${JSON.stringify(pidFile)}`];
  if (options.auth) lines.push(`authorization { user: ${JSON.stringify(options.auth.user)}, password: ${JSON.stringify(options.auth.password)} }`);
  fs.writeFileSync(configFile, `${lines.join('\n')}\n`, { mode: 0o600 });
  const child: ChildProcess = spawn(bin, ['-c', configFile], { stdio: ['ignore', 'ignore', 'pipe'], detached: options.detached ?? false });
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
    pid: child.pid,
    stop: (graceMs = 5000) =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

/**
 * A nats-server still running on this store from an earlier start whose parent was SIGKILLed (a Go binary cannot
 * watch its parent as the services do with orphan-guard.js): stopped before a new one opens the same JetStream
 * store. Only a process whose command line names this config file is touched; returns its pid, or undefined.
 */
async function stopStaleServer(pidFile: string, configFile: string): Promise<number | undefined> {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
  } catch {
    return undefined;
  }
  const isOurs = () => {
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(configFile);
    } catch {
      return false; // gone (or no /proc: nothing to check against, so nothing is killed)
    }
  };
  if (!Number.isInteger(pid) || pid <= 1 || !isOurs()) return undefined;
  process.kill(pid, 'SIGTERM');
  for (let waited = 0; isOurs() && waited < 5000; waited += 50) await new Promise((r) => setTimeout(r, 50));
  if (isOurs()) process.kill(pid, 'SIGKILL');
  for (let waited = 0; isOurs() && waited < 2000; waited += 50) await new Promise((r) => setTimeout(r, 50));
  return pid;
}
