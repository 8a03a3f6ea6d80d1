import * as fs from 'fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'http';
import * as path from 'path';
import { pipeline } from 'stream/promises';
import { createHash } from 'crypto';
import { Transform } from 'stream';
import { verifySigV4 } from './sigv4';

// s3rver ships no type declarations: these describe the small part we use.
interface KoaContext {
  method: string;
  headers: Record<string, string | string[] | undefined>;
  req: { url?: string };
  status: number;
  type: string;
  body: unknown;
}
type KoaMiddleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;
interface S3rverInstance {
  store: FilesystemStoreLike;
  middleware: KoaMiddleware[];
  context: { store: FilesystemStoreLike };
  httpServer?: Server;
  logger: { exceptions: { unhandle(): void }; close(): void };
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  listen(port: number, address: string): Promise<Server>;
  run(): Promise<{ port: number; address: string }>;
  close(): Promise<void>;
}
interface S3rverOptions {
  address: string;
  port: number;
  directory: string;
  silent: boolean;
  vhostBuckets: boolean;
  allowMismatchedSignatures: boolean;
  resetOnClose: boolean;
  configureBuckets: { name: string }[];
}
interface StoredObject {
  bucket: string;
  key: string;
  content: NodeJS.ReadableStream | Buffer;
  metadata: Record<string, string>;
}
interface FilesystemStoreLike {
  getResourcePath(bucket: string, key: string | undefined, resource: string): string;
  putMetadata(bucket: string, key: string, metadata: Record<string, string>, md5?: string): Promise<void>;
  putObject(object: StoredObject): Promise<{ size: number; md5: string }>;
  listObjects(bucket: string, options: { startAfter?: string }): Promise<Listing>;
}
interface Listing {
  objects: { key: string }[];
  commonPrefixes: string[];
  isTruncated: boolean;
}
interface AccountRegistry {
  DUMMY_ACCOUNT: { createKeyPair(accessKeyId: string, secretAccessKey: string): void };
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver: new (options: S3rverOptions) => S3rverInstance = require('s3rver');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const accounts: AccountRegistry = require('s3rver/lib/models/account');

export interface EmbeddedS3Options {
  /** Where objects live on disk (created if missing). */
  directory: string;
  /** 0 (default) lets the OS pick a free port. */
  port?: number;
  /** Interface to bind; default 127.0.0.1. */
  host?: string;
  accessKey: string;
  secretKey: string;
  /** Buckets created before the server accepts requests. */
  buckets?: string[];
  /** Refuse (403) every request without a valid SigV4 signature by accessKey/secretKey. Default true. */
  verifySignatures?: boolean;
}

export interface EmbeddedS3 {
  /** e.g. http://127.0.0.1:43121 */
  endpoint: string;
  port: number;
  /** Where s3rver keeps an object's bytes on disk (tests use it to tamper with objects). */
  objectPath(bucket: string, key: string): string;
  close(): Promise<void>;
}

/**
 * Runs s3rver in this process: the S3 server for local runs (`npm start`) and tests, where no MinIO
 * binary exists. Its limits: no multipart-upload listing, so uploads must fit in one PUT (set the
 * store's partSize above the largest object); no bucket notifications. s3rver itself serves unsigned
 * requests and never checks SigV4 signatures, so a gatekeeper in front of its routes verifies every
 * request's signature (Authorization header or presigned query, sigv4.ts) against the one credential
 * pair it is given and answers 403 otherwise: loopback binding alone would still let any local process
 * (or a browser page making requests to localhost) read and replace models. Payload hashes are not
 * re-checked here; the object store verifies every object's sha256 (and signature) when it is read.
 */
export async function startEmbeddedS3(options: EmbeddedS3Options): Promise<EmbeddedS3> {
  const host = options.host ?? '127.0.0.1';
  await fs.promises.mkdir(options.directory, { recursive: true });
  // s3rver only knows the access key S3RVER; the registry is process-wide and keyed by access key.
  accounts.DUMMY_ACCOUNT.createKeyPair(options.accessKey, options.secretKey);

  const server = new S3rver({
    address: host,
    port: options.port ?? 0,
    directory: options.directory,
    silent: true,
    // With vhost buckets on, any non-IP host name (a compose service name like `s3`) is taken as a bucket.
    vhostBuckets: false,
    allowMismatchedSignatures: false,
    resetOnClose: false,
    configureBuckets: (options.buckets ?? []).map((name) => ({ name })),
  });
  fixPutObjectDurability(server.store);
  urlEncodeListings(server.store);
  if (options.verifySignatures ?? true) server.middleware.unshift(requireSigV4(new Map([[options.accessKey, options.secretKey]])));
  rejectListenErrors(server);

  const { port } = await server.run();
  // Bound to every interface (e.g. in a container): local clients still reach it on loopback.
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  const endpoint = `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
  return {
    endpoint,
    port,
    objectPath: (bucket, key) => server.store.getResourcePath(bucket, key, 'object'),
    close: async () => {
      const http = server.httpServer;
      if (!http) return;
      const closed = server.close();
      // Keep-alive sockets from S3 clients would hold close() open until they time out.
      http.closeAllConnections();
      await closed;
    },
  };
}

/**
 * s3rver's listen() reports a taken port as an unhandled 'error' event (the process dies) instead of
 * rejecting run(); this one rejects, so a caller can pick another port.
 */
function rejectListenErrors(server: S3rverInstance): void {
  server.listen = (port, address) =>
    new Promise((resolve, reject) => {
      const http = createServer();
      const release = () => {
        server.logger.exceptions.unhandle();
        server.logger.close();
      };
      http.on('request', server.callback()).on('close', release);
      http.once('error', (error) => {
        release();
        reject(error);
      });
      http.listen(port, address, () => resolve(http));
    });
}

/** Koa middleware answering 403 (an S3 error document) to requests without a valid SigV4 signature. */
function requireSigV4(secrets: ReadonlyMap<string, string>): KoaMiddleware {
  return async (ctx, next) => {
    const verdict = verifySigV4({ method: ctx.method, url: ctx.req.url ?? '/', headers: ctx.headers }, secrets);
    if (verdict.ok) return next();
    ctx.status = 403;
    ctx.type = 'application/xml';
    ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${verdict.code}</Code><Message>${verdict.message}</Message></Error>`;
  };
}

