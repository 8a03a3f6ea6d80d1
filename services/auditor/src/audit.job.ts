import { BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { AssayError, AuditResult, AuditStartRequest } from '@assay/contracts';
import type { JobContext } from '@assay/messaging';
import { ASSAY_LOGGER, GenerationClient, HandlesJob, MetricFactory } from '@assay/platform';
import { ATTR, EVENTS, withSpan } from '@assay/telemetry';
import { AuditCheckpoint, AuditLedger } from './audit-ledger';
import { auditHtml, auditKeys, logWealthSvg, reportFromLedger } from './audit-report';
import { AuditStore } from './audit.store';
import { scoreAuditBatch } from './audit-batch';
import { visitOrder } from '@assay/platform';

/** On shutdown, how long a handler waits for the worker's abort signal before giving the job back itself. */
const SHUTDOWN_WAIT_MS = 60_000;

/**
 * The durable audit job (queue `auditor.audit`): batch by batch, both models answer the same prompts in the
 * same order (each with its own seed), the metric scores both, the pairs feed the sequential test, and the
 * ledger is checkpointed before progress is reported (a large witness state goes to the job's scratch blobs).
 * A restarted worker resumes at the checkpoint's `nextIndex` with the restored test, so no prompt is generated
 * twice and no budget is spent twice.
 */
@Injectable()
export class AuditJob implements BeforeApplicationShutdown {
  private stopping = false;

  constructor(
    private readonly store: AuditStore,
    private readonly generation: GenerationClient,
    private readonly metrics: MetricFactory,
    @Inject(ASSAY_LOGGER) private readonly logger: Logger,
  ) {}

  /** Runs before the job worker stops: the running audit finishes its batch, checkpoints, and hands the job back. */
  beforeApplicationShutdown() {
    this.stopping = true;
  }

  @HandlesJob('auditor.audit')
  async run(job: JobContext<AuditStartRequest>): Promise<AuditResult> {
    const request = job.payload;
    const attributes = { [ATTR.jobId]: job.id, [ATTR.jobAttempt]: job.attempt, 'assay.audit.reference': request.reference, 'assay.audit.candidate': request.candidate, 'assay.audit.test': request.test };
    return withSpan('audit', { attributes }, async (span) => {
      const prompts = await this.store.loadPrompts(request.prompts);
      if (prompts.length === 0) throw AssayError.badRequest('the prompt set is empty');
      const order = visitOrder(prompts.length, request.shuffle, request.shuffleSeed);
      const limit = Math.min(request.budget, prompts.length);
      const metric = this.metrics.create(request.metric);
      const checkpoint = await job.loadCheckpoint<AuditCheckpoint>();
      const ledger = checkpoint ? AuditLedger.resume(checkpoint) : AuditLedger.start(request);
      if (checkpoint) this.logger.info({ jobId: job.id, attempt: job.attempt, nextIndex: ledger.nextIndex }, 'audit resumed from its checkpoint');
      // A job queued by another client has no report yet: write the pending one, with its threshold, at once.
      else await this.store.putReport(reportFromLedger(job.id, request, ledger, null));
      try {
        for (let batch = ledger.nextBatch(limit, request.batchSize); batch; batch = ledger.nextBatch(limit, request.batchSize)) {
          await this.yieldIfStopping(job);
          const items = order.slice(batch.from, batch.to).map((i) => prompts[i]);
          const scores = await scoreAuditBatch(this.generation, metric, request, items, batch.from);
          const step = ledger.record(scores.reference, scores.candidate);
          await job.checkpoint(ledger.checkpoint());
          const stopReason = ledger.stopReason(limit, request.budget);
          if (stopReason === null) await this.store.putReport(reportFromLedger(job.id, request, ledger, null));
          await job.progress(ledger.nextIndex / limit, `${ledger.nextIndex}/${limit} prompts, log-wealth ${step.logWealth.toFixed(3)} of ${step.logThreshold.toFixed(3)}`, {
            samples: step.samplesUsed,
            logWealth: step.logWealth,
          });
        }
      } catch (error) {
        // Shutdown and cancellation are expected stops (the checkpoint is current); anything else is worth a warning.
        const log = job.signal.aborted ? this.logger.info.bind(this.logger) : this.logger.warn.bind(this.logger);
        log({ jobId: job.id, attempt: job.attempt, nextIndex: ledger.nextIndex, err: (error as Error).message }, 'audit attempt stopped before the end');
        throw error;
      }
      const report = reportFromLedger(job.id, request, ledger, ledger.stopReason(limit, request.budget) ?? 'prompts-spent');
      const svg = logWealthSvg(report);
      await this.store.putReport(report);
      await this.store.putDocuments(job.id, { svg, html: auditHtml(report, svg) });
      span.addEvent(EVENTS.evaluationResult, { 'gen_ai.evaluation.name': 'behaviour-shift', 'assay.audit.decision': report.decision, 'assay.audit.samples': report.pairsUsed, 'assay.audit.log_wealth': report.finalLogWealth });
      this.logger.info({ jobId: job.id, decision: report.decision, samples: report.samplesUsed, resumedAt: report.resumedAt }, 'audit finished');
      return { reportKey: auditKeys(job.id).report, decision: report.decision, samplesUsed: report.samplesUsed, samplesToDecision: report.samplesToDecision, finalLogWealth: report.finalLogWealth };
    });
  }

  /**
   * Between batches: a cancelled or superseded job stops at once; on shutdown the handler waits for the worker's
   * abort, so the job goes back to the queue as a clean hand-over (not a failed attempt) and resumes elsewhere.
   */
  private async yieldIfStopping(job: JobContext<AuditStartRequest>): Promise<void> {
    if (!job.signal.aborted && this.stopping) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, SHUTDOWN_WAIT_MS);
        job.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
      });
    }
    if (job.signal.aborted) throw job.signal.reason ?? AssayError.unavailable('audit aborted');
    if (this.stopping) throw AssayError.unavailable('auditor shutting down');
  }
}
