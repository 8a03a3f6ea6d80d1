import { Injectable } from '@nestjs/common';
import { ObjectStore } from '@assay/artifacts';
import { AssayError } from '@assay/contracts';
import type { QaFormat } from './qa-format';

export type Split = 'train' | 'val' | 'test';

/** One labelled answer (issue 10 §2): the question as callers pass it, L's sanitised answer, its grade, its split. */
export interface LabelledRow {
  id: number;
  question: string;
  answer: string;
  /** 1 = graded correct. */
  label: 0 | 1;
  split: Split;
  /** The gold target (the letter, or the first accepted answer): ct-query's gold sequence (§3.1). */
  gold: string;
}

export interface DatasetManifest {
  dataset: string;
  /** L, name@version. */
  model: string;
  source: unknown;
  format: QaFormat;
  kshot: number;
  maxNewTokens: number;
  seed: number;
  counts: Record<Split, number>;
  accuracy: Record<Split, number | null>;
  createdAt: string;
  jobId: string;
}

export const datasetPrefix = (id: string) => `calibration-datasets/${id}/`;

/** Labelled datasets in the object store: `calibration-datasets/<id>/rows.jsonl` and `manifest.json` (written last). */
@Injectable()
export class DatasetStore {
  constructor(private readonly store: ObjectStore) {}

  async write(manifest: DatasetManifest, rows: readonly LabelledRow[]): Promise<string> {
    const prefix = datasetPrefix(manifest.dataset);
    await this.store.put(`${prefix}rows.jsonl`, Buffer.from(rows.map((r) => JSON.stringify(r)).join('\n') + '\n', 'utf8'), { contentType: 'application/x-ndjson' });
    await this.store.putJson(`${prefix}manifest.json`, manifest);
    return `${prefix}rows.jsonl`;
  }

  async manifest(id: string): Promise<DatasetManifest> {
    const key = `${datasetPrefix(id)}manifest.json`;
    if (!(await this.store.exists(key))) throw AssayError.notFound(`no calibration dataset ${id}`);
    return this.store.getJson<DatasetManifest>(key);
  }

  async read(id: string): Promise<{ manifest: DatasetManifest; rows: LabelledRow[] }> {
    const manifest = await this.manifest(id);
    const text = (await this.store.getBuffer(`${datasetPrefix(id)}rows.jsonl`)).toString('utf8');
    return { manifest, rows: text.split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as LabelledRow) };
  }

  async readText(key: string): Promise<string> {
    if (!(await this.store.exists(key))) throw AssayError.notFound(`no object ${key}`);
    return (await this.store.getBuffer(key)).toString('utf8');
  }
}
