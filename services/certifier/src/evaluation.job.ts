import { Injectable } from '@nestjs/common';
import { CertifyEvalRequest, CertifyEvalResult } from '@assay/contracts';
import { JobContext, JobStages } from '@assay/messaging';
import { HandlesJob } from '@assay/platform';
import { ATTR, EVENTS, withSpan } from '@assay/telemetry';
import { EvaluationDataStore } from './evaluation-data.store';
import { evaluationReportFiles } from './evaluation-report';
import { summarizeEvaluation } from './evaluation-summary';
import { ItemScoringService } from './item-scoring.service';
import { REPORT_FAMILIES, ReportStore } from './report.store';

/**
 * The certifier's evaluation job (spec §4): scores an in-domain and an out-of-domain set with L and G, then reports
 * FRR and OOD rejection at the k of the target FRR, ROC/AUROC, Youden's J, k for a target ε and the domain
 * certificate at k, with figures, in `reports/certify-eval/<jobId>/`. Scored batches are scratch blobs (JobStages),
 * so a restarted job redoes at most one batch.
 */
@Injectable()
export class EvaluationJob {
  constructor(
    private readonly data: EvaluationDataStore,
    private readonly scorer: ItemScoringService,
    private readonly reports: ReportStore,
  ) {}

  @HandlesJob('certifier.evaluate')
  async evaluate(job: JobContext<CertifyEvalRequest>): Promise<CertifyEvalResult> {
    const request = job.payload;
    const attributes = { [ATTR.jobId]: job.id, [ATTR.assayOperation]: 'evaluate', [ATTR.genAiRequestModel]: request.model, 'assay.guide': request.guide };
    return withSpan('certifier.evaluate', { attributes }, async (span) => {
      const stages = await JobStages.open(job);
      const refs = await stages.fixed('refs', () => this.scorer.resolve(request.model, request.guide));
      const pair = await this.scorer.pair(refs.model, refs.guide);
      const [id, ood] = await Promise.all([this.data.items(request.inDomain, request.maxItems), this.data.items(request.outOfDomain, request.maxItems)]);
      const prepared = [this.scorer.prepare(pair, id, request.inDomain.kind, 'id', request), this.scorer.prepare(pair, ood, request.outOfDomain.kind, 'ood', request)];
      const batches = this.scorer.batches(
        prepared.flatMap((p) => p.items),
        this.scorer.itemSize(pair, request),
      );
      stages.plan(batches.length);
      const scored = await stages.run('score', batches, (batch) => this.scorer.scoreBatch(pair, batch, request));
      const summary = summarizeEvaluation([...scored, ...prepared.flatMap((p) => p.unscorable)], { ...request, seed: request.seed });
      const title = `VALID evaluation: L = ${refs.model}, G = ${refs.guide}`;
      const details = { model: refs.model, guide: refs.guide, tokenizers_match: pair.tokenizersMatch, in_domain_set: request.inDomain.key, out_of_domain_set: request.outOfDomain.key, job_id: job.id };
      const report = await this.reports.write(REPORT_FAMILIES.evaluation, job.id, evaluationReportFiles(title, summary, details));
      span.addEvent(EVENTS.evaluationResult, { 'gen_ai.evaluation.name': 'valid.auroc', 'gen_ai.evaluation.score.value': summary.auroc });
      return {
        auroc: summary.auroc,
        k: summary.k,
        targetFrr: summary.targetFrr,
        frr: summary.frr,
        oodRejection: summary.oodRejection,
        domainCertificateLog2: summary.domainCertificateLog2,
        youden: summary.youden,
        kForTargetEpsilon: summary.kForTargetEpsilon,
        ...(summary.atTargetEpsilon ? { atTargetEpsilon: summary.atTargetEpsilon } : {}),
        evaluation: summary.evaluation,
        split: summary.split,
        inSample: summary.inSample,
        T: summary.T,
        counts: summary.counts,
        tokenizersMatch: pair.tokenizersMatch,
        ...report,
      };
    });
  }
}
