import { Injectable } from '@nestjs/common';
import { AssayError, CalibrationBaseMethod, CalibrationEvalRequest, CalibrationEvalResult } from '@assay/contracts';
import { JobContext, JobStages } from '@assay/messaging';
import { HandlesJob } from '@assay/platform';
import { ATTR, EVENTS, withSpan } from '@assay/telemetry';
import { heldMethods, pFromMargin, splitMethod } from './calibrator-artifact';
import { CalibratorStore } from './calibrator.store';
import { calibrationReportFiles, DatasetScores } from './calibration-report';
import { DatasetStore, LabelledRow } from './dataset.store';
import { MethodScorer } from './method-scorer.service';
import { CalibrationReportStore } from './report.store';

const BATCH = 32;

/**
 * The evaluation job (issue 10 §5): every method of a calibrator on the test split of each dataset (held out from
 * every fit: the probe and CT train on train, temperatures on val), with the report. Scores are checkpointed per
 * batch, one stage per dataset and base method (a method and its -ts twin share the margins).
 */
@Injectable()
export class EvaluationJob {
  constructor(
    private readonly calibrators: CalibratorStore,
    private readonly datasets: DatasetStore,
    private readonly scorer: MethodScorer,
    private readonly reports: CalibrationReportStore,
  ) {}

  @HandlesJob('calibrator.evaluate')
  async evaluate(job: JobContext<CalibrationEvalRequest>): Promise<CalibrationEvalResult> {
    const request = job.payload;
    return withSpan('calibrator.evaluate', { attributes: { [ATTR.jobId]: job.id, [ATTR.assayOperation]: 'calibrate-evaluate' } }, async (span) => {
      const stages = await JobStages.open(job);
      const ref = await stages.fixed('calibrator', async () => {
        const loaded = await this.calibrators.load(request.calibrator);
        return `${loaded.name}@${loaded.version}`;
      });
      const { artifact } = await this.calibrators.load(ref);
      const held = heldMethods(artifact);
      const methods = request.methods ?? held;
      const missing = methods.filter((m) => !held.includes(m));
      if (missing.length) throw AssayError.badRequest(`calibrator ${ref} holds no ${missing.join(', ')}`);
      const bases = [...new Set(methods.map((m) => splitMethod(m).base))];
      const ids = request.datasets ?? [artifact.dataset];
      const sets: Array<{ id: string; test: LabelledRow[] }> = [];
      for (const id of ids) {
        const { manifest, rows } = await this.datasets.read(id);
        if (manifest.model !== artifact.model) throw AssayError.badRequest(`dataset ${id} holds answers of ${manifest.model}, the calibrator is for ${artifact.model}`);
        if (manifest.format !== artifact.format) throw AssayError.badRequest(`dataset ${id} is ${manifest.format}, the calibrator was fitted on ${artifact.format} questions`);
        sets.push({ id, test: rows.filter((r) => r.split === 'test') });
      }
      const chunked = (rows: LabelledRow[]) => Array.from({ length: Math.ceil(rows.length / BATCH) }, (_, i) => rows.slice(i * BATCH, (i + 1) * BATCH));
      stages.plan(sets.reduce((n, s) => n + bases.length * chunked(s.test).length, 0));
      const scores: DatasetScores[] = [];
      for (const [index, set] of sets.entries()) {
        if (set.test.length === 0) throw AssayError.badRequest(`dataset ${set.id} has no test rows`);
        const margins = new Map<CalibrationBaseMethod, number[]>();
        for (const base of bases) {
          margins.set(base, await stages.run(`d${index}-${base}`, chunked(set.test), (b) => this.scorer.margins(base, artifact, artifact.methods[base], b)));
        }
        scores.push({
          dataset: set.id,
          labels: set.test.map((r) => r.label),
          methods: methods.map((method) => {
            const { base, scaled } = splitMethod(method);
            const t = scaled ? artifact.methods[base]!.temperature : 1;
            return { method, pCorrect: margins.get(base)!.map((m) => pFromMargin(m, t)) };
          }),
        });
      }
      const title = `Calibration: ${ref} (L = ${artifact.model})`;
      const { files, results } = calibrationReportFiles(title, scores, { calibrator: ref, model: artifact.model, served_method: artifact.serve, datasets: ids.join(', '), split: 'test', job_id: job.id });
      const report = await this.reports.write(job.id, files);
      const served = results[ids[0]]?.[artifact.serve];
      if (served?.ece !== null && served?.ece !== undefined) span.addEvent(EVENTS.evaluationResult, { 'gen_ai.evaluation.name': 'calibration.ece', 'gen_ai.evaluation.score.value': served.ece });
      return { calibrator: ref, model: artifact.model, split: 'test', results, ...report };
    });
  }
}