/**
 * s3rver 3.7 writes an upload straight over the object's file (an interrupted or concurrent PUT
 * leaves a torn object) and answers once its hashing Transform finishes, which can be before the
 * file stream has flushed. This replacement writes under a temporary name, waits for the data to
 * be on disk and renames it into place before the metadata is written and the PUT answered.
 */
function fixPutObjectDurability(store: FilesystemStoreLike): void {
  store.putObject = async (object: StoredObject) => {
    const objectPath = store.getResourcePath(object.bucket, object.key, 'object');
    await fs.promises.mkdir(path.dirname(objectPath), { recursive: true });
    const tempPath = `${objectPath}.${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2)}.partial`;
    const md5 = createHash('md5');
    let size = 0;
    const source = Buffer.isBuffer(object.content) ? [object.content] : object.content;
    try {
      await pipeline(
        source,
        new Transform({
          transform(chunk: Buffer, _encoding, callback) {
            md5.update(chunk);
            size += chunk.length;
            callback(null, chunk);
          },
        }),
        fs.createWriteStream(tempPath),
      );
      await fs.promises.rename(tempPath, objectPath);
    } catch (err) {
      await fs.promises.rm(tempPath, { force: true });
      throw err;
    }
    const digest = md5.digest('hex');
    await store.putMetadata(object.bucket, object.key, object.metadata, digest);
    return { size, md5: digest };
  };
}

/**
 * minio-js (like the AWS SDKs) lists with `encoding-type=url` and URL-decodes every returned key,
 * turning `+` into a space. s3rver ignores encoding-type and returns raw keys, so `a+b` would be
 * listed as `a b`. Encoding the keys here makes the listing what those clients expect. Continuation
 * tokens are built from the (now encoded) last key, hence the decode of startAfter.
 */
function urlEncodeListings(store: FilesystemStoreLike): void {
  const listObjects = store.listObjects.bind(store);
  const encode = (key: string) => key.split('/').map(encodeURIComponent).join('/');
  store.listObjects = async (bucket, options) => {
    let startAfter = options.startAfter;
    try {
      startAfter = startAfter === undefined ? undefined : decodeURIComponent(startAfter);
    } catch {
      // a raw start-after that is not percent-encoded: use it as it is
    }
    const listing = await listObjects(bucket, { ...options, startAfter });
    for (const object of listing.objects) object.key = encode(object.key);
    return { ...listing, commonPrefixes: listing.commonPrefixes.map(encode) };
  };
}
