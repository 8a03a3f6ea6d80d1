import { Injectable } from '@nestjs/common';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ModelRegistry, timestampVersion } from '@assay/artifacts';
import { AssayError, CalibrationBaseMethod, CalibrationMethod, FitRequest, FitResult } from '@assay/contracts';
import { decodeCheckpoint, encodeCheckpoint, TrainerCheckpoint } from '@assay/forge';
import { JobContext, JobStages } from '@assay/messaging';
import { HandlesJob } from '@assay/platform';
import { fitTemperature, MlpProbe, ProbeState, trainProbeAsync } from '@assay/stats';
import { CALIBRATOR_MODEL_TYPE, CalibratorArtifact, FittedBaseMethod, heldMethods, OptionTokens, SERVE_PREFERENCE } from './calibrator-artifact';
import { CalibratorStore } from './calibrator.store';
import { trainCtQuery } from './ct-query.trainer';
import { DatasetStore, LabelledRow } from './dataset.store';
import { MethodScorer, ScoringSetup } from './method-scorer.service';
import { contextText, uncertaintyQuery } from './qa-format';

/** Rows per checkpointed scoring batch. */
const BATCH = 32;
/** The order methods are fitted in (cheap ones first, so a late failure loses little). */
const ORDER: CalibrationBaseMethod[] = ['query', 'logprob', 'logits', 'verbal', 'sampling', 'probe', 'ct-query'];

function batches<T>(items: readonly T[], size = BATCH): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Where fits keep what they computed, for the resume test and the result's `stages`. */
export interface StageLedger {
  /** Batches computed in this attempt, by stage (batches of earlier attempts are read back, not counted). */
  computed: Record<string, number>;
}

/**
 * The fit job (issue 10 §3): on a labelled dataset, fits each requested method and its temperature-scaled twin and
 * registers one versioned calibrator that names its L. Every stage is checkpointed (JobStages: each batch of scores
 * or hidden states, the trained probe, the CT run with its own trainer checkpoints), so a worker killed mid-fit
 * resumes where it was without refitting finished stages.
 */
@Injectable()
export class FitJob {
  constructor(
    private readonly datasets: DatasetStore,
    private readonly scorer: MethodScorer,
    private readonly calibrators: CalibratorStore,
    private readonly registry: ModelRegistry,
  ) {}

  @HandlesJob('calibrator.fit')
  async fit(job: JobContext<FitRequest>): Promise<FitResult> {
    const request = job.payload;
    const stages = await JobStages.open(job);
    const ledger: StageLedger = { computed: {} };
    const counted = <I, O>(stage: string, work: (batch: I[], index: number) => Promise<O[]>) => async (batch: I[], index: number) => {
      ledger.computed[stage] = (ledger.computed[stage] ?? 0) + 1;
      return work(batch, index);
    };
    const { manifest, rows } = await this.datasets.read(request.dataset);
    const version = await stages.fixed('version', async () => timestampVersion(new Date(), randomBytes(2).toString('hex')));
    const model = manifest.model;
    const options = await stages.fixed<OptionTokens>('options', () => this.scorer.optionTokens(model));
    const letters = manifest.format === 'choice' ? await stages.fixed('letters', () => this.scorer.letterTokens(model, 26)) : [];
    const setup: ScoringSetup = { model, format: manifest.format, options, letters, maxNewTokens: manifest.maxNewTokens, seed: request.seed };
    const train = rows.filter((r) => r.split === 'train');
    const val = rows.filter((r) => r.split === 'val');
    if (train.length < 2 || val.length < 2) throw AssayError.badRequest(`dataset ${request.dataset} has ${train.length} train and ${val.length} validation rows: too few to fit`);
    const methods = ORDER.filter((m) => request.methods.includes(m));
    if (methods.includes('logits') && manifest.format !== 'choice') throw AssayError.badRequest('the logits baseline needs a multiple-choice dataset');
    const valLabels = val.map((r) => r.label);
    stages.plan(methods.reduce((n, m) => n + (m === 'probe' ? batches([...train, ...val]).length + 1 : m === 'ct-query' ? 1 + batches(val).length : batches(val).length), 0));

    const fitted: Partial<Record<CalibrationBaseMethod, FittedBaseMethod>> = {};
    let tunedModel: string | null = null;
    for (const method of methods) {
      let margins: number[];
      const extra: Partial<FittedBaseMethod> = {};
      if (method === 'probe') {
        const features = await stages.run('probe-features', batches([...train, ...val]), counted('probe-features', (b: LabelledRow[]) => this.scorer.features(setup, b, request.probe.pooling)));
        const [state] = await stages.run('probe-train', [[0]], counted('probe-train', async () => {
          const result = await trainProbeAsync(
            { features: features.slice(0, train.length), labels: train.map((r) => r.label) },
            { features: features.slice(train.length), labels: valLabels },
            {
              hidden: request.probe.hidden, learningRate: request.probe.learningRate, maxEpochs: request.probe.maxEpochs, patience: request.probe.patience, seed: request.seed,
              onEpoch: (e) => void job.progress(0, `probe: epoch ${e.epoch}`, { epoch: e.epoch, trainLoss: e.trainLoss, ...(e.validationLoss === null ? {} : { valLoss: e.validationLoss }) }),
            },
          );
          return [result.probe.toJSON()];
        }));
        const probe = MlpProbe.fromJSON(state as ProbeState);
        margins = features.slice(train.length).map((x) => {
          const [z0, z1] = probe.logits(x);
          return z1 - z0;
        });
        extra.probe = state as ProbeState;
        extra.pooling = request.probe.pooling;
      } else if (method === 'ct-query') {
        const [tuned] = await stages.run('ct-query-train', [[0]], counted('ct-query-train', async () => [await this.trainCt(job, request, setup, train, val, version)]));
        tunedModel = tuned;
        extra.tunedModel = tuned;
        margins = await stages.run('ct-query-val', batches(val), counted('ct-query-val', (b: LabelledRow[]) => this.scorer.queryMargins(tuned, setup, b)));
      } else {
        if (method === 'sampling') extra.samples = request.samples;
        margins = await stages.run(`${method}-val`, batches(val), counted(`${method}-val`, (b: LabelledRow[]) => this.scorer.margins(method, setup, { temperature: 1, valNllBefore: 0, valNllAfter: 0, ...extra }, b)));
      }
      // §3.3: one temperature on the validation split; fitTemperature never returns a T that raises its NLL.
      const ts = fitTemperature(margins.map((m) => [0, m]), valLabels);
      fitted[method] = { temperature: ts.temperature, valNllBefore: ts.nllBefore, valNllAfter: ts.nllAfter, ...extra };
    }

    const held = heldMethods({ methods: fitted });
    const serve: CalibrationMethod = request.serve ?? SERVE_PREFERENCE.find((m) => held.includes(m)) ?? held[0];
    if (!held.includes(serve)) throw AssayError.badRequest(`serve ${serve} is not among the fitted methods (${held.join(', ')})`);
    const artifact: CalibratorArtifact = { kind: CALIBRATOR_MODEL_TYPE, schema: 1, model, dataset: request.dataset, format: manifest.format, serve, options, letters, maxNewTokens: manifest.maxNewTokens, seed: request.seed, methods: fitted };
    const [modelName, modelVersion] = model.split('@');
    await this.calibrators.save(request.name, version, artifact, { kind: 'trained-calibrator', parent: { name: modelName, version: modelVersion }, dataset: request.dataset, methods, jobId: job.id });
    await job.progress(1, 'registered', { computedBatches: Object.values(ledger.computed).reduce((a, b) => a + b, 0) });
    return {
      calibrator: `${request.name}@${version}`,
      name: request.name,
      version,
      model,
      serve,
      methods: held.map((m) => {
        const f = fitted[m.replace(/-ts$/, '') as CalibrationBaseMethod]!;
        return m.endsWith('-ts') ? { method: m, temperature: f.temperature, valNllBefore: f.valNllBefore, valNllAfter: f.valNllAfter } : { method: m, temperature: null, valNllBefore: null, valNllAfter: null };
      }),
      tunedModel,
      computedStages: ledger.computed,
    };
  }

