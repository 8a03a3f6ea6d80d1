import { createHash } from 'crypto';
import * as fs from 'fs';
import { Readable, Transform, TransformCallback } from 'stream';
import { IntegrityError } from './errors';

const SHA256_HEX = /^[0-9a-f]{64}$/;

export function isSha256Hex(value: unknown): value is string {
  return typeof value === 'string' && SHA256_HEX.test(value);
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Hashes a file in one streaming pass. */
export async function sha256File(filePath: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of fs.createReadStream(filePath)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

/** Passes bytes through while hashing and counting them; read `sha256`/`size` after the end. */
export class HashingStream extends Transform {
  private readonly hash = createHash('sha256');
  private bytes = 0;
  private digest?: string;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.digest = this.hash.digest('hex');
    callback();
  }

  get size(): number {
    return this.bytes;
  }

  get sha256(): string {
    if (this.digest === undefined) throw new Error('HashingStream: sha256 read before the stream ended');
    return this.digest;
  }
}

/**
 * Passes bytes through and fails with IntegrityError at the end (before signalling end-of-stream)
 * when their sha256 or count differs from what was recorded, so no consumer ever sees a clean end
 * of a corrupt object. A size overrun fails as soon as it happens.
 */
export class VerifyingStream extends Transform {
  private readonly hash = createHash('sha256');
  private bytes = 0;

  constructor(
    private readonly expected: { sha256: string; size?: number },
    private readonly what: string,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.expected.size !== undefined && this.bytes > this.expected.size) {
      callback(new IntegrityError(`${this.what}: more than the recorded ${this.expected.size} bytes`));
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.expected.size !== undefined && this.bytes !== this.expected.size) {
      callback(new IntegrityError(`${this.what}: got ${this.bytes} bytes, recorded ${this.expected.size}`));
      return;
    }
    const actual = this.hash.digest('hex');
    if (actual !== this.expected.sha256) {
      callback(new IntegrityError(`${this.what}: sha256 ${actual} does not match recorded ${this.expected.sha256}`));
      return;
    }
    callback();
  }
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
