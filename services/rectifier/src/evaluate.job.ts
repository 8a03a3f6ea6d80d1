import { Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { ObjectStore } from '@assay/artifacts';
import { AssayError, DetoxMetrics, RectifierEvaluateRequest, RectifierEvaluateResult } from '@assay/contracts';
import type { JobContext } from '@assay/messaging';
import { ASSAY_LOGGER, HandlesJob, loadPromptSet, MetricFactory, ModelHostService } from '@assay/platform';
import { ATTR, withSpan } from '@assay/telemetry';
import { runSettingBatch, SettingBatch, summarizeSetting } from './detox-evaluation';
import { evaluationHtml, evaluationKeys } from './evaluation-report';
import { QHeadStore } from './q-head.store';

/** Prompts per generation batch (one checkpoint each). */
const EVAL_PROMPTS = 8;

interface EvalCheckpoint {
  /** Batches done per setting (index 0 = base L, then the ε sweep in order). */
  done: number[];
}

/**
 * The durable evaluation job (queue `rectifier.evaluate`): base L, then L rectified at each ε of the sweep, on the
 * same held-out prompts with the same seed (so the settings differ only by the caps), batch by batch; each batch's
 * raw scores, texts and perplexities go to scratch, the checkpoint counts them. The result and an HTML report with
 * the ε plots are written to the object store.
 */
@Injectable()
export class EvaluateJob {
  constructor(
    private readonly models: ModelHostService,
    private readonly qheads: QHeadStore,
    private readonly store: ObjectStore,
    private readonly metrics: MetricFactory,
    @Inject(ASSAY_LOGGER) private readonly logger: Logger,
  ) {}

  @HandlesJob('rectifier.evaluate')
  async run(job: JobContext<RectifierEvaluateRequest>): Promise<RectifierEvaluateResult> {
    const request = job.payload;
    return withSpan('rectifier.evaluate', { attributes: { [ATTR.jobId]: job.id, [ATTR.jobAttempt]: job.attempt, 'assay.rectifier.artifact': request.rectifier } }, async () => {
      const q = await this.qheads.load(request.rectifier);
      const model = await this.models.acquire(request.model ?? `${q.config.base.name}@${q.config.base.version}`);
      this.qheads.checkBase(q, model);
      const prompts = (await loadPromptSet(this.store, request.prompts)).map((p) => p.prompt);
      const metric = this.metrics.create(request.metric);
      const epsilons = request.epsilons ?? [q.config.epsilon];
      const capMode = request.capMode ?? q.config.cap_mode;
      const head = { inDim: q.layout.inDim, hidden: q.layout.hidden, vocab: q.layout.vocab, params: q.params };
      const settings = [undefined, ...epsilons];
      const batches = Math.ceil(prompts.length / EVAL_PROMPTS);
      const cp = (await job.loadCheckpoint<EvalCheckpoint>()) ?? { done: settings.map(() => 0) };
      const options = { samplesPerPrompt: request.samplesPerPrompt, maxNewTokens: request.maxNewTokens, temperature: request.temperature, topK: request.topK, topP: request.topP };
      const total = settings.length * batches;
      for (const [s, epsilon] of settings.entries()) {
        for (let b = cp.done[s]; b < batches; b++) {
          if (job.signal.aborted) throw job.signal.reason ?? AssayError.unavailable('evaluation aborted');
          const slice = prompts.slice(b * EVAL_PROMPTS, (b + 1) * EVAL_PROMPTS);
          // The same seed per batch in every setting: base and rectified samples share their random streams.
          const rectify = epsilon === undefined ? undefined : { head, epsilon, mode: capMode, pMin: q.config.p_min };
          const batch = await runSettingBatch(this.models.engine, model.key, slice, metric, { ...options, seed: (request.seed + b * 104729) >>> 0 }, rectify);
          await job.scratch.putJson(`eval/${s}/${b}.json`, batch);
          cp.done[s] = b + 1;
          await job.checkpoint(cp);
          const finished = cp.done.reduce((x, y) => x + y, 0);
          await job.progress(finished / total, `${epsilon === undefined ? 'base L' : `ε = ${epsilon}`}: ${b + 1}/${batches} prompt batches`, { setting: s, batch: b + 1, batches });
        }
      }
      const summaries: DetoxMetrics[] = [];
      for (const s of settings.keys()) {
        const loaded: SettingBatch[] = [];
        for (let b = 0; b < batches; b++) loaded.push(await job.scratch.getJson<SettingBatch>(`eval/${s}/${b}.json`));
        summaries.push(summarizeSetting(loaded, request.toxicThreshold, s > 0));
      }
      const keys = evaluationKeys(job.id);
      const result: RectifierEvaluateResult = {
        rectifier: q.ref,
        model: `${model.name}@${model.version}`,
        base: summaries[0],
        sweep: epsilons.map((epsilon, i) => ({ ...summaries[i + 1], epsilon })),
        reportKey: keys.result,
      };
      await this.store.putJson(keys.result, result);
      await this.store.put(keys.html, Buffer.from(evaluationHtml(result)), { contentType: 'text/html; charset=utf-8' });
      this.logger.info({ jobId: job.id, base: result.base.toxicityProb, sweep: result.sweep.map((s) => [s.epsilon, s.toxicityProb]) }, 'rectifier evaluation finished');
      return result;
    });
  }
}
