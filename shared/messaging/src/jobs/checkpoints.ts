import type { KV } from 'nats';
import { decodeJson, encodeJson } from '../codec';
import { AssayError } from '../errors';
import { isRevisionConflict } from './job-records';

interface StoredCheckpoint {
  /** The record's attempt counter when saved: a stale worker cannot overwrite a newer attempt's checkpoint. */
  attempt: number;
  savedAt: string;
  state: unknown;
}

/** One JSON checkpoint per job in a KV bucket. */
export class Checkpoints {
  constructor(
    private readonly kv: KV,
    private readonly maxBytes: number,
  ) {}

  async save(jobId: string, attempt: number, state: unknown): Promise<void> {
    const stateJson = JSON.stringify(state);
    if (stateJson === undefined) throw new AssayError('BAD_REQUEST', `job ${jobId}: checkpoint state must be JSON`);
    const size = Buffer.byteLength(stateJson);
    if (size > this.maxBytes) {
      throw new AssayError(
        'PAYLOAD_TOO_LARGE',
        `job ${jobId}: checkpoint state is ${size} bytes, over the ${this.maxBytes}-byte limit. ` +
          'Write large state (weights, optimizer moments) to the object store and checkpoint its key.',
        { size, limit: this.maxBytes },
      );
    }
    const value = encodeJson({ attempt, savedAt: new Date().toISOString(), state } satisfies StoredCheckpoint);
    for (let tries = 0; tries < 20; tries++) {
      const current = await this.kv.get(jobId);
      const live = current && current.operation === 'PUT' ? current : undefined;
      if (live && decodeJson<StoredCheckpoint>(live.value).attempt > attempt) {
        throw new AssayError('UNAVAILABLE', `job ${jobId}: attempt ${attempt} was superseded; checkpoint not saved`, { reason: 'superseded' });
      }
      try {
        if (live) await this.kv.update(jobId, value, live.revision);
        else await this.kv.create(jobId, value);
        return;
      } catch (error) {
        if (!isRevisionConflict(error)) throw error;
      }
    }
    throw new AssayError('UNAVAILABLE', `job ${jobId}: too many concurrent checkpoint writes`);
  }

  async load<S>(jobId: string): Promise<S | undefined> {
    const entry = await this.kv.get(jobId);
    if (!entry || entry.operation !== 'PUT') return undefined;
    return decodeJson<StoredCheckpoint>(entry.value).state as S;
  }

  async remove(jobId: string): Promise<void> {
    await this.kv.purge(jobId);
  }
}
