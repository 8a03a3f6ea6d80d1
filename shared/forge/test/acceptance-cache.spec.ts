import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cachedBuild, recipeHash, stableJson, staleLockReason } from '../src/recipes/acceptance-cache';

/** The build-once cache with a trivial builder: one build for concurrent callers, new spec → new entry, stale locks. */
describe('acceptance model cache', () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'assay-cache-spec-'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  /** A builder that counts its runs, takes a while, and writes one file. */
  function counter(delayMs = 300) {
    let builds = 0;
    const build = async (dir: string) => {
      builds++;
      await new Promise((r) => setTimeout(r, delayMs));
      fs.writeFileSync(path.join(dir, 'weights.txt'), 'w');
      return { builds };
    };
    return { build, count: () => builds };
  }

  it('hashes specs by content, whatever the key order', () => {
    expect(stableJson({ b: 1, a: [1, { d: 2, c: 3 }] })).toBe('{"a":[1,{"c":3,"d":2}],"b":1}');
    expect(recipeHash({ a: 1, b: 2 })).toBe(recipeHash({ b: 2, a: 1 }));
    expect(recipeHash({ a: 1, b: 2 })).not.toBe(recipeHash({ a: 1, b: 3 }));
  });

  it('builds once for concurrent callers; the others wait and read the same entry', async () => {
    const c = counter();
    const calls = await Promise.all([0, 1, 2, 3].map(() => cachedBuild({ name: 'tiny', spec: { steps: 1 }, root, build: c.build, pollMs: 20 })));
    expect(c.count()).toBe(1);
    expect(calls.filter((x) => x.built)).toHaveLength(1);
    expect(new Set(calls.map((x) => x.dir)).size).toBe(1);
    expect(fs.readFileSync(path.join(calls[0].dir, 'weights.txt'), 'utf8')).toBe('w');
    expect(calls.every((x) => x.result.builds === 1)).toBe(true);
    // Nothing is left behind but the entry: no lock, no temporary directory.
    expect(fs.readdirSync(root)).toEqual([path.basename(calls[0].dir)]);
    const again = await cachedBuild({ name: 'tiny', spec: { steps: 1 }, root, build: c.build });
    expect(again).toMatchObject({ built: false, dir: calls[0].dir });
    expect(c.count()).toBe(1);
  });

  it('builds once across processes', async () => {
    const script = `
      const { cachedBuild } = require(${JSON.stringify(path.join(__dirname, '../src/recipes/acceptance-cache.ts'))});
      const fs = require('fs'), path = require('path');
      cachedBuild({ name: 'proc', spec: { v: 1 }, root: ${JSON.stringify(root)}, pollMs: 20, build: async (dir) => {
        fs.appendFileSync(path.join(${JSON.stringify(root)}, 'builds.log'), process.pid + '\\n');
        await new Promise((r) => setTimeout(r, 500));
        return { pid: process.pid };
      } }).then((r) => process.stdout.write(JSON.stringify(r.result)));`;
    const run = () =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, ['-r', require.resolve('@swc-node/register'), '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`child exited with ${code}`))));
      });
    const outs = await Promise.all([run(), run(), run()]);
    expect(fs.readFileSync(path.join(root, 'builds.log'), 'utf8').trim().split('\n')).toHaveLength(1);
    expect(new Set(outs).size).toBe(1);
  }, 120_000);

  it('gives a changed spec its own entry', async () => {
    const c = counter(1);
    const a = await cachedBuild({ name: 'tiny', spec: { steps: 1 }, root, build: c.build });
    const b = await cachedBuild({ name: 'tiny', spec: { steps: 2 }, root, build: c.build });
    expect(c.count()).toBe(2);
    expect(a.dir).not.toBe(b.dir);
    expect(a.hash).not.toBe(b.hash);
  });

  it('takes over a lock whose owner died, and one whose heartbeat stopped', async () => {
    const c = counter(1);
    const spec = { steps: 3 };
    const entry = path.join(root, `tiny-${recipeHash({ name: 'tiny', spec })}`);
    // A dead owner on this host: a pid that has exited.
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => dead.on('exit', r));
    fs.mkdirSync(`${entry}.lock`);
    fs.writeFileSync(path.join(`${entry}.lock`, 'owner.json'), JSON.stringify({ pid: dead.pid, host: os.hostname(), started: 'x' }));
    expect(staleLockReason(`${entry}.lock`, 60_000)).toMatch(/gone/);
    const lines: string[] = [];
    const first = await cachedBuild({ name: 'tiny', spec, root, build: c.build, pollMs: 10, progress: (l) => lines.push(l) });
    expect(first.built).toBe(true);
    expect(lines.join('\n')).toMatch(/stale lock/);

    // A live pid elsewhere (another host) whose heartbeat is old.
    const spec2 = { steps: 4 };
    const entry2 = path.join(root, `tiny-${recipeHash({ name: 'tiny', spec: spec2 })}`);
    fs.mkdirSync(`${entry2}.lock`);
    const owner = path.join(`${entry2}.lock`, 'owner.json');
    fs.writeFileSync(owner, JSON.stringify({ pid: process.pid, host: 'another-host', started: 'x' }));
    const old = new Date(Date.now() - 10_000);
    fs.utimesSync(owner, old, old);
    expect(staleLockReason(`${entry2}.lock`, 60_000)).toBeUndefined();
    const second = await cachedBuild({ name: 'tiny', spec: spec2, root, build: c.build, pollMs: 10, staleAfterMs: 5_000 });
    expect(second.built).toBe(true);
    expect(c.count()).toBe(2);
    expect(fs.existsSync(`${entry2}.lock`)).toBe(false);
  });

  it('leaves no entry when the build fails, and the next caller builds', async () => {
    await expect(cachedBuild({ name: 'bad', spec: {}, root, build: async () => Promise.reject(new Error('boom')) })).rejects.toThrow('boom');
    expect(fs.readdirSync(root)).toEqual([]);
    const ok = await cachedBuild({ name: 'bad', spec: {}, root, build: async () => ({ ok: true }) });
    expect(ok.result).toEqual({ ok: true });
  });
});
