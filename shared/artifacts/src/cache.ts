import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Readable } from 'stream';
import { pipeline } from 'stream/promises';
import { VerifyingStream, isSha256Hex } from './integrity';
import { assertValidKey, assertValidPrefix } from './keys';

export interface ExpectedContent {
  sha256: string;
  size: number;
}

interface Entry extends ExpectedContent {
  /** Access order: strictly increasing, so accesses within one millisecond still rank. */
  lastAccess: number;
}

const STALE_TEMP_MS = 24 * 3600 * 1000;

/**
 * Read-through disk cache for large artifacts (model weights, tokenizers).
 *
 * An entry is an object key plus the sha256 its bytes must have: asking for a key with a different
 * sha256 (the object changed) refetches it. Entries live at `<dir>/objects/<key>`, so the files of a
 * model version sit together in one directory under their own names, as ONNX Runtime and tokenizers
 * expect; `<dir>/index/<key>.json` records each entry's sha256 and size, and its mtime is the
 * entry's last access (kept by us, since filesystems are often mounted noatime).
 *
 * Downloads are verified and written to `<dir>/tmp` and renamed into place, so a path this cache
 * returns always holds complete, verified bytes. Concurrent callers for one key share one download.
 * When the total exceeds maxBytes, least recently used entries are removed, except pinned ones and
 * the entry just added (a single artifact bigger than maxBytes is still served). Hits are checked by
 * size, not re-hashed. One process should own a cache directory: others would not see its accounting.
 */
export class LocalArtifactCache {
  private readonly objectsDir: string;
  private readonly indexDir: string;
  private readonly tmpDir: string;
  private entries = new Map<string, Entry>();
  private totalBytes = 0;
  private loaded?: Promise<void>;
  private readonly inflight = new Map<string, { sha256: string; promise: Promise<string> }>();
  private readonly pins = new Map<string, number>();
  private clock = 0;

  constructor(
    readonly dir: string,
    readonly maxBytes: number,
  ) {
    if (!(maxBytes > 0)) throw new Error(`cache maxBytes must be positive, got ${maxBytes}`);
    const root = path.resolve(dir);
    this.objectsDir = path.join(root, 'objects');
    this.indexDir = path.join(root, 'index');
    this.tmpDir = path.join(root, 'tmp');
  }

  /** Where `key` lives (or would live) locally. */
  pathOf(key: string): string {
    return this.resolveUnder(this.objectsDir, assertValidKey(key));
  }

  /** The local directory holding the entries under `prefix` (e.g. one model version). */
  directoryOf(prefix: string): string {
    return this.resolveUnder(this.objectsDir, assertValidPrefix(prefix).replace(/\/$/, ''));
  }

  /**
   * The local path of `key` holding exactly `expected`; on a miss `open()` supplies the bytes,
   * which are verified (IntegrityError on mismatch, nothing cached) before they become visible.
   */
  async get(key: string, expected: ExpectedContent, open: () => Promise<Readable>): Promise<string> {
    assertValidKey(key);
    if (!isSha256Hex(expected.sha256) || !Number.isInteger(expected.size) || expected.size < 0) {
      throw new Error(`cache get ${key}: expected content needs a sha256 hex and a size`);
    }
    await this.load();
    for (;;) {
      const running = this.inflight.get(key);
      if (!running) break;
      if (running.sha256 === expected.sha256) return running.promise;
      await running.promise.catch(() => undefined);
    }
    // No await between the check above and this registration: later callers find it.
    const promise = this.lookupOrDownload(key, expected, open).finally(() => this.inflight.delete(key));
    this.inflight.set(key, { sha256: expected.sha256, promise });
    return promise;
  }

  /** Protects entries from eviction until the returned function is called. */
  pin(keys: string[]): () => void {
    for (const key of keys) this.pins.set(key, (this.pins.get(key) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const key of keys) {
        const count = (this.pins.get(key) ?? 1) - 1;
        if (count > 0) this.pins.set(key, count);
        else this.pins.delete(key);
      }
    };
  }

  /** Removes entries under `prefix` except those in `keep`. */
  async removePrefix(prefix: string, keep: Iterable<string> = []): Promise<void> {
    assertValidPrefix(prefix);
    await this.load();
    const kept = new Set(keep);
    const victims = [...this.entries.keys()].filter((key) => key.startsWith(prefix) && !kept.has(key));
    await Promise.all(victims.map((key) => this.remove(key)));
  }

  async usage(): Promise<{ bytes: number; entries: number }> {
    await this.load();
    return { bytes: this.totalBytes, entries: this.entries.size };
  }

  private async lookupOrDownload(key: string, expected: ExpectedContent, open: () => Promise<Readable>): Promise<string> {
    const entry = this.entries.get(key);
    if (entry && entry.sha256 === expected.sha256 && entry.size === expected.size) {
      const size = await fs.promises.stat(this.pathOf(key)).then((s) => s.size, () => -1);
      if (size === entry.size) return this.hit(key, entry);
    }
    return this.download(key, expected, open);
  }

