import type { KV } from 'nats';
import { decodeJson, encodeJson } from '../codec';
import { AssayError } from '../errors';
import { isRevisionConflict } from './job-records';

interface StoredCheckpoint {
  /** The record's attempt counter when saved: a stale worker cannot overwrite a newer attempt's checkpoint. */
  attempt: number;
  savedAt: string;
  state?: unknown;
  /** Set instead of `state` when the state was too large for the bucket: the object key holding its JSON. */
  stateKey?: string;
}

/** A checkpoint as stored: the state itself, or where it was spilled to. */
export type SavedCheckpoint = { state: unknown; stateKey?: undefined } | { state?: undefined; stateKey: string };

/** One JSON checkpoint per job in a KV bucket. */
export class Checkpoints {
  constructor(
    private readonly kv: KV,
    private readonly maxBytes: number,
  ) {}

  /** The encoded size of a state, in bytes; undefined when it is not JSON. */
  static sizeOf(state: unknown): number | undefined {
    const json = JSON.stringify(state);
    return json === undefined ? undefined : Buffer.byteLength(json);
  }

  async save(jobId: string, attempt: number, checkpoint: SavedCheckpoint): Promise<void> {
    const size = checkpoint.stateKey !== undefined ? 0 : Checkpoints.sizeOf(checkpoint.state);
    if (size === undefined) throw new AssayError('BAD_REQUEST', `job ${jobId}: checkpoint state must be JSON`);
    if (size > this.maxBytes) {
      throw new AssayError(
        'PAYLOAD_TOO_LARGE',
        `job ${jobId}: checkpoint state is ${size} bytes, over the ${this.maxBytes}-byte limit. ` +
          'Write large state (weights, optimizer moments) to the object store and checkpoint its key.',
        { size, limit: this.maxBytes },
      );
    }
    const value = encodeJson({ attempt, savedAt: new Date().toISOString(), ...checkpoint } satisfies StoredCheckpoint);
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

  async load(jobId: string): Promise<SavedCheckpoint | undefined> {
    const entry = await this.kv.get(jobId);
    if (!entry || entry.operation !== 'PUT') return undefined;
    const { state, stateKey } = decodeJson<StoredCheckpoint>(entry.value);
    return stateKey !== undefined ? { stateKey } : { state };
  }

  async remove(jobId: string): Promise<void> {
    await this.kv.purge(jobId);
  }
}
