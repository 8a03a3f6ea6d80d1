import * as fs from 'fs';
import * as path from 'path';
import { IntegrityError, LocalArtifactCache, ObjectStore, sha256Hex } from '@assay/artifacts';
import { S3Fixture, seededBytes, startS3Fixture } from './s3-fixture';

describe('LocalArtifactCache over the object store', () => {
  let fx: S3Fixture;
  let store: ObjectStore;
  let cacheDir: string;
  let n = 0;

  beforeAll(async () => {
    fx = await startS3Fixture();
    store = fx.store;
  });
  afterAll(() => fx.close());
  beforeEach(() => {
    cacheDir = path.join(fx.workDir, `cache-${n++}`);
  });
  afterEach(() => jest.restoreAllMocks());

  async function putBlob(key: string, seed: number, size: number) {
    const body = seededBytes(seed, size);
    const { sha256 } = await store.put(key, body);
    return { body, expected: { sha256, size } };
  }

  it('downloads once; a hit (even from a new instance on the same dir) does not touch the store', async () => {
    const { body, expected } = await putBlob('c/one.bin', 1, 200_000);
    const get = jest.spyOn(store, 'get');
    const cache = new LocalArtifactCache(cacheDir, 10_000_000);

    const first = await cache.get('c/one.bin', expected, () => store.get('c/one.bin'));
    expect(first).toBe(path.join(cacheDir, 'objects', 'c', 'one.bin'));
    expect(fs.readFileSync(first).equals(body)).toBe(true);
    expect(get).toHaveBeenCalledTimes(1);

    expect(await cache.get('c/one.bin', expected, () => store.get('c/one.bin'))).toBe(first);
    expect(get).toHaveBeenCalledTimes(1);

    const reopened = new LocalArtifactCache(cacheDir, 10_000_000);
    expect(await reopened.get('c/one.bin', expected, () => store.get('c/one.bin'))).toBe(first);
    expect(get).toHaveBeenCalledTimes(1);
    expect(await reopened.usage()).toEqual({ bytes: 200_000, entries: 1 });
  });

  it('concurrent callers share one download', async () => {
    const { body, expected } = await putBlob('c/shared.bin', 2, 3_000_000);
    const get = jest.spyOn(store, 'get');
    const cache = new LocalArtifactCache(cacheDir, 100_000_000);
    const paths = await Promise.all(Array.from({ length: 5 }, () => cache.get('c/shared.bin', expected, () => store.get('c/shared.bin'))));
    expect(new Set(paths).size).toBe(1);
    expect(get).toHaveBeenCalledTimes(1);
    expect(fs.readFileSync(paths[0]).equals(body)).toBe(true);
  });

  it('refetches when the object changed (new sha256), replacing the file atomically', async () => {
    const cache = new LocalArtifactCache(cacheDir, 100_000_000);
    const v1 = await putBlob('c/changing.bin', 3, 50_000);
    const p1 = await cache.get('c/changing.bin', v1.expected, () => store.get('c/changing.bin'));
    const v2 = await putBlob('c/changing.bin', 4, 60_000);
    const get = jest.spyOn(store, 'get');
    const p2 = await cache.get('c/changing.bin', v2.expected, () => store.get('c/changing.bin'));
    expect(p2).toBe(p1);
    expect(get).toHaveBeenCalledTimes(1);
    expect(fs.readFileSync(p2).equals(v2.body)).toBe(true);
    expect(await cache.usage()).toEqual({ bytes: 60_000, entries: 1 });
    expect(fs.readdirSync(path.join(cacheDir, 'tmp'))).toEqual([]);
  });

  it('refetches a cached file that was deleted or truncated locally', async () => {
    const cache = new LocalArtifactCache(cacheDir, 100_000_000);
    const { body, expected } = await putBlob('c/fragile.bin', 5, 10_000);
    const p = await cache.get('c/fragile.bin', expected, () => store.get('c/fragile.bin'));
    fs.truncateSync(p, 10);
    const get = jest.spyOn(store, 'get');
    await cache.get('c/fragile.bin', expected, () => store.get('c/fragile.bin'));
    expect(get).toHaveBeenCalledTimes(1);
    expect(fs.readFileSync(p).equals(body)).toBe(true);
  });

  it('caches nothing when the bytes do not match the expected sha256', async () => {
    const cache = new LocalArtifactCache(cacheDir, 100_000_000);
    const { expected } = await putBlob('c/wrong.bin', 6, 10_000);
    const lie = { sha256: sha256Hex('something else'), size: expected.size };
    await expect(cache.get('c/wrong.bin', lie, () => store.get('c/wrong.bin'))).rejects.toThrow(IntegrityError);
    expect(fs.existsSync(cache.pathOf('c/wrong.bin'))).toBe(false);
    expect(fs.readdirSync(path.join(cacheDir, 'tmp'))).toEqual([]);
    expect(await cache.usage()).toEqual({ bytes: 0, entries: 0 });
  });

  it('evicts least recently used entries beyond maxBytes, sparing pinned ones', async () => {
    const cache = new LocalArtifactCache(cacheDir, 250_000);
    const blobs = await Promise.all([0, 1, 2, 3].map((i) => putBlob(`lru/${i}.bin`, 10 + i, 100_000)));
    const fetchBlob = (i: number) => cache.get(`lru/${i}.bin`, blobs[i].expected, () => store.get(`lru/${i}.bin`));

    await fetchBlob(0);
    await fetchBlob(1);
    await fetchBlob(0); // 0 is now more recent than 1
    await fetchBlob(2); // 300 kB > 250 kB: evicts 1, the least recently used
    expect(fs.existsSync(cache.pathOf('lru/1.bin'))).toBe(false);
    expect(fs.existsSync(cache.pathOf('lru/0.bin'))).toBe(true);
    expect(await cache.usage()).toEqual({ bytes: 200_000, entries: 2 });

    const release = cache.pin(['lru/0.bin']);
    await fetchBlob(3); // 0 is older than 2 but pinned: 2 goes
    expect(fs.existsSync(cache.pathOf('lru/0.bin'))).toBe(true);
    expect(fs.existsSync(cache.pathOf('lru/2.bin'))).toBe(false);
    release();
    expect(await cache.usage()).toEqual({ bytes: 200_000, entries: 2 });
  });

  it('serves an artifact larger than maxBytes (nothing else can be evicted)', async () => {
    const cache = new LocalArtifactCache(cacheDir, 1000);
    const { body, expected } = await putBlob('c/huge.bin', 20, 5000);
    const p = await cache.get('c/huge.bin', expected, () => store.get('c/huge.bin'));
    expect(fs.readFileSync(p).equals(body)).toBe(true);
  });
});
