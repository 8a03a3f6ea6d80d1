import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/**
 * A build-once cache for the models acceptance runs forge: an entry is keyed by a content hash of its recipe
 * spec (sizes, steps, seeds, the bytes of the data files used, a manual recipe version), built in a temporary
 * directory beside the cache and renamed into place, so a reader sees a whole entry or none. A lock directory
 * (mkdir is atomic) makes concurrent callers, in other jest workers or processes, wait for one build instead of
 * training twice; a lock whose owner died (same host, pid gone) or stopped beating its heartbeat is stale and
 * is taken over.
 */

export const ACCEPTANCE_CACHE_ENV = 'ASSAY_ACCEPTANCE_CACHE';

/** `$ASSAY_ACCEPTANCE_CACHE`, else `<tmpdir>/assay-acceptance-models`. */
export function acceptanceCacheRoot(): string {
  return process.env[ACCEPTANCE_CACHE_ENV] ?? path.join(os.tmpdir(), 'assay-acceptance-models');
}

/** JSON with object keys sorted, so equal specs hash equally whatever their key order. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** SHA-256 of a file's bytes (data files are part of a recipe's identity). */
export function fileSha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** First 16 hex digits of the SHA-256 of the spec's stable JSON. */
export function recipeHash(spec: unknown): string {
  return createHash('sha256').update(stableJson(spec)).digest('hex').slice(0, 16);
}

export interface CachedBuild<R> {
  /** The entry directory: `<root>/<name>-<hash>`. */
  dir: string;
  hash: string;
  /** What the builder returned (stored as result.json). */
  result: R;
  /** True when this call built the entry. */
  built: boolean;
}

export interface CachedBuildOptions<R> {
  name: string;
  /** Everything that determines the output; its hash names the entry. */
  spec: unknown;
  /** Writes the entry's files into `dir` (a fresh temporary directory) and returns a JSON-serialisable result. */
  build: (dir: string, hash: string) => Promise<R>;
  /** Cache root (default acceptanceCacheRoot()). */
  root?: string;
  /** How often the lock holder touches its heartbeat file (default 2 s). */
  heartbeatMs?: number;
  /** A lock whose heartbeat is older than this is stale (default 120 s). */
  staleAfterMs?: number;
  /** How often a waiting caller looks again (default 250 ms). */
  pollMs?: number;
  progress?: (line: string) => void;
}

const RESULT_FILE = 'result.json';
const OWNER_FILE = 'owner.json';

interface LockOwner {
  pid: number;
  host: string;
  started: string;
}

/** Removes the lock if it is still ours (not taken over by a caller that judged it stale). */
function releaseLock(lockDir: string, owner: LockOwner): void {
  try {
    const current = JSON.parse(fs.readFileSync(path.join(lockDir, OWNER_FILE), 'utf8')) as LockOwner;
    if (current.pid !== owner.pid || current.host !== owner.host || current.started !== owner.started) return;
  } catch {
    return;
  }
  fs.rmSync(lockDir, { recursive: true, force: true });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function readEntry<R>(dir: string): R | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, RESULT_FILE), 'utf8')) as R;
  } catch {
    return undefined;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Why a lock is stale, or undefined while its owner is alive and beating. */
export function staleLockReason(lockDir: string, staleAfterMs: number, now = Date.now()): string | undefined {
  const ownerFile = path.join(lockDir, OWNER_FILE);
  let owner: LockOwner | undefined;
  let beat: number;
  try {
    owner = JSON.parse(fs.readFileSync(ownerFile, 'utf8')) as LockOwner;
    beat = fs.statSync(ownerFile).mtimeMs;
  } catch {
    // Just created (owner not written yet), or half written: judge by the directory's age.
    try {
      beat = fs.statSync(lockDir).mtimeMs;
    } catch {
      return undefined; // gone already
    }
  }
  if (owner && owner.host === os.hostname() && !processAlive(owner.pid)) return `owner pid ${owner.pid} is gone`;
  if (now - beat > staleAfterMs) return `no heartbeat for ${Math.round((now - beat) / 1000)} s`;
  return undefined;
}

/**
 * Returns the cached entry for `spec`, building it first when absent. Exactly one caller builds; the others
 * (other processes included) wait on the lock and then read the finished entry.
 */
export async function cachedBuild<R>(options: CachedBuildOptions<R>): Promise<CachedBuild<R>> {
  const root = options.root ?? acceptanceCacheRoot();
  const hash = recipeHash({ name: options.name, spec: options.spec });
  const dir = path.join(root, `${options.name}-${hash}`);
  const lockDir = `${dir}.lock`;
  const staleAfterMs = options.staleAfterMs ?? 120_000;
  fs.mkdirSync(root, { recursive: true });
  let waitingSaid = false;
  for (;;) {
    const cached = readEntry<R>(dir);
    if (cached !== undefined) return { dir, hash, result: cached, built: false };
    try {
      fs.mkdirSync(lockDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const stale = staleLockReason(lockDir, staleAfterMs);
      if (stale !== undefined) {
        options.progress?.(`${options.name}: taking over a stale lock (${stale})`);
        // Rename first: of two callers that both saw it stale, only one moves it, so neither removes a fresh lock.
        const moved = `${lockDir}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
        try {
          fs.renameSync(lockDir, moved);
          fs.rmSync(moved, { recursive: true, force: true });
        } catch {
          /* someone else took it over */
        }
        continue;
      }
      if (!waitingSaid) options.progress?.(`${options.name}: waiting for the build in progress (${lockDir})`);
      waitingSaid = true;
      await sleep(options.pollMs ?? 250);
      continue;
    }
    return await buildLocked(options, { root, hash, dir, lockDir });
  }
}

async function buildLocked<R>(options: CachedBuildOptions<R>, at: { root: string; hash: string; dir: string; lockDir: string }): Promise<CachedBuild<R>> {
  const ownerFile = path.join(at.lockDir, OWNER_FILE);
  const owner: LockOwner = { pid: process.pid, host: os.hostname(), started: new Date().toISOString() };
  fs.writeFileSync(ownerFile, JSON.stringify(owner));
  const heartbeat = setInterval(() => {
    const now = new Date();
    try {
      fs.utimesSync(ownerFile, now, now);
    } catch {
      /* lock taken over; the rename below still publishes a complete entry */
    }
  }, options.heartbeatMs ?? 2_000);
  heartbeat.unref();
  const tmp = path.join(at.root, `.tmp-${options.name}-${at.hash}-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    // Finished by another caller between our look and our lock?
    const cached = readEntry<R>(at.dir);
    if (cached !== undefined) return { dir: at.dir, hash: at.hash, result: cached, built: false };
    fs.mkdirSync(tmp, { recursive: true });
    options.progress?.(`${options.name}: building ${at.dir}`);
    const result = await options.build(tmp, at.hash);
    fs.writeFileSync(path.join(tmp, RESULT_FILE), JSON.stringify(result, null, 2));
    try {
      fs.renameSync(tmp, at.dir);
    } catch (err) {
      // A complete entry is already there (a builder that took over a lock we held too long): keep it.
      if (readEntry<R>(at.dir) === undefined) throw err;
      fs.rmSync(tmp, { recursive: true, force: true });
    }
    return { dir: at.dir, hash: at.hash, result: readEntry<R>(at.dir) as R, built: true };
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  } finally {
    clearInterval(heartbeat);
    releaseLock(at.lockDir, owner);
  }
}
