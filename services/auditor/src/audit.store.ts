import { Injectable } from '@nestjs/common';
import { ObjectStore } from '@assay/artifacts';
import { AssayError, AuditPrompt, AuditReport, AuditStartRequest } from '@assay/contracts';
import { auditKeys } from './audit-report';
import { loadPromptSet } from '@assay/platform';


/** The auditor's object-store I/O: prompt sets in; report documents (rendered elsewhere, see audit-report.ts) out. */
@Injectable()
export class AuditStore {
  constructor(private readonly store: ObjectStore) {}

  /** The prompt set of a request: inline, or read from its object key (NOT_FOUND when missing). */
  loadPrompts(source: AuditStartRequest['prompts']): Promise<AuditPrompt[]> {
    return loadPromptSet(this.store, source);
  }

  async putReport(report: AuditReport): Promise<void> {
    await this.store.putJson(auditKeys(report.id).report, report);
  }

  /** The final figures: the log-wealth SVG and the HTML page. */
  async putDocuments(jobId: string, documents: { svg: string; html: string }): Promise<void> {
    const keys = auditKeys(jobId);
    await this.store.put(keys.plot, Buffer.from(documents.svg), { contentType: 'image/svg+xml' });
    await this.store.put(keys.html, Buffer.from(documents.html), { contentType: 'text/html; charset=utf-8' });
  }

  async readReport(jobId: string): Promise<AuditReport | undefined> {
    return this.readOptional(auditKeys(jobId).report, (b) => JSON.parse(b.toString('utf8')) as AuditReport);
  }

  async readPlot(jobId: string): Promise<string | undefined> {
    return this.readOptional(auditKeys(jobId).plot, (b) => b.toString('utf8'));
  }

  async readHtml(jobId: string): Promise<string | undefined> {
    return this.readOptional(auditKeys(jobId).html, (b) => b.toString('utf8'));
  }

  /** A browser-usable URL of the final SVG, when it exists. */
  async presignedPlotUrl(jobId: string): Promise<string | undefined> {
    const key = auditKeys(jobId).plot;
    if (!(await this.store.exists(key))) return undefined;
    return this.store.presignedGetUrl(key);
  }

  private async readOptional<T>(key: string, decode: (body: Buffer) => T): Promise<T | undefined> {
    try {
      return decode(await this.store.getBuffer(key));
    } catch (error) {
      if (AssayError.from(error).code === 'NOT_FOUND') return undefined;
      throw error;
    }
  }
}