  /**
   * CT-Query (§3.1) on L's weights with LoRA; its trainer checkpoints go to the job's scratch, so a restarted fit
   * continues the run. The tuned model is exported in the usual layout and registered with provenance.
   */
  private async trainCt(job: JobContext<FitRequest>, request: FitRequest, setup: ScoringSetup, train: LabelledRow[], val: LabelledRow[], version: string): Promise<string> {
    const [name, modelVersion] = setup.model.split('@');
    const baseDir = await this.registry.fetch(name, modelVersion);
    const example = (r: LabelledRow) => {
      const context = contextText(r.question, setup.format);
      return { query: uncertaintyQuery(context, r.answer), label: r.label, context, gold: r.gold };
    };
    const CHECKPOINT = 'ct-query/trainer.bin';
    const saved = await job.scratch.get(CHECKPOINT).catch(() => undefined);
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'assay-ct-query-'));
    try {
      const result = await trainCtQuery(
        {
          baseDir, train: train.map(example), validation: val.map(example), options: { ...request.ctQuery, seed: request.seed }, optionIds: setup.options,
          checkpointEvery: Math.max(10, Math.floor(request.ctQuery.steps / 10)),
          onCheckpoint: async (checkpoint) => {
            await job.scratch.put(CHECKPOINT, encodeCheckpoint(checkpoint));
          },
          resumeFrom: saved ? decodeCheckpoint<TrainerCheckpoint<unknown>>(new Uint8Array(saved)) : undefined,
          onProgress: (p) => void job.progress(0, `ct-query: step ${p.step}/${p.steps}`, { step: p.step, steps: p.steps, loss: p.loss, etaSec: p.etaSec }),
          signal: job.signal,
        },
        outDir,
      );
      if (job.signal.aborted) throw job.signal.reason;
      const tunedName = `${request.name}-ct`.slice(0, 64);
      const existing = await this.registry.versions(tunedName).catch(() => [] as string[]);
      if (!existing.includes(version)) {
        await this.registry.push(outDir, {
          name: tunedName, version,
          provenance: { kind: 'fine-tuned', parent: { name, version: modelVersion }, method: 'ct-query', lora: result.lora, dataset: request.dataset, trainingReport: result.report },
        });
      }
      return `${tunedName}@${version}`;
    } finally {
      fs.rmSync(outDir, { recursive: true, force: true });
    }
  }
}
