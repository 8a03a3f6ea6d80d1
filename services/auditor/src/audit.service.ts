import { Inject, Injectable } from '@nestjs/common';
import { ModelRegistry } from '@assay/artifacts';
import { AssayError, AuditReport, AuditStartRequest, JobAccepted } from '@assay/contracts';
import { AssayJobsClient } from '@assay/messaging';
import { AssayConfig, ASSAY_CONFIG, metricNeedsReferences, MetricFactory } from '@assay/platform';
import { AuditLedger } from './audit-ledger';
import { auditHtml, logWealthSvg, pendingReport, reportFromLedger, thinTrajectory } from './audit-report';
import { AuditStore } from './audit.store';

const FAILED_STATUSES = new Set(['failed', 'dead', 'cancelled']);

/** Starting audits (validate, then queue a durable job) and reading their reports. */
@Injectable()
export class AuditService {
  constructor(
    private readonly jobs: AssayJobsClient,
    private readonly registry: ModelRegistry,
    private readonly store: AuditStore,
    private readonly metrics: MetricFactory,
    @Inject(ASSAY_CONFIG) private readonly config: AssayConfig,
  ) {}

  /** Everything that can be checked before spending a token is checked here, so a queued audit only fails on infrastructure. */
  async start(request: AuditStartRequest): Promise<JobAccepted> {
    if (request.maxNewTokens > this.config.runtime.maxNewTokens) {
      throw AssayError.badRequest(`maxNewTokens ${request.maxNewTokens} exceeds the configured cap of ${this.config.runtime.maxNewTokens} (ASSAY_MAX_NEW_TOKENS)`);
    }
    await Promise.all([this.registry.resolveRef(request.reference), this.registry.resolveRef(request.candidate), this.metrics.check(request.metric)]);
    const prompts = await this.store.loadPrompts(request.prompts);
    if (prompts.length === 0) throw AssayError.badRequest('the prompt set is empty');
    if (metricNeedsReferences(request.metric) && !prompts.some((p) => p.reference !== undefined)) {
      throw AssayError.badRequest(`metric ${request.metric.kind} scores against references, and no prompt has one (JSONL field "reference")`);
    }
    const { created, ...accepted } = await this.jobs.accept('auditor.audit', request, { clientKey: request.clientKey, statusUrl: (id) => `/v1/audits/${id}` });
    if (created) await this.store.putReport({ ...reportFromLedger(accepted.jobId, request, AuditLedger.start(request), null), status: 'queued' });
    return accepted;
  }

  /** The decision and its evidence; `pending` while the job runs, `failed` when it failed, died or was cancelled. */
  async get(id: string): Promise<AuditReport> {
    const record = await this.jobs.statusIn('auditor.audit', id);
    const report = (await this.store.readReport(id)) ?? pendingReport(id);
    const failed = FAILED_STATUSES.has(record.status);
    return {
      ...report,
      status: record.status,
      decision: failed ? 'failed' : report.decision,
      logWealth: thinTrajectory(report.logWealth),
      plotUrl: `/v1/audits/${id}/plot.svg`,
      reportUrl: `/v1/audits/${id}/report.html`,
      ...(record.status === 'succeeded' ? { plotPresignedUrl: await this.store.presignedPlotUrl(id) } : {}),
      ...(failed && record.error ? { error: record.error } : {}),
    };
  }

  /** The final SVG, or one drawn from the current report while the audit runs. */
  async plotSvg(id: string): Promise<string> {
    await this.jobs.statusIn('auditor.audit', id);
    const svg = (await this.store.readPlot(id)) ?? (await this.withReport(id, logWealthSvg));
    if (svg === undefined) throw AssayError.notFound(`audit ${id} has no plot yet`);
    return svg;
  }

  async html(id: string): Promise<string> {
    await this.jobs.statusIn('auditor.audit', id);
    const html = (await this.store.readHtml(id)) ?? (await this.withReport(id, (report) => auditHtml(report, logWealthSvg(report))));
    if (html === undefined) throw AssayError.notFound(`audit ${id} has no report yet`);
    return html;
  }

  private async withReport<T>(id: string, render: (report: AuditReport) => T): Promise<T | undefined> {
    const report = await this.store.readReport(id);
    return report && render(report);
  }
}
