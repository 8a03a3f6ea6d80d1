import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import * as Minio from 'minio';
import { ObjectStore, UnavailableError, startEmbeddedS3 } from '@assay/artifacts';

const credentials = { accessKey: 'embedded-test', secretKey: 'embedded-secret' };

describe('startEmbeddedS3', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'assay-embedded-s3-'));
  });
  afterEach(() => fs.promises.rm(dir, { recursive: true, force: true }));

  const storeFor = (endpoint: string, bucket = 'data') => new ObjectStore({ endpoint, ...credentials, region: 'us-east-1', bucket });
  const signerFor = (host: string, port: number) =>
    new Minio.Client({ endPoint: host, port, useSSL: false, ...credentials, region: 'us-east-1', pathStyle: true });

  it('picks a free port, creates buckets, keeps data across restarts, frees the port on close', async () => {
    const first = await startEmbeddedS3({ directory: dir, ...credentials, buckets: ['data'] });
    expect(first.port).toBeGreaterThan(0);
    expect(first.endpoint).toBe(`http://127.0.0.1:${first.port}`);
    await storeFor(first.endpoint).ping();
    await storeFor(first.endpoint).put('kept/x.txt', Buffer.from('survives'));
    await first.close();
    await expect(storeFor(first.endpoint).ping()).rejects.toThrow(UnavailableError);

    // The same port is free again: the launcher can restart on a fixed port.
    const again = await startEmbeddedS3({ directory: dir, port: first.port, ...credentials, buckets: ['data'] });
    try {
      expect(again.port).toBe(first.port);
      expect((await storeFor(again.endpoint).getBuffer('kept/x.txt')).toString()).toBe('survives');
    } finally {
      await again.close();
    }
  });

  it('answers path-style requests whatever the Host header (a compose service name is not a bucket)', async () => {
    const s3 = await startEmbeddedS3({ directory: dir, ...credentials, buckets: ['data'] });
    try {
      await storeFor(s3.endpoint).put('a/b.txt', Buffer.from('by name'));
      // As in docker-compose, where the endpoint is http://s3:<port>; s3rver's default vhost mode would read
      // `s3` as the bucket. The URL is signed for that host name, as a client in the compose network signs it.
      const url = new URL(await signerFor('s3', s3.port).presignedGetObject('data', 'a/b.txt', 60));
      const body = await new Promise<string>((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port: s3.port, path: url.pathname + url.search, headers: { host: `s3:${s3.port}` } }, (res) => {
            let text = '';
            res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
            res.on('end', () => resolve(`${res.statusCode} ${text}`));
          })
          .on('error', reject);
      });
      expect(body).toBe('200 by name');
    } finally {
      await s3.close();
    }
  });

  it('refuses anonymous and wrongly signed requests (403) and serves the platform\'s signed client and presigned URLs', async () => {
    const s3 = await startEmbeddedS3({ directory: dir, ...credentials, buckets: ['data'] });
    try {
      const store = storeFor(s3.endpoint);
      await store.put('models/m/1/model.onnx', Buffer.from('weights'));
      const status = async (method: string, pathAndQuery: string, body?: string) =>
        (await fetch(`${s3.endpoint}${pathAndQuery}`, { method, body })).status;
      // Anonymous: read, list, write and delete are all refused, and nothing changed.
      expect(await status('GET', '/data/models/m/1/model.onnx')).toBe(403);
      expect(await status('GET', '/data?list-type=2&prefix=models/')).toBe(403);
      expect(await status('GET', '/')).toBe(403);
      expect(await status('PUT', '/data/models/m/1/model.onnx', 'swapped')).toBe(403);
      expect(await status('DELETE', '/data/models/m/1/model.onnx')).toBe(403);
      expect((await store.getBuffer('models/m/1/model.onnx')).toString()).toBe('weights');

      // Signed with the right access key but the wrong secret: refused, over the client's own code paths.
      const impostor = new ObjectStore({ endpoint: s3.endpoint, accessKey: credentials.accessKey, secretKey: 'guessed', region: 'us-east-1', bucket: 'data' });
      await expect(impostor.getBuffer('models/m/1/model.onnx')).rejects.toThrow();
      await expect(impostor.put('models/m/1/model.onnx', Buffer.from('swapped'))).rejects.toThrow();
      await expect(impostor.list('models/')).rejects.toThrow();
      expect((await store.getBuffer('models/m/1/model.onnx')).toString()).toBe('weights');

      // Presigned: the store's URL works; the same URL with a garbage or stripped signature does not.
      const presigned = await store.presignedGetUrl('models/m/1/model.onnx', 60);
      expect(await (await fetch(presigned)).text()).toBe('weights');
      const garbage = presigned.replace(/X-Amz-Signature=[0-9a-f]+/, `X-Amz-Signature=${'0'.repeat(64)}`);
      expect((await fetch(garbage)).status).toBe(403);
      const otherKey = presigned.replace('/models/m/1/model.onnx?', '/models/m/1/config.json?');
      expect((await fetch(otherKey)).status).toBe(403);
      const unsigned = presigned.split('?')[0];
      expect((await fetch(unsigned)).status).toBe(403);
      const body = await (await fetch(garbage)).text();
      expect(body).toContain('<Code>SignatureDoesNotMatch</Code>');

      // The signed client does everything it needs to.
      expect((await store.list('models/', { recursive: true })).objects.map((o) => o.key)).toEqual(['models/m/1/model.onnx']);
      await store.delete('models/m/1/model.onnx');
      expect(await store.exists('models/m/1/model.onnx')).toBe(false);
    } finally {
      await s3.close();
    }
  });

  it('rejects, instead of crashing the process, when its port is taken', async () => {
    const first = await startEmbeddedS3({ directory: dir, ...credentials, buckets: ['data'] });
    try {
      await expect(startEmbeddedS3({ directory: path.join(dir, 'second'), ...credentials, port: first.port })).rejects.toThrow(/EADDRINUSE/);
      await storeFor(first.endpoint).ping();
    } finally {
      await first.close();
    }
  });

  it('keeps the previous object intact when an upload over it is interrupted', async () => {
    const s3 = await startEmbeddedS3({ directory: dir, ...credentials, buckets: ['data'] });
    try {
      const store = storeFor(s3.endpoint);
      const original = Buffer.alloc(100_000, 1);
      await store.put('torn/x.bin', original);
      // A client that dies half-way through a PUT (raw request: s3rver accepts unsigned ones).
      await new Promise<void>((resolve) => {
        const req = http.request({
          host: '127.0.0.1',
          port: s3.port,
          method: 'PUT',
          path: '/data/torn/x.bin',
          headers: { 'content-length': '100000' },
        });
        req.on('error', () => resolve());
        req.write(Buffer.alloc(50_000, 2), () => setTimeout(() => req.destroy(), 100));
        req.on('close', () => resolve());
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect((await store.getBuffer('torn/x.bin')).equals(original)).toBe(true);
      const leftovers = fs.readdirSync(path.dirname(s3.objectPath('data', 'torn/x.bin'))).filter((f) => f.endsWith('.partial'));
      expect(leftovers).toEqual([]);
    } finally {
      await s3.close();
    }
  });

  it('closes promptly even with a client keep-alive connection open', async () => {
    const s3 = await startEmbeddedS3({ directory: dir, ...credentials, buckets: ['data'] });
    await storeFor(s3.endpoint).ping(); // leaves a pooled keep-alive socket
    const socket = net.connect(s3.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const t0 = Date.now();
    await s3.close();
    expect(Date.now() - t0).toBeLessThan(2000);
    socket.destroy();
  });

  it('turns a 503 during a streamed upload into UnavailableError instead of resending a consumed stream', async () => {
    const s3 = await startEmbeddedS3({ directory: dir, ...credentials, buckets: ['data'] });
    const upstream = new URL(s3.endpoint);
    let putsToFail = 1;
    // Fault injection in front of the real server: the first PUT is answered 503 (S3's SlowDown).
    const proxy = http.createServer((req, res) => {
      if (req.method === 'PUT' && putsToFail > 0) {
        putsToFail--;
        req.resume();
        res.writeHead(503).end();
        return;
      }
      const forward = http.request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      req.pipe(forward);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined); // minio-js logs its retry
    try {
      const store = storeFor(`http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`);
      const file = path.join(dir, 'upload.bin');
      await fs.promises.writeFile(file, Buffer.alloc(2_000_000, 7));
      await expect(store.putFile('retry/upload.bin', file)).rejects.toThrow(/failed mid-upload; retry the put/);
      expect(await store.exists('retry/upload.bin')).toBe(false);
      await store.putFile('retry/upload.bin', file);
      expect((await store.stat('retry/upload.bin')).size).toBe(2_000_000);
    } finally {
      warn.mockRestore();
      proxy.closeAllConnections();
      proxy.close();
      await s3.close();
    }
  });
});
