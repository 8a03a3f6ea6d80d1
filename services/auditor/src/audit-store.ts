import { Injectable } from '@nestjs/common';
import { ObjectStore } from '@assay/artifacts';
import { AssayError, AuditPrompt, AuditReport, AuditStartRequest } from '@assay/contracts';
import type { SequentialTestState } from '@assay/stats';
import { auditHtml, auditKeys, logWealthSvg } from './audit-report';
import { normalizeInlinePrompts, parsePromptSet } from './prompt-set';


/** The auditor's object-store I/O: prompt sets in; reports, plots and large test states out. */
@Injectable()
export class AuditStore {
  constructor(private readonly store: ObjectStore) {}

  /** The prompt set of a request: inline, or read from its object key (NOT_FOUND when missing). */
  async loadPrompts(source: AuditStartRequest['prompts']): Promise<AuditPrompt[]> {
    if (typeof source !== 'string') return normalizeInlinePrompts(source);
    const body = await this.store.getBuffer(source).catch((error: unknown) => {
      const failure = AssayError.from(error);
      throw failure.code === 'NOT_FOUND' ? AssayError.notFound(`no prompt set at object key "${source}"`, { key: source }) : failure;
    });
    return parsePromptSet(body.toString('utf8'), source);
  }

  /** report.json after every batch; the SVG and HTML page as well once the audit has ended. */
  async putReport(report: AuditReport, final: boolean): Promise<void> {
    const keys = auditKeys(report.id);
    await this.store.putJson(keys.report, report);
    if (!final) return;
    const svg = logWealthSvg(report);
    await this.store.put(keys.plot, Buffer.from(svg), { contentType: 'image/svg+xml' });
    await this.store.put(keys.html, Buffer.from(auditHtml(report, svg)), { contentType: 'text/html; charset=utf-8' });
  }

  async readReport(jobId: string): Promise<AuditReport | undefined> {
    return this.readOptional(auditKeys(jobId).report, (b) => JSON.parse(b.toString('utf8')) as AuditReport);
  }

  /** The stored SVG, or one drawn from the current report while the audit runs; undefined if neither exists. */
  async plotSvg(jobId: string): Promise<string | undefined> {
    const stored = await this.readOptional(auditKeys(jobId).plot, (b) => b.toString('utf8'));
    if (stored !== undefined) return stored;
    const report = await this.readReport(jobId);
    return report && logWealthSvg(report);
  }

  async html(jobId: string): Promise<string | undefined> {
    const stored = await this.readOptional(auditKeys(jobId).html, (b) => b.toString('utf8'));
    if (stored !== undefined) return stored;
    const report = await this.readReport(jobId);
    return report && auditHtml(report, logWealthSvg(report));
  }

  /** A browser-usable URL of the final SVG, when it exists. */
  async presignedPlotUrl(jobId: string): Promise<string | undefined> {
    const key = auditKeys(jobId).plot;
    if (!(await this.store.exists(key))) return undefined;
    return this.store.presignedGetUrl(key);
  }

  /** Keyed by the checkpoint's nextIndex, so a crash between this write and the job checkpoint leaves the old state intact. */
  async putTestState(jobId: string, nextIndex: number, state: SequentialTestState): Promise<string> {
    const key = `${auditKeys(jobId).prefix}checkpoint/test-state-${nextIndex}.json`;
    await this.store.putJson(key, state);
    return key;
  }

  async getTestState(key: string): Promise<SequentialTestState> {
    return this.store.getJson<SequentialTestState>(key);
  }

  async deleteObject(key: string): Promise<void> {
    await this.store.delete(key).catch(() => undefined);
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
