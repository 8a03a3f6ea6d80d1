import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Readable } from 'stream';
import { IntegrityError, InvalidKeyError, NotFoundError, ObjectStore, UnavailableError, sha256File, sha256Hex } from '@assay/artifacts';
import { S3Fixture, TEST_BUCKET, TEST_CREDENTIALS, seededBytes, startS3Fixture, tamperOnDisk } from './s3-fixture';

const MB = 1024 * 1024;

/** 50 MB produced chunk by chunk, never held whole in memory; its sha256 is known once it ends. */
function bigStream(chunks: number): { stream: Readable; sha256: () => string } {
  const hash = createHash('sha256');
  let digest = '';
  let i = 0;
  const stream = new Readable({
    read() {
      if (i === chunks) {
        digest = hash.digest('hex');
        this.push(null);
        return;
      }
      const chunk = seededBytes(1000 + i++, MB);
      hash.update(chunk);
      this.push(chunk);
    },
  });
  return { stream, sha256: () => digest };
}

async function hashStream(stream: Readable): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

describe('ObjectStore against s3rver', () => {
  let fx: S3Fixture;
  let store: ObjectStore;

  beforeAll(async () => {
    fx = await startS3Fixture();
    store = fx.store;
  });
  afterAll(() => fx.close());

  it('round-trips 50 MB streamed both ways with its sha256 verified', async () => {
    const { stream, sha256 } = bigStream(50);
    const t0 = performance.now();
    const put = await store.put('big/50mb.bin', stream, { size: 50 * MB });
    const t1 = performance.now();
    expect(put).toEqual({ key: 'big/50mb.bin', size: 50 * MB, sha256: sha256() });

    const stat = await store.stat('big/50mb.bin');
    expect(stat.size).toBe(50 * MB);
    expect(stat.sha256).toBe(sha256());

    const t2 = performance.now();
    const read = await hashStream(await store.get('big/50mb.bin'));
    const t3 = performance.now();
    expect(read).toEqual({ sha256: sha256(), size: 50 * MB });

    const file = path.join(fx.workDir, 'download', '50mb.bin');
    const t4 = performance.now();
    await store.getToFile('big/50mb.bin', file);
    const t5 = performance.now();
    expect(await sha256File(file)).toEqual({ sha256: sha256(), size: 50 * MB });

    const t6 = performance.now();
    await store.putFile('big/50mb-copy.bin', file);
    const t7 = performance.now();
    expect((await store.stat('big/50mb-copy.bin')).sha256).toBe(sha256());

    // eslint-disable-next-line no-console
    console.log(
      `50 MB via s3rver: put(stream, spooled) ${(t1 - t0).toFixed(0)} ms, get(stream, verified) ${(t3 - t2).toFixed(0)} ms, ` +
        `getToFile ${(t5 - t4).toFixed(0)} ms, putFile ${(t7 - t6).toFixed(0)} ms`,
    );
    await store.delete('big/50mb-copy.bin');
  });

  it('detects a tampered object on every read path', async () => {
    const body = seededBytes(7, 300_000);
    await store.put('tamper/blob.bin', body);
    expect((await store.getBuffer('tamper/blob.bin')).equals(body)).toBe(true);

    await tamperOnDisk(fx, 'tamper/blob.bin', 123_456);

    await expect(store.getBuffer('tamper/blob.bin')).rejects.toThrow(IntegrityError);
    await expect(hashStream(await store.get('tamper/blob.bin'))).rejects.toThrow(IntegrityError);
    const target = path.join(fx.workDir, 'tampered', 'blob.bin');
    await expect(store.getToFile('tamper/blob.bin', target)).rejects.toThrow(/does not match recorded/);
    // Nothing half-verified is left behind: no target, no temp file.
    expect(fs.existsSync(target)).toBe(false);
    expect(fs.readdirSync(path.dirname(target))).toEqual([]);
  });

  it('detects a truncated object (fewer bytes than recorded)', async () => {
    await store.putJson('tamper/doc.json', { a: 1, list: [1, 2, 3] });
    const file = fx.s3.objectPath(TEST_BUCKET, 'tamper/doc.json');
    await fs.promises.truncate(file, 5);
    await expect(store.getJson('tamper/doc.json')).rejects.toThrow(IntegrityError);
  });

  it('serves presigned URLs to plain fetch', async () => {
    const body = Buffer.from('presigned body ✓');
    await store.put('share/x=1/a+b@c.txt', body, { contentType: 'text/plain; charset=utf-8' });
    const url = await store.presignedGetUrl('share/x=1/a+b@c.txt', 60);
    expect(url).toContain('X-Amz-Signature=');
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(Buffer.from(await res.arrayBuffer()).equals(body)).toBe(true);
    await expect(store.presignedGetUrl('share/x=1/a+b@c.txt', 0)).rejects.toThrow(InvalidKeyError);
  });

  it('stats, lists, deletes', async () => {
    await store.put('ls/a.txt', Buffer.from('a'), { metadata: { origin: 'unit-test', run: '42' } });
    await store.put('ls/sub/b.txt', Buffer.from('bb'));
    await store.put('ls/sub/deeper/c.txt', Buffer.from('ccc'));
    await store.put('ls/p+q.txt', Buffer.from('plus'));

    const info = await store.stat('ls/a.txt');
    expect(info).toMatchObject({ key: 'ls/a.txt', size: 1, sha256: sha256Hex('a'), metadata: { origin: 'unit-test', run: '42' } });
    expect(info.lastModified.getTime()).toBeGreaterThan(Date.now() - 60_000);

    const shallow = await store.list('ls/');
    expect(shallow.objects.map((o) => o.key)).toEqual(['ls/a.txt', 'ls/p+q.txt']);
    expect(shallow.prefixes).toEqual(['ls/sub/']);
    const deep = await store.list('ls/', { recursive: true });
    expect(deep.objects.map((o) => [o.key, o.size])).toEqual([
      ['ls/a.txt', 1],
      ['ls/p+q.txt', 4],
      ['ls/sub/b.txt', 2],
      ['ls/sub/deeper/c.txt', 3],
    ]);
    expect(deep.prefixes).toEqual([]);

    expect(await store.exists('ls/a.txt')).toBe(true);
    await store.delete('ls/a.txt');
    expect(await store.exists('ls/a.txt')).toBe(false);
    await expect(store.stat('ls/a.txt')).rejects.toThrow(NotFoundError);
    await expect(store.get('ls/a.txt')).rejects.toThrow(NotFoundError);
    await store.delete('ls/a.txt'); // deleting a missing object is not an error

    expect(await store.deletePrefix('ls/sub/')).toBe(2);
    expect((await store.list('ls/', { recursive: true })).objects.map((o) => o.key)).toEqual(['ls/p+q.txt']);
    await expect(store.deletePrefix('')).rejects.toThrow(InvalidKeyError);
  });

  it('round-trips JSON and checks declared sizes', async () => {
    await store.putJson('json/x.json', { hello: 'wörld', n: [1, 2] });
    expect(await store.getJson('json/x.json')).toEqual({ hello: 'wörld', n: [1, 2] });
    expect((await store.stat('json/x.json')).contentType).toBe('application/json');
    await store.put('json/bad.json', Buffer.from('{not json'));
    await expect(store.getJson('json/bad.json')).rejects.toThrow(IntegrityError);

    await expect(store.put('sizes/a', Readable.from([Buffer.from('abc')]), { size: 4 })).rejects.toThrow(/declared size 4/);
    await expect(store.put('sizes/b', Buffer.from('abc'), { size: 2 })).rejects.toThrow(IntegrityError);
    expect(await store.exists('sizes/a')).toBe(false);
    expect(await store.put('sizes/empty', Buffer.alloc(0))).toMatchObject({ size: 0, sha256: sha256Hex('') });
    expect((await store.getBuffer('sizes/empty')).length).toBe(0);
  });

  it('rejects bad keys and metadata before any network call', async () => {
    // Nothing listens on this endpoint: any request would fail with UnavailableError instead.
    const offline = new ObjectStore({ endpoint: 'http://127.0.0.1:9', ...TEST_CREDENTIALS, region: 'us-east-1', bucket: TEST_BUCKET });
    const bad = ['../escape', 'models/../../etc/passwd', '/abs', 'a//b', 'a\\b', 'a\u0000b', 'a\nb', 'x'.repeat(513), 'a b', ''];
    for (const key of bad) {
      await expect(offline.put(key, Buffer.from('x'))).rejects.toThrow(InvalidKeyError);
      await expect(offline.putFile(key, __filename)).rejects.toThrow(InvalidKeyError);
      await expect(offline.get(key)).rejects.toThrow(InvalidKeyError);
      await expect(offline.getToFile(key, path.join(fx.workDir, 'never'))).rejects.toThrow(InvalidKeyError);
      await expect(offline.stat(key)).rejects.toThrow(InvalidKeyError);
      await expect(offline.delete(key)).rejects.toThrow(InvalidKeyError);
      await expect(offline.presignedGetUrl(key, 60)).rejects.toThrow(InvalidKeyError);
    }
    await expect(offline.list('../')).rejects.toThrow(InvalidKeyError);
    await expect(offline.deletePrefix('/')).rejects.toThrow(InvalidKeyError);
    await expect(offline.put('ok', Buffer.from('x'), { metadata: { Bad_Key: 'v' } })).rejects.toThrow(InvalidKeyError);
    await expect(offline.put('ok', Buffer.from('x'), { metadata: { sha256: 'f'.repeat(64) } })).rejects.toThrow(InvalidKeyError);
    await expect(offline.put('ok', Buffer.from('x'), { metadata: { note: 'line\nbreak' } })).rejects.toThrow(InvalidKeyError);
    // and the offline store really is unreachable, so the checks above happened before I/O
    await expect(offline.stat('ok')).rejects.toThrow(UnavailableError);
  });

  it('reports readiness', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
    const noBucket = new ObjectStore({ endpoint: fx.s3.endpoint, ...TEST_CREDENTIALS, region: 'us-east-1', bucket: 'not-created-yet' });
    await expect(noBucket.ping()).rejects.toThrow(UnavailableError);
    await noBucket.ensureBucket();
    await noBucket.ensureBucket();
    await expect(noBucket.ping()).resolves.toBeUndefined();
    const strangerKey = new ObjectStore({ endpoint: fx.s3.endpoint, accessKey: 'unknown', secretKey: 'x', region: 'us-east-1', bucket: TEST_BUCKET });
    await expect(strangerKey.ping()).rejects.toThrow(UnavailableError);
    const offline = new ObjectStore({ endpoint: 'http://127.0.0.1:9', ...TEST_CREDENTIALS, region: 'us-east-1', bucket: TEST_BUCKET, pingTimeoutMs: 2000 });
    await expect(offline.ping()).rejects.toThrow(UnavailableError);
  });

  it('refuses objects without a recorded sha256', async () => {
    await store.put('foreign/x', Buffer.from('abc'));
    const metadataFile = fx.s3.objectPath(TEST_BUCKET, 'foreign/x').replace(/object$/, 'metadata.json');
    const metadata = JSON.parse(await fs.promises.readFile(metadataFile, 'utf8')) as Record<string, string>;
    delete metadata['x-amz-meta-sha256'];
    await fs.promises.writeFile(metadataFile, JSON.stringify(metadata));
    await expect(store.getBuffer('foreign/x')).rejects.toThrow(/no valid sha256/);
    await expect(store.stat('foreign/x')).rejects.toThrow(IntegrityError);
  });
});
