import { Inject, Injectable } from '@nestjs/common';
import { ModelRegistry } from '@assay/artifacts';
import { AssayError, AuditReport, AuditStartRequest, JOB_QUEUES, JobAccepted, splitModelRef } from '@assay/contracts';
import { JobsClient, JobRecord } from '@assay/messaging';
import { AssayConfig, ASSAY_CONFIG } from '@assay/platform';
import { AuditLedger } from './audit-ledger';
import { reportFromLedger, thinTrajectory } from './audit-report';
import { AuditStore } from './audit-store';
import { metricNeedsReferences, MetricFactory } from './metrics/metric-factory';

const FAILED_STATUSES = new Set(['failed', 'dead', 'cancelled']);

/** Starting audits (validate, then queue a durable job) and reading their reports. */
@Injectable()
export class AuditsService {
  constructor(
    private readonly jobs: JobsClient,
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
    await Promise.all([this.assertModel(request.reference), this.assertModel(request.candidate), this.metrics.check(request.metric)]);
    const prompts = await this.store.loadPrompts(request.prompts);
    if (prompts.length === 0) throw AssayError.badRequest('the prompt set is empty');
    if (metricNeedsReferences(request.metric) && !prompts.some((p) => p.reference !== undefined)) {
      throw AssayError.badRequest(`metric ${request.metric.kind} scores against references, and no prompt has one (JSONL field "reference")`);
    }
    const { jobId, created } = await this.jobs.submit(JOB_QUEUES.auditorAudit, request, { clientKey: request.clientKey });
    if (created) await this.store.putReport({ ...reportFromLedger(jobId, request, AuditLedger.start(request), null), status: 'queued' }, false);
    const status = created ? 'queued' : (await this.jobs.status(jobId)).status;
    return { jobId, status, statusUrl: `/v1/audits/${jobId}` };
  }

  /** The decision and its evidence; `pending` while the job runs, `failed` when it failed, died or was cancelled. */
  async get(id: string): Promise<AuditReport> {
    const record = await this.jobs.status(id);
    if (record.queue !== JOB_QUEUES.auditorAudit) throw AssayError.notFound(`no audit ${id}`);
    const report = (await this.store.readReport(id)) ?? emptyReport(id);
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

  async plotSvg(id: string): Promise<string> {
    await this.assertAudit(id);
    const svg = await this.store.plotSvg(id);
    if (svg === undefined) throw AssayError.notFound(`audit ${id} has no plot yet`);
    return svg;
  }

  async html(id: string): Promise<string> {
    await this.assertAudit(id);
    const html = await this.store.html(id);
    if (html === undefined) throw AssayError.notFound(`audit ${id} has no report yet`);
    return html;
  }

  private async assertAudit(id: string): Promise<JobRecord> {
    const record = await this.jobs.status(id);
    if (record.queue !== JOB_QUEUES.auditorAudit) throw AssayError.notFound(`no audit ${id}`);
    return record;
  }

  private async assertModel(ref: string): Promise<void> {
    const { name, version } = splitModelRef(ref);
    await this.registry.resolve(name, version).catch((error: unknown) => {
      const failure = AssayError.from(error);
      throw failure.code === 'NOT_FOUND' ? AssayError.notFound(`unknown model "${ref}"`, { model: ref }) : failure;
    });
  }
}

/** A job queued by another client than this service (no report written yet). */
function emptyReport(id: string): AuditReport {
  return {
    id,
    status: 'queued',
    decision: 'pending',
    stopReason: null,
    samplesUsed: 0,
    pairsUsed: 0,
    droppedPairs: 0,
    samplesToDecision: null,
    logWealth: [{ samples: 0, logWealth: 0 }],
    finalLogWealth: 0,
    threshold: Math.log(20),
    means: { reference: { n: 0, mean: null, low: null, high: null }, candidate: { n: 0, mean: null, low: null, high: null } },
    resumedAt: [],
  };
}