  private async hit(key: string, entry: Entry): Promise<string> {
    entry.lastAccess = ++this.clock;
    const now = new Date();
    await fs.promises.utimes(this.indexPath(key), now, now).catch(() => undefined);
    return this.pathOf(key);
  }

  private async download(key: string, expected: ExpectedContent, open: () => Promise<Readable>): Promise<string> {
    await fs.promises.mkdir(this.tmpDir, { recursive: true });
    const temp = path.join(this.tmpDir, `${randomBytes(8).toString('hex')}.partial`);
    try {
      const source = await open();
      await pipeline(source, new VerifyingStream(expected, `cache ${key}`), fs.createWriteStream(temp));
      // Drop the index entry first: a crash between the steps below then leaves a miss, never a lie.
      await this.forget(key);
      const target = this.pathOf(key);
      await fs.promises.mkdir(path.dirname(target), { recursive: true });
      await fs.promises.rename(temp, target);
      await this.record(key, expected);
    } catch (err) {
      await fs.promises.rm(temp, { force: true });
      throw err;
    }
    await this.evict(key);
    return this.pathOf(key);
  }

  private async record(key: string, content: ExpectedContent): Promise<void> {
    const indexPath = this.indexPath(key);
    await fs.promises.mkdir(path.dirname(indexPath), { recursive: true });
    const temp = path.join(this.tmpDir, `${randomBytes(8).toString('hex')}.index`);
    await fs.promises.writeFile(temp, JSON.stringify({ sha256: content.sha256, size: content.size }));
    await fs.promises.rename(temp, indexPath);
    this.entries.set(key, { sha256: content.sha256, size: content.size, lastAccess: ++this.clock });
    this.totalBytes += content.size;
  }

  private async forget(key: string): Promise<void> {
    const entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
      this.totalBytes -= entry.size;
    }
    await fs.promises.rm(this.indexPath(key), { force: true });
  }

  private async remove(key: string): Promise<void> {
    await this.forget(key);
    await fs.promises.rm(this.pathOf(key), { force: true });
    await this.pruneEmptyDirs(path.dirname(this.pathOf(key)), this.objectsDir);
    await this.pruneEmptyDirs(path.dirname(this.indexPath(key)), this.indexDir);
  }

  private async evict(justAdded: string): Promise<void> {
    if (this.totalBytes <= this.maxBytes) return;
    const candidates = [...this.entries.entries()]
      .filter(([key]) => key !== justAdded && !this.pins.has(key) && !this.inflight.has(key))
      .sort((a, b) => a[1].lastAccess - b[1].lastAccess);
    const victims: string[] = [];
    let total = this.totalBytes;
    for (const [key, entry] of candidates) {
      if (total <= this.maxBytes) break;
      victims.push(key);
      total -= entry.size;
    }
    for (const key of victims) await this.remove(key);
  }

  private load(): Promise<void> {
    this.loaded ??= this.scan();
    return this.loaded;
  }

  private async scan(): Promise<void> {
    await fs.promises.mkdir(this.indexDir, { recursive: true });
    await fs.promises.mkdir(this.tmpDir, { recursive: true });
    for (const name of await fs.promises.readdir(this.tmpDir)) {
      const file = path.join(this.tmpDir, name);
      const stat = await fs.promises.stat(file).catch(() => undefined);
      if (stat && Date.now() - stat.mtimeMs > STALE_TEMP_MS) await fs.promises.rm(file, { force: true });
    }
    const names = (await fs.promises.readdir(this.indexDir, { recursive: true })) as string[];
    const found: [string, Entry, number][] = [];
    for (const name of names) {
      if (!name.endsWith('.json')) continue;
      const file = path.join(this.indexDir, name);
      try {
        const stat = await fs.promises.stat(file);
        if (!stat.isFile()) continue;
        const { sha256, size } = JSON.parse(await fs.promises.readFile(file, 'utf8')) as ExpectedContent;
        const key = name.slice(0, -'.json'.length).split(path.sep).join('/');
        if (!isSha256Hex(sha256) || !Number.isInteger(size)) continue;
        found.push([key, { sha256, size, lastAccess: 0 }, stat.mtimeMs]);
      } catch {
        // an unreadable index file is a miss; the next download of that key rewrites it
      }
    }
    // The index files' mtimes carry the access order across restarts.
    for (const [key, entry] of found.sort((a, b) => a[2] - b[2])) {
      entry.lastAccess = ++this.clock;
      this.entries.set(key, entry);
      this.totalBytes += entry.size;
    }
  }

  private indexPath(key: string): string {
    return `${this.resolveUnder(this.indexDir, key)}.json`;
  }

  private resolveUnder(root: string, key: string): string {
    const resolved = path.resolve(root, ...key.split('/'));
    if (resolved !== root && !resolved.startsWith(root + path.sep)) {
      throw new Error(`cache path for ${key} escapes ${root}`);
    }
    return resolved;
  }

  private async pruneEmptyDirs(from: string, root: string): Promise<void> {
    let dir = from;
    while (dir.startsWith(root + path.sep)) {
      try {
        await fs.promises.rmdir(dir);
      } catch {
        return;
      }
      dir = path.dirname(dir);
    }
  }
}
