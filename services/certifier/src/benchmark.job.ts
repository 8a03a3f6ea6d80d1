import { Injectable } from '@nestjs/common';
import { CertifyBenchRequest, CertifyBenchResult } from '@assay/contracts';
import { JobContext, JobStages } from '@assay/messaging';
import { HandlesJob } from '@assay/platform';
import { ATTR, EVENTS, withSpan } from '@assay/telemetry';
import { benchmarkReportFiles } from './benchmark-report';
import { fillTemplate, markerOf, summarizeBenchmark } from './benchmark-summary';
import { EvaluationDataStore } from './evaluation-data.store';
import { estimatedItemBytes } from './item-fitting';
import { ItemScoringService, PreparedChoice } from './item-scoring.service';
import { REPORT_FAMILIES, ReportStore } from './report.store';

/**
 * Certified benchmarking (spec §4) on multiple-choice data: L's accuracy (path A, the best option marker after
 * "Answer:"), and the certified accuracy mean(correct ∧ accepted) at each ε (k calibrated on the OOD set) or k,
 * where the gold answer text is what VALID accepts or rejects (path B).
 */
@Injectable()
export class BenchmarkJob {
  constructor(
    private readonly data: EvaluationDataStore,
    private readonly scorer: ItemScoringService,
    private readonly reports: ReportStore,
  ) {}

  @HandlesJob('certifier.benchmark')
  async benchmark(job: JobContext<CertifyBenchRequest>): Promise<CertifyBenchResult> {
    const request = job.payload;
    const attributes = { [ATTR.jobId]: job.id, [ATTR.assayOperation]: 'benchmark', [ATTR.genAiRequestModel]: request.model, 'assay.guide': request.guide };
    return withSpan('certifier.benchmark', { attributes }, async (span) => {
      const stages = await JobStages.open(job);
      const refs = await stages.fixed('refs', () => this.scorer.resolve(request.model, request.guide));
      const pair = await this.scorer.pair(refs.model, refs.guide);
      const questions = await this.data.questions(request.data, request.maxItems);
      const oodItems = request.outOfDomain ? await this.data.items(request.outOfDomain, 2000) : [];

      const choices = this.scorer.prepareChoices(pair, questions, (q) => fillTemplate(request.choicePrompt, q), markerOf);
      const gold = this.scorer.prepare(pair, questions.map((q) => ({ prompt: fillTemplate(request.answerContext, q), response: q.answer })), 'responses', 'id', request);
      const ood = request.outOfDomain ? this.scorer.prepare(pair, oodItems, request.outOfDomain.kind, 'ood', request) : { items: [], unscorable: [] };
      const size = this.scorer.itemSize(pair, request);
      const choiceBatches = this.scorer.batches(choices, (c: PreparedChoice) => ({ bytes: estimatedItemBytes(c.context.length * c.letters.length, 2 * c.letters.length), rows: c.letters.length }));
      const goldBatches = this.scorer.batches(gold.items, size);
      const oodBatches = this.scorer.batches(ood.items, size);
      stages.plan(choiceBatches.length + goldBatches.length + oodBatches.length);

      const answers = await stages.run('choices', choiceBatches, (batch) => this.scorer.chooseBatch(pair, batch, markerOf));
      const goldScores = [...(await stages.run('answers', goldBatches, (batch) => this.scorer.scoreBatch(pair, batch, request))), ...gold.unscorable].sort((a, b) => a.index - b.index);
      const oodScores = await stages.run('ood', oodBatches, (batch) => this.scorer.scoreBatch(pair, batch, request));
      const summary = summarizeBenchmark(
        answers.map((a) => a.correct),
        goldScores,
        { epsilonsLog2: request.epsilonsLog2, ks: request.ks, ood: oodScores.filter((o) => o.nTokens >= request.minTokens), T: request.T, optionCounts: questions.map((q) => q.options.length) },
      );
      const title = `Certified benchmark: L = ${refs.model}, G = ${refs.guide}, data = ${request.data}`;
      const details = { model: refs.model, guide: refs.guide, data: request.data, tokenizers_match: pair.tokenizersMatch, out_of_domain_set: request.outOfDomain?.key ?? null, job_id: job.id };
      const report = await this.reports.write(REPORT_FAMILIES.benchmark, job.id, benchmarkReportFiles(title, summary, details, answers.map((a) => a.predicted)));
      span.addEvent(EVENTS.evaluationResult, { 'gen_ai.evaluation.name': 'accuracy', 'gen_ai.evaluation.score.value': summary.accuracy });
      return { ...summary, T: request.T, tokenizersMatch: pair.tokenizersMatch, ...report };
    });
  }
}
