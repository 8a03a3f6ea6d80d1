import { randomBytes } from 'crypto';
import * as fs from 'fs';
import type { IncomingMessage } from 'http';
import * as Minio from 'minio';
import * as os from 'os';
import * as path from 'path';
import { Readable } from 'stream';
import { pipeline } from 'stream/promises';
import { IntegrityError, InvalidKeyError, UnavailableError, UntrustedArtifactError } from './errors';
import { HashingStream, VerifyingStream, isSha256Hex, readAll, sha256File, sha256Hex } from './integrity';
import { assertValidKey, assertValidPrefix } from './keys';
import { toArtifactError } from './store-errors';
import { ArtifactSigner, SIGNATURE_HEADER } from './signing';
import { SHA256_HEADER, USER_META_PREFIX, singleUse, userHeaders } from './upload';

/** Largest object one S3 PUT may carry. */
const MAX_SINGLE_PUT = 5 * 1024 ** 3;

export interface ObjectStoreConfig {
  /** `http://host:port` or `https://host[:port]`; TLS follows the scheme. */
  endpoint: string;
  accessKey: string;
  secretKey: string;
  region: string;
  bucket: string;
  /**
   * Objects up to this size are sent as one streamed PUT; bigger ones use multipart upload, which
   * needs a real S3/MinIO (s3rver cannot list multipart uploads). Default 5 GiB, the single-PUT limit.
   */
  partSize?: number;
  /** Where streams are spooled while their sha256 is computed. Default os.tmpdir(). */
  tmpDir?: string;
  /** ping() gives up after this long. Default 3000 ms. */
  pingTimeoutMs?: number;
  /**
   * ASSAY_SIGNING_KEY (the first signs, all verify; signing.ts): every object written is signed, and an object
   * read without a valid signature is refused (UntrustedArtifactError). None: objects are neither signed nor checked.
   */
  signingKeys?: string[];
  /** Told about every refused object (a log line). */
  onUntrusted?: (key: string, reason: string) => void;
  /** Lifetime of presigned URLs when the caller names none (ASSAY_PRESIGN_TTL_S). Default 3600 s. */
  presignTtlSec?: number;
}

export interface PutOptions {
  /** Required by S3 for streams; when given it is checked against the bytes actually read. */
  size?: number;
  contentType?: string;
  /** Stored as x-amz-meta-<key>: keys lowercase [a-z0-9-], values printable ASCII. */
  metadata?: Record<string, string>;
}

export interface PutResult {
  key: string;
  size: number;
  sha256: string;
}

export interface ObjectInfo {
  key: string;
  size: number;
  sha256: string;
  contentType: string;
  etag: string;
  lastModified: Date;
  /** User metadata, keys lowercased, without the sha256 and signature entries. */
  metadata: Record<string, string>;
}

export interface ListedObject {
  key: string;
  size: number;
  lastModified: Date;
  etag: string;
}

export interface ListResult {
  objects: ListedObject[];
  /** Common prefixes (each ending in `/`); only filled by non-recursive listings. */
  prefixes: string[];
}

/**
 * The object store, and the only code in Assay that talks to S3 (through the `minio` client).
 *
 * Every object carries its sha256 in `x-amz-meta-sha256`, and every read verifies it. S3 metadata
 * must be sent before the body, so the hash is computed before the upload: buffers are hashed in
 * memory, files are hashed in a first read pass, and streams are spooled to a temporary file while
 * being hashed (one pass, constant memory). The upload then streams from the buffer or file in one
 * PUT whose SigV4 payload hash is that same sha256, so a real S3/MinIO rejects bytes altered in
 * transit (over TLS the payload is UNSIGNED and TLS protects it).
 */
export class ObjectStore {
  readonly bucket: string;
  /** Signs and checks objects (and the registry's manifests); undefined when no signing key is configured. */
  readonly signer?: ArtifactSigner;
  private readonly onUntrusted?: (key: string, reason: string) => void;
  private readonly presignTtlSec: number;
  private readonly client: Minio.Client;
  private readonly region: string;
  private readonly partSize: number;
  private readonly tmpDir: string;
  private readonly pingTimeoutMs: number;

