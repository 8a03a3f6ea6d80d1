import { Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { ObjectStore } from '@assay/artifacts';
import { AssayError, JobIdSchema } from '@assay/contracts';

/** Report families by job kind, under `reports/<family>/<jobId>/`. */
export const REPORT_FAMILIES = { evaluation: 'certify-eval', benchmark: 'certify-bench' } as const;
export type ReportFamily = (typeof REPORT_FAMILIES)[keyof typeof REPORT_FAMILIES];

const CONTENT_TYPES: Record<string, string> = { html: 'text/html; charset=utf-8', svg: 'image/svg+xml', json: 'application/json' };
const FILE_NAME = /^[a-z0-9][a-z0-9-]{0,63}\.(html|svg|json)$/;

export interface StoredReport {
  reportKey: string;
  reportPath: string;
  reportUrl?: string;
}

/** Evaluation and benchmark reports in the object store, and reading them back for the certifier's HTTP route. */
@Injectable()
export class ReportStore {
  constructor(private readonly store: ObjectStore) {}

  async write(family: ReportFamily, jobId: string, files: Record<string, string>): Promise<StoredReport> {
    const prefix = `reports/${family}/${jobId}/`;
    for (const [name, content] of Object.entries(files)) {
      const type = CONTENT_TYPES[name.split('.').pop() ?? ''] ?? 'application/octet-stream';
      await this.store.put(prefix + name, Buffer.from(content, 'utf8'), { contentType: type });
    }
    const reportKey = `${prefix}index.html`;
    const reportUrl = await this.store.presignedGetUrl(reportKey).catch(() => undefined);
    return { reportKey, reportPath: `/v1/reports/${jobId}/index.html`, ...(reportUrl ? { reportUrl } : {}) };
  }

  /** A report file as a stream with its content type; NOT_FOUND for anything else. */
  async open(jobId: string, file: string): Promise<{ stream: Readable; contentType: string }> {
    if (!JobIdSchema.safeParse(jobId).success || !FILE_NAME.test(file)) throw AssayError.notFound(`no report file ${jobId}/${file}`);
    for (const family of Object.values(REPORT_FAMILIES)) {
      const key = `reports/${family}/${jobId}/${file}`;
      if (await this.store.exists(key)) return { stream: await this.store.get(key), contentType: CONTENT_TYPES[file.split('.').pop()!] };
    }
    throw AssayError.notFound(`no report file ${jobId}/${file}`);
  }
}
