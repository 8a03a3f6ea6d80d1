import type { KV, KvEntry, QueuedIterator } from 'nats';
import { decodeJson, encodeJson } from '../codec';
import { errorDetails } from '@assay/contracts';
import { AssayError } from '../errors';
import type { JobRecord, JobStatus } from './types';

export interface StoredRecord {
  record: JobRecord;
  revision: number;
}

export interface MutateResult extends StoredRecord {
  /** False when the transition declined (the record was left as it was). */
  changed: boolean;
}

export interface ListFilter {
  queue?: string;
  status?: JobStatus;
  /** Default 100. */
  limit?: number;
}

/** JetStream's "wrong last sequence" (10071): a create or update lost the compare-and-set. */
export function isRevisionConflict(error: unknown): boolean {
  const e = error as { api_error?: { err_code?: number }; message?: string };
  return e?.api_error?.err_code === 10071 || /wrong last sequence/.test(e?.message ?? '');
}

/** Job records in a KV bucket, changed only by compare-and-set on the entry revision. */
export class JobRecords {
  constructor(
    private readonly kv: KV,
    /** Largest encoded record; results that would not fit are refused with PAYLOAD_TOO_LARGE. */
    private readonly maxRecordBytes: number,
  ) {}

  /** False when a record with this id exists already. */
  async create(record: JobRecord): Promise<boolean> {
    try {
      await this.kv.create(record.id, this.encode(record));
      return true;
    } catch (error) {
      if (isRevisionConflict(error)) return false;
      throw error;
    }
  }

  async get(id: string): Promise<StoredRecord | undefined> {
    const entry = await this.kv.get(id);
    return entry && entry.operation === 'PUT' ? toStored(entry) : undefined;
  }

  /**
   * Applies `transition` to the latest record and writes it only if nobody wrote in between; on a conflict it
   * re-reads and re-applies. undefined when the record does not exist.
   */
  async mutate(id: string, transition: (record: JobRecord) => JobRecord | undefined): Promise<MutateResult | undefined> {
    for (let tries = 0; tries < 50; tries++) {
      const current = await this.get(id);
      if (!current) return undefined;
      const next = transition(current.record);
      if (!next) return { ...current, changed: false };
      try {
        const revision = await this.kv.update(id, this.encode(next), current.revision);
        return { record: next, revision, changed: true };
      } catch (error) {
        if (!isRevisionConflict(error)) throw error;
      }
    }
    throw new AssayError('UNAVAILABLE', `job ${id}: too many concurrent updates`);
  }

  /** Soft delete, so `create` can make the record again (used when the job message could not be published). */
  async remove(id: string): Promise<void> {
    await this.kv.delete(id);
  }

  /** Newest first. One pass over the bucket's latest values (an ordered consumer), not one get per key. */
  async list(filter: ListFilter = {}): Promise<JobRecord[]> {
    const byId = new Map<string, JobRecord>();
    let initialized = false;
    let watch: QueuedIterator<KvEntry> | undefined = undefined;
    // initializedFn runs after the last initial value, or inside watch() when everything arrived already.
    const stop = () => {
      initialized = true;
      watch?.stop();
    };
    watch = await this.kv.watch({ key: '>', initializedFn: stop });
    if (initialized) watch.stop();
    for await (const entry of watch) {
      if (entry.operation === 'PUT') byId.set(entry.key, decodeRecord(entry.value));
      else byId.delete(entry.key);
    }
    const records = [...byId.values()].filter(
      (r) => (filter.queue === undefined || r.queue === filter.queue) && (filter.status === undefined || r.status === filter.status),
    );
    records.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.id.localeCompare(b.id));
    return records.slice(0, filter.limit ?? 100);
  }

  private encode(record: JobRecord): Uint8Array {
    const bytes = encodeJson(record);
    if (bytes.length > this.maxRecordBytes) {
      throw new AssayError(
        'PAYLOAD_TOO_LARGE',
        `job ${record.id}: record is ${bytes.length} bytes, over ${this.maxRecordBytes}: return large results as object-store keys`,
        { size: bytes.length, limit: this.maxRecordBytes },
      );
    }
    return bytes;
  }
}

function toStored(entry: KvEntry): StoredRecord {
  return { record: decodeRecord(entry.value), revision: entry.revision };
}

/** A stored record; an error written before `details` was always set gets `details: {}` like every envelope. */
function decodeRecord(bytes: Uint8Array): JobRecord {
  const record = decodeJson<JobRecord>(bytes);
  if (record.error) record.error = { ...record.error, details: errorDetails(record.error.details) };
  return record;
}
