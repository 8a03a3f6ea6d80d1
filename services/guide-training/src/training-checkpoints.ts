import { Injectable } from '@nestjs/common';
import { ObjectStore } from '@assay/artifacts';
import { decodeCheckpoint, encodeCheckpoint, GptTrainerCheckpoint } from '@assay/forge';

/**
 * The trainer's snapshots (weights + AdamW moments + best weights: megabytes) live in the object store under
 * `jobs/<jobId>/`; the job's KV checkpoint only holds their keys, as it is limited to ~800 KB.
 */
@Injectable()
export class TrainingCheckpoints {
  constructor(private readonly store: ObjectStore) {}

  static prefix(jobId: string): string {
    return `jobs/${jobId}/`;
  }

  async save(jobId: string, checkpoint: GptTrainerCheckpoint): Promise<string> {
    const key = `${TrainingCheckpoints.prefix(jobId)}checkpoint.bin`;
    await this.store.put(key, Buffer.from(encodeCheckpoint(checkpoint)), { contentType: 'application/octet-stream' });
    return key;
  }

  async load(key: string): Promise<GptTrainerCheckpoint> {
    return decodeCheckpoint<GptTrainerCheckpoint>(new Uint8Array(await this.store.getBuffer(key)));
  }

  async saveText(jobId: string, file: string, text: string): Promise<string> {
    const key = `${TrainingCheckpoints.prefix(jobId)}${file}`;
    await this.store.put(key, Buffer.from(text, 'utf8'));
    return key;
  }

  async loadText(key: string): Promise<string> {
    return (await this.store.getBuffer(key)).toString('utf8');
  }

  async clear(jobId: string): Promise<void> {
    await this.store.deletePrefix(TrainingCheckpoints.prefix(jobId));
  }
}
