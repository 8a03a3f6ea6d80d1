import fs from 'node:fs';
import path from 'node:path';

const FILE = 'platform.json';
const KEYS = ['NATS_URL', 'S3_ENDPOINT', 'S3_ACCESS_KEY', 'S3_SECRET_KEY', 'S3_BUCKET', 'ASSAY_API_KEYS', 'ASSAY_JOBS_NAMESPACE'] as const;

/** `assay up` records where the local platform listens, so other `assay` commands find it without exports. */
export function writePlatformFile(dataDir: string, env: NodeJS.ProcessEnv): void {
  const values = Object.fromEntries(KEYS.filter((k) => env[k]).map((k) => [k, env[k]]));
  fs.writeFileSync(path.join(dataDir, FILE), JSON.stringify(values, null, 2), { mode: 0o600 });
}

export function removePlatformFile(dataDir: string): void {
  fs.rmSync(path.join(dataDir, FILE), { force: true });
}

/** Fills unset variables from the running local platform's file; explicit environment always wins. */
export function applyPlatformFile(env: NodeJS.ProcessEnv = process.env): void {
  const file = path.resolve(env.ASSAY_DATA_DIR ?? '.assay', FILE);
  if (!fs.existsSync(file)) return;
  const values = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>;
  for (const [key, value] of Object.entries(values)) if (env[key] === undefined) env[key] = value;
}
