import { AssayError } from '../errors';

/**
 * The part of the object store a job needs (ObjectStore of @assay/artifacts has it). Messaging does not depend on
 * the artifacts library: the platform hands its store to the job worker.
 */
export interface BlobStore {
  put(key: string, body: Buffer, options?: { contentType?: string }): Promise<unknown>;
  getBuffer(key: string): Promise<Buffer>;
  delete(key: string): Promise<void>;
  deletePrefix(prefix: string): Promise<number>;
}

/** Every job's blobs live under this prefix, and nowhere else. */
export function jobScratchPrefix(jobId: string): string {
  return `jobs/${jobId}/`;
}

const NAME = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

/**
 * The one scratch store of durable jobs: large intermediate data (trainer snapshots, per-batch outputs, big test
 * states) as object-store blobs under `jobs/<jobId>/`, while the job's KV checkpoint holds only their names. A job
 * resumed on another worker finds them there; the worker deletes the prefix when the job ends (succeeded, failed or
 * cancelled; a dead-lettered job keeps its blobs for inspection).
 */
export class JobScratch {
  readonly prefix: string;

  constructor(
    private readonly store: BlobStore | undefined,
    readonly jobId: string,
  ) {
    this.prefix = jobScratchPrefix(jobId);
  }

  /** The object key of a blob name such as `score/3.json`. */
  key(name: string): string {
    if (!NAME.test(name) || name.split('/').some((part) => part === '.' || part === '..')) {
      throw new AssayError('INTERNAL', `job ${this.jobId}: invalid scratch name "${name}"`);
    }
    return this.prefix + name;
  }

  async put(name: string, body: Uint8Array | string, contentType = 'application/octet-stream'): Promise<string> {
    const key = this.key(name);
    await this.blobs().put(key, typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body.buffer, body.byteOffset, body.byteLength), { contentType });
    return key;
  }

  async putJson(name: string, value: unknown): Promise<string> {
    return this.put(name, JSON.stringify(value), 'application/json');
  }

  async get(name: string): Promise<Buffer> {
    return this.blobs().getBuffer(this.key(name));
  }

  async getText(name: string): Promise<string> {
    return (await this.get(name)).toString('utf8');
  }

  async getJson<T>(name: string): Promise<T> {
    return JSON.parse(await this.getText(name)) as T;
  }

  async delete(name: string): Promise<void> {
    await this.blobs().delete(this.key(name));
  }

  /** Removes every blob of the job. */
  async clear(): Promise<void> {
    if (this.store) await this.store.deletePrefix(this.prefix);
  }

  get available(): boolean {
    return this.store !== undefined;
  }

  private blobs(): BlobStore {
    if (!this.store) throw new AssayError('INTERNAL', `job ${this.jobId}: this worker has no scratch store (give JobWorker a blob store)`);
    return this.store;
  }
}
