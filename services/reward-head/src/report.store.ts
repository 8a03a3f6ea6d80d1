import { Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { ObjectStore } from '@assay/artifacts';
import { AssayError, JobIdSchema } from '@assay/contracts';

const CONTENT_TYPES: Record<string, string> = { html: 'text/html; charset=utf-8', svg: 'image/svg+xml', json: 'application/json' };
const FILE_NAME = /^[a-z0-9][a-z0-9-]{0,63}\.(html|svg|json)$/;
const prefixOf = (jobId: string) => `reports/reward-eval/${jobId}/`;

/** Evaluation reports in the object store, `reports/reward-eval/<jobId>/`, and reading them back for the HTTP route. */
@Injectable()
export class RewardReportStore {
  constructor(private readonly store: ObjectStore) {}

  async write(jobId: string, files: Record<string, string>): Promise<{ reportKey: string; reportPath: string }> {
    for (const [name, content] of Object.entries(files)) {
      await this.store.put(prefixOf(jobId) + name, Buffer.from(content, 'utf8'), { contentType: CONTENT_TYPES[name.split('.').pop() ?? ''] ?? 'application/octet-stream' });
    }
    return { reportKey: `${prefixOf(jobId)}index.html`, reportPath: `/v1/reward-evaluations/${jobId}/index.html` };
  }

  async open(jobId: string, file: string): Promise<{ stream: Readable; contentType: string }> {
    const key = prefixOf(jobId) + file;
    if (!JobIdSchema.safeParse(jobId).success || !FILE_NAME.test(file) || !(await this.store.exists(key))) throw AssayError.notFound(`no report file ${jobId}/${file}`);
    return { stream: await this.store.get(key), contentType: CONTENT_TYPES[file.split('.').pop()!] };
  }
}