  constructor(config: ObjectStoreConfig) {
    const url = new URL(config.endpoint);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Error(`object store endpoint must be http(s)://, got ${config.endpoint}`);
    }
    const useSSL = url.protocol === 'https:';
    this.bucket = config.bucket;
    this.region = config.region;
    this.partSize = Math.min(config.partSize ?? MAX_SINGLE_PUT, MAX_SINGLE_PUT);
    this.tmpDir = config.tmpDir ?? os.tmpdir();
    this.pingTimeoutMs = config.pingTimeoutMs ?? 3000;
    this.signer = ArtifactSigner.fromKeys(config.signingKeys);
    this.onUntrusted = config.onUntrusted;
    this.presignTtlSec = config.presignTtlSec ?? 3600;
    this.client = new Minio.Client({
      endPoint: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port ? Number(url.port) : useSSL ? 443 : 80,
      useSSL,
      accessKey: config.accessKey,
      secretKey: config.secretKey,
      region: config.region,
      pathStyle: true,
      // minio-js refuses parts above 5 GiB; beyond partSize we let it pick its own part size.
      partSize: Math.max(this.partSize, 5 * 1024 ** 2),
    });
  }

  /** Creates the bucket unless it exists (racing creators are fine). */
  async ensureBucket(): Promise<void> {
    await this.call(undefined, async () => {
      if (await this.client.bucketExists(this.bucket)) return;
      try {
        await this.client.makeBucket(this.bucket, this.region);
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code !== 'BucketAlreadyOwnedByYou' && code !== 'BucketAlreadyExists') throw err;
      }
    });
  }

  /** Resolves when the store answers and the bucket exists; UnavailableError otherwise. */
  async ping(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new UnavailableError(`object store did not answer within ${this.pingTimeoutMs} ms`)),
        this.pingTimeoutMs,
      );
    });
    try {
      const exists = await Promise.race([this.call(undefined, () => this.client.bucketExists(this.bucket)), timeout]);
      if (!exists) throw new UnavailableError(`bucket ${this.bucket} does not exist`);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stores a buffer or a stream (spooled to a temporary file to hash it first; see the class note). */
  async put(key: string, body: Readable | Buffer, options: PutOptions = {}): Promise<PutResult> {
    assertValidKey(key);
    const headers = userHeaders(options);
    if (Buffer.isBuffer(body)) {
      if (options.size !== undefined && options.size !== body.length) {
        throw new IntegrityError(`put ${key}: declared size ${options.size} but the buffer holds ${body.length} bytes`);
      }
      const sha256 = sha256Hex(body);
      await this.upload(key, body, body.length, sha256, headers);
      return { key, size: body.length, sha256 };
    }
    const spool = path.join(this.tmpDir, `assay-put-${randomBytes(8).toString('hex')}`);
    try {
      const hashing = new HashingStream();
      await pipeline(body, hashing, fs.createWriteStream(spool, { mode: 0o600 }));
      if (options.size !== undefined && options.size !== hashing.size) {
        throw new IntegrityError(`put ${key}: declared size ${options.size} but the stream gave ${hashing.size} bytes`);
      }
      await this.upload(key, spool, hashing.size, hashing.sha256, headers);
      return { key, size: hashing.size, sha256: hashing.sha256 };
    } finally {
      await fs.promises.rm(spool, { force: true });
    }
  }

  /** Stores a local file: one pass to hash it, one streamed PUT. */
  async putFile(key: string, filePath: string, options: Omit<PutOptions, 'size'> = {}): Promise<PutResult> {
    assertValidKey(key);
    const headers = userHeaders(options);
    const { sha256, size } = await sha256File(filePath);
    await this.upload(key, filePath, size, sha256, headers);
    return { key, size, sha256 };
  }

  async putJson(key: string, value: unknown, options: Omit<PutOptions, 'size' | 'contentType'> = {}): Promise<PutResult> {
    const body = Buffer.from(`${JSON.stringify(value, null, 2)}\n`, 'utf8');
    return this.put(key, body, { ...options, contentType: 'application/json' });
  }

  /**
   * Streams an object. The stream fails with IntegrityError, instead of ending, when the bytes
   * do not match the recorded size and sha256; consumers must treat data as valid only at 'end'.
   * With a signing key, an object whose signature is missing or wrong is refused before any byte is read
   * (UntrustedArtifactError); `allowUnsigned` lets the re-signing migration read unsigned ones.
   */
  async get(key: string, options: { allowUnsigned?: boolean } = {}): Promise<Readable> {
    assertValidKey(key);
    const res = await this.call(key, () =>
      this.client.makeRequestAsync({ method: 'GET', bucketName: this.bucket, objectName: key }, '', [200], this.region),
    );
    const sha256 = res.headers[SHA256_HEADER];
    if (!isSha256Hex(sha256)) {
      res.destroy();
      throw new IntegrityError(`${key}: object has no valid sha256 metadata`);
    }
    const length = res.headers['content-length'];
    if (this.signer) {
      const signature = res.headers[SIGNATURE_HEADER];
      const problem = this.signer.objectProblem(key, sha256, Number(length), typeof signature === 'string' ? signature : undefined);
      if (problem && !(options.allowUnsigned && signature === undefined)) {
        res.destroy();
        throw this.untrusted(key, problem);
      }
    }
    const verifier = new VerifyingStream({ sha256, size: length === undefined ? undefined : Number(length) }, key);
    res.on('error', (err) => verifier.destroy(toArtifactError(err, key)));
    verifier.on('close', () => res.destroy());
    res.pipe(verifier);
    return verifier;
  }

  async getBuffer(key: string): Promise<Buffer> {
    return readAll(await this.get(key));
  }

  async getJson<T = unknown>(key: string): Promise<T> {
    const text = (await this.getBuffer(key)).toString('utf8');
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new IntegrityError(`${key}: not valid JSON`, { cause: err });
    }
  }

  /** Downloads to a temporary file beside `filePath` and renames it only once verified. */
  async getToFile(key: string, filePath: string): Promise<void> {
    const source = await this.get(key);
    await fs.promises.mkdir(path.dirname(filePath), { recursive: true });
    const temp = `${filePath}.${randomBytes(6).toString('hex')}.partial`;
    try {
      await pipeline(source, fs.createWriteStream(temp, { mode: 0o644 }));
      await fs.promises.rename(temp, filePath);
    } catch (err) {
      source.destroy();
      await fs.promises.rm(temp, { force: true });
      throw err;
    }
  }

  async stat(key: string): Promise<ObjectInfo> {
    assertValidKey(key);
    const res = await this.call(key, async () => {
      const head = await this.client.makeRequestAsync(
        { method: 'HEAD', bucketName: this.bucket, objectName: key },
        '',
        [200],
        this.region,
      );
      head.resume();
      return head;
    });
    return this.toObjectInfo(key, res);
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.stat(key);
      return true;
    } catch (err) {
      if ((err as { kind?: string }).kind === 'not-found') return false;
      throw err;
    }
  }

  /** Lists keys under `prefix` ('' = whole bucket); non-recursive listings group at `/`. */
  async list(prefix: string, options: { recursive?: boolean } = {}): Promise<ListResult> {
    assertValidPrefix(prefix);
    return this.call(undefined, async () => {
      const result: ListResult = { objects: [], prefixes: [] };
      const stream = this.client.listObjectsV2(this.bucket, prefix, options.recursive ?? false);
      for await (const item of stream as AsyncIterable<Minio.BucketItem>) {
        if ('prefix' in item && item.prefix) {
          result.prefixes.push(item.prefix);
        } else if (item.name) {
          result.objects.push({
            key: item.name,
            size: item.size,
            lastModified: item.lastModified ?? new Date(0),
            etag: item.etag ?? '',
          });
        }
      }
      return result;
    });
  }

  /** Deletes one object; deleting a missing object succeeds (S3 semantics). */
  async delete(key: string): Promise<void> {
    assertValidKey(key);
    await this.call(key, () => this.client.removeObject(this.bucket, key));
  }

  /** Deletes every object under a non-empty prefix; returns how many there were. */
  async deletePrefix(prefix: string): Promise<number> {
    if (prefix === '') throw new InvalidKeyError('deletePrefix needs a non-empty prefix');
    const { objects } = await this.list(prefix, { recursive: true });
    // One by one: s3rver's multi-object delete removes a batch concurrently and its empty-directory
    // cleanup races with itself; these prefixes (one model version) hold a handful of objects.
    for (const object of objects) await this.delete(object.key);
    return objects.length;
  }

  /**
   * Signs an existing object with the configured key (the migration of artifacts written before signing, or
   * under a retired key): its bytes are read and checked against their recorded sha256, then written again
   * with the signature, content type and metadata. Only for objects you trust as they are now: a signature
   * certifies whatever is there. A wrongly signed object is refused, not re-signed.
   */
  async resign(key: string): Promise<PutResult> {
    if (!this.signer) throw new InvalidKeyError('no signing key is configured (ASSAY_SIGNING_KEY)');
    const info = await this.stat(key);
    const spool = path.join(this.tmpDir, `assay-resign-${randomBytes(8).toString('hex')}`);
    try {
      await pipeline(await this.get(key, { allowUnsigned: true }), fs.createWriteStream(spool, { mode: 0o600 }));
      const headers = userHeaders({ contentType: info.contentType, metadata: info.metadata });
      await this.upload(key, spool, info.size, info.sha256, headers);
      return { key, size: info.size, sha256: info.sha256 };
    } finally {
      await fs.promises.rm(spool, { force: true });
    }
  }

  /** Refuses an artifact: one call to onUntrusted (a log line), and the error for the caller. */
  untrusted(key: string, problem: string): UntrustedArtifactError {
    this.onUntrusted?.(key, problem);
    return new UntrustedArtifactError(
      `${key} is refused: ${problem} with the platform's key (ASSAY_SIGNING_KEY). It was written without the platform or changed since; ` +
        `push it again, or if you trust it as it is, sign it (assay models sign)`,
    );
  }

  /** A URL anyone can GET for `expirySec` seconds (1 s to 7 days; default ASSAY_PRESIGN_TTL_S), e.g. for a browser download. */
  async presignedGetUrl(key: string, expirySec: number = this.presignTtlSec): Promise<string> {
    assertValidKey(key);
    if (!Number.isInteger(expirySec) || expirySec < 1 || expirySec > 604800) {
      throw new InvalidKeyError(`presigned URL expiry must be 1..604800 s, got ${expirySec}`);
    }
    return this.call(key, () => this.client.presignedGetObject(this.bucket, key, expirySec));
  }

  private async upload(
    key: string,
    body: Buffer | string,
    size: number,
    sha256: string,
    userHeaders: Record<string, string>,
  ): Promise<void> {
    const headers: Record<string, string> = { ...userHeaders, [SHA256_HEADER]: sha256 };
    if (this.signer) headers[SIGNATURE_HEADER] = this.signer.signObject(key, sha256, size);
    await this.call(key, async () => {
      if (size > this.partSize) {
        // Multipart (real S3/MinIO only); minio-js buffers one part at a time in memory.
        const source = typeof body === 'string' ? fs.createReadStream(body) : body;
        await this.client.putObject(this.bucket, key, source, size, headers);
        return;
      }
      const payload = typeof body === 'string' ? singleUse(fs.createReadStream(body), key) : body;
      const res = await this.client.makeRequestStreamAsync(
        {
          method: 'PUT',
          bucketName: this.bucket,
          objectName: key,
          headers: { ...headers, 'Content-Length': String(size) },
        },
        payload,
        this.client.enableSHA256 ? sha256 : '',
        [200],
        this.region,
      );
      res.resume();
    });
  }

  private toObjectInfo(key: string, res: IncomingMessage): ObjectInfo {
    const sha256 = res.headers[SHA256_HEADER];
    if (!isSha256Hex(sha256)) throw new IntegrityError(`${key}: object has no valid sha256 metadata`);
    const metadata: Record<string, string> = {};
    for (const [name, value] of Object.entries(res.headers)) {
      if (name.startsWith(USER_META_PREFIX) && name !== SHA256_HEADER && name !== SIGNATURE_HEADER && typeof value === 'string') {
        metadata[name.slice(USER_META_PREFIX.length)] = value;
      }
    }
    return {
      key,
      size: Number(res.headers['content-length']),
      sha256,
      contentType: String(res.headers['content-type'] ?? 'application/octet-stream'),
      etag: String(res.headers.etag ?? '').replace(/"/g, ''),
      lastModified: new Date(String(res.headers['last-modified'])),
      metadata,
    };
  }

  private async call<T>(key: string | undefined, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (err) {
      throw toArtifactError(err, key);
    }
  }
}
