import fs from 'node:fs';
import path from 'node:path';

const FILE = 'platform.json';
const KEYS = [
  'NATS_URL',
  'NATS_USER',
  'NATS_PASSWORD',
  'NATS_TOKEN',
  'S3_ENDPOINT',
  'S3_ACCESS_KEY',
  'S3_SECRET_KEY',
  'S3_BUCKET',
  'ASSAY_API_KEYS',
  'ASSAY_NAMESPACE',
  'ASSAY_JOBS_REPLICAS',
  'ASSAY_HOST',
  'ASSAY_PORT_BASE',
  'ASSAY_SIGNING_KEY',
] as const;
/** A service's own port (`ASSAY_<SERVICE>_PORT`) overrides the port base; recorded when set. */
const SERVICE_PORT = /^ASSAY_[A-Z_]+_PORT$/;
/** Not an environment variable: the `assay up` process that wrote the file. */
const PID = 'pid';

/**
 * `assay up` records where the local platform listens (NATS, S3, the HTTP port base and host, the namespace) and its
 * credentials (mode 0600), so other `assay` commands (status, demo, ...) find it without exports.
 */
export function writePlatformFile(dataDir: string, env: NodeJS.ProcessEnv, pid = process.pid): void {
  const names = [...KEYS, ...Object.keys(env).filter((k) => SERVICE_PORT.test(k) && k !== 'ASSAY_S3_PORT')];
  const values = Object.fromEntries(names.filter((k) => env[k]).map((k) => [k, env[k]]));
  fs.writeFileSync(path.join(dataDir, FILE), JSON.stringify({ ...values, [PID]: pid }, null, 2), { mode: 0o600 });
}

export function removePlatformFile(dataDir: string): void {
  fs.rmSync(path.join(dataDir, FILE), { force: true });
}

/** The pid of the `assay up` that wrote the data folder's platform file, when that process still runs. */
export function runningPlatformPid(dataDir: string): number | undefined {
  const values = readPlatformFile(path.join(dataDir, FILE));
  const pid = Number(values?.[PID]);
  return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
}

/** Fills unset variables from the running local platform's file; explicit environment always wins. A file left by a dead `assay up` is ignored. */
export function applyPlatformFile(env: NodeJS.ProcessEnv = process.env): void {
  const dataDir = path.resolve(env.ASSAY_DATA_DIR ?? '.assay');
  const values = readPlatformFile(path.join(dataDir, FILE));
  if (!values || runningPlatformPid(dataDir) === undefined) return;
  for (const [key, value] of Object.entries(values)) {
    if (key !== PID && env[key] === undefined) env[key] = String(value);
  }
}

function readPlatformFile(file: string): Record<string, string | number> | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string | number>;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
