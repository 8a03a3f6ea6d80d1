/**
 * Calibrator latency (issue 10): one `probe-ts` confidence of an answer through the calibrator service against one
 * likelihood score of the same text (context C, continuation " " + answer) through the likelihood service, both
 * over NATS request/reply on the same machine, same model (a forged random-weight GPT, 4 layers, dim 256, ~2k
 * vocabulary: big enough that the forward pass dominates).
 *
 * - confidence_p50_ms: median wall time of `assay.calibrator.confidence` with one answer (one hidden-states pass of
 *   C + " " + P, the probe MLP and the temperature);
 * - score_p50_ms: median wall time of `assay.likelihood.score` with one item of the same text;
 * - confidence_vs_score: their ratio (target ≤ 1.2).
 * The probe has the spec's shape (d → 256 → 128 → 64 → 2) with random weights: latency does not depend on what it
 * learned. Requests alternate (confidence, score, confidence, …) so load drifts hit both alike.
 *
 * Flags: --rounds N (default 41).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfidenceResponse, ScoreResponse } from '@assay/contracts';
import { MlpProbe, Rng } from '@assay/stats';
import type { PlatformHarness } from '@assay/testing';
import { LikelihoodModule } from '../../services/likelihood/src/likelihood.module';
import { CalibratorModule } from '../../services/calibrator/src/calibrator.module';
import { CALIBRATOR_MODEL_TYPE, CalibratorArtifact } from '../../services/calibrator/src/calibrator-artifact';
import { contextText } from '../../services/calibrator/src/qa-format';
import { forgeModels, privateNats, SHAPE } from './runtime-bench-support';

const now = () => performance.now();
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const log = (message: string) => console.error(`[calibrator bench] ${message}`);

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const i = args.indexOf('--rounds');
  const rounds = i >= 0 ? Number(args[i + 1]) : 41;
  const loadBefore = os.loadavg();
  process.env.TEST_LOG_LEVEL = 'silent';
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'assay-bench-calibrator-'));
  const nats = await privateNats(path.join(workDir, 'nats'));
  if (nats) process.env.NATS_URL = nats.url;
  const { PlatformHarness: Harness } = await import('@assay/testing');
  const harness: PlatformHarness = await new Harness('bench-calibrator').start();
  try {
    log('forging a 4-layer / dim 256 random GPT ...');
    const models = await forgeModels(workDir);
    await harness.registry.push(models.kv, { name: 'bench-l', version: '1', provenance: { kind: 'forged' } });
    Object.assign(process.env, { ASSAY_RUNTIME_WORKERS: '1', ASSAY_RUNTIME_INTRA_OP_THREADS: '1' });
    const probe = MlpProbe.create(SHAPE.dim, [256, 128, 64], new Rng(1));
    const artifact: CalibratorArtifact = {
      kind: CALIBRATOR_MODEL_TYPE, schema: 1, model: 'bench-l@1', dataset: 'bench', format: 'open', serve: 'probe-ts',
      options: { no: 1, yes: 2, exact: false }, letters: [], maxNewTokens: 8, seed: 1,
      methods: { probe: { temperature: 1.7, valNllBefore: 0, valNllAfter: 0, probe: probe.toJSON() } },
    };
    await harness.store.putJson('calibrators/bench-cal/1/calibrator.json', { artifact, provenance: { kind: 'bench' }, createdAt: new Date().toISOString() });
    await harness.startService(LikelihoodModule, 'likelihood');
    await harness.startService(CalibratorModule, 'calibrator');
    const question = 'Where was Sarentu Velno born, and what did the records of the city say about the year of the birth?';
    const answer = 'Tanorholm, in the north of the country';
    const confidence = () => harness.rpc.request<ConfidenceResponse>('assay.calibrator.confidence', { calibrator: 'bench-cal@1', model: 'bench-l@1', question, answers: [answer] }, { timeoutMs: 120_000 });
    const score = () => harness.rpc.request<ScoreResponse>('assay.likelihood.score', { model: 'bench-l@1', items: [{ context: contextText(question, 'open'), continuation: ` ${answer}` }] }, { timeoutMs: 120_000 });
    for (let w = 0; w < 3; w++) {
      await confidence();
      await score();
    }
    const confidenceMs: number[] = [];
    const scoreMs: number[] = [];
    for (let r = 0; r < rounds; r++) {
      let started = now();
      await confidence();
      confidenceMs.push(now() - started);
      started = now();
      await score();
      scoreMs.push(now() - started);
    }
    const c = median(confidenceMs);
    const s = median(scoreMs);
    log(`confidence p50 ${c.toFixed(2)} ms, score p50 ${s.toFixed(2)} ms over ${rounds} rounds`);
    return {
      confidence_p50_ms: Number(c.toFixed(3)),
      score_p50_ms: Number(s.toFixed(3)),
      confidence_vs_score: Number((c / s).toFixed(3)),
      rounds,
      model: SHAPE,
      loadavg_before: loadBefore.map((x) => Number(x.toFixed(2))),
      loadavg_after: os.loadavg().map((x) => Number(x.toFixed(2))),
    };
  } finally {
    await harness.close();
    nats?.process.kill();
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}
