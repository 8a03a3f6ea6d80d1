import { INestApplication } from '@nestjs/common';
import { CalibrationEvalResult, ConfidenceResponse, DatasetResult, FitResult, JobAccepted } from '@assay/contracts';
import { JobEvent, JobsClient } from '@assay/messaging';
import { JobHostService } from '@assay/platform';
import { PlatformHarness } from '@assay/testing';
import { CalibratorModule } from '../src/calibrator.module';
import { DatasetManifest, datasetPrefix, LabelledRow } from '../src/dataset.store';
import { gradeAnswer } from '../src/qa-format';
import { fixtureRows, forgeTinyL } from './calibrator-models';

/** Stops the service as a crashed pod would: the running job is handed back at once (see guide-training's test). */
async function stopAbruptly(app: INestApplication): Promise<void> {
  const host = app.get(JobHostService) as unknown as { worker?: { stop(options: { graceMs: number; abortGraceMs: number }): Promise<void> } };
  await host.worker?.stop({ graceMs: 0, abortGraceMs: 10_000 });
  await app.close();
}

describe('calibrator service (real NATS, S3 server, onnxruntime, forge LoRA)', () => {
  const harness = new PlatformHarness('calibrator');
  let jobs: JobsClient;
  let app: INestApplication;
  let url: string;
  let calibrator: FitResult;
  const headers = { 'content-type': 'application/json', 'x-api-key': 'test-key' };
  const post = (path: string, body: unknown) => fetch(`${url}${path}`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });

  beforeAll(async () => {
    await harness.start();
    await harness.registry.push(await forgeTinyL(), { name: 'tiny-l', version: '1', provenance: { kind: 'forged' } });
    await harness.registry.push(await forgeTinyL(5), { name: 'other-l', version: '1', provenance: { kind: 'forged' } });
    const rows = fixtureRows();
    const counts = { train: rows.filter((r) => r.split === 'train').length, val: rows.filter((r) => r.split === 'val').length, test: rows.filter((r) => r.split === 'test').length };
    const manifest: DatasetManifest = { dataset: 'fixture', model: 'tiny-l@1', source: { kind: 'fixture' }, format: 'open', kshot: 0, maxNewTokens: 8, seed: 1, counts, accuracy: { train: null, val: null, test: null }, createdAt: new Date().toISOString(), jobId: 'none' };
    await harness.store.put(`${datasetPrefix('fixture')}rows.jsonl`, Buffer.from(rows.map((r) => JSON.stringify(r)).join('\n')));
    await harness.store.putJson(`${datasetPrefix('fixture')}manifest.json`, manifest);
    await harness.store.put('data/qa.jsonl', Buffer.from(['{"question":"Where was Sarentu Velno born?","answers":["Tanorholm"]}', '{"question":"What year?","answers":["1950"]}', '{"question":"Which city?","answers":["Velmar"]}', '{"question":"Who?","answers":["Oda"]}'].join('\n')));
    jobs = await JobsClient.create(harness.nc, { namespace: harness.namespace });
    app = await harness.startService(CalibratorModule, 'calibrator');
    url = await harness.url('calibrator');
  }, 180_000);
  afterAll(() => harness.close());

  it('builds a labelled dataset: L answers greedily, answers graded (§1.3), splits from the source, rows and manifest stored', async () => {
    const accepted = await harness.rpc.request<JobAccepted>('assay.calibrator.dataset', { model: 'tiny-l', source: { kind: 'graded-knowledge', people: 30, seed: 1 }, maxItems: 24, maxNewTokens: 6 });
    const result = await jobs.result<DatasetResult>(accepted.jobId, { waitMs: 120_000 });
    expect(result).toMatchObject({ model: 'tiny-l@1', format: 'open' });
    expect(result.counts.train + result.counts.val + result.counts.test).toBe(24);
    const rows = (await harness.store.getBuffer(result.rowsKey)).toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as LabelledRow);
    expect(rows).toHaveLength(24);
    for (const row of rows) expect(row.label).toBe(gradeAnswer(row.answer, { question: row.question, answers: [row.gold] }, 'open'));
    // A user JSONL over HTTP, seeded splits: the same seed gives the same rows in the same splits.
    const again = async () => {
      const response = await post('/v1/calibration/datasets', { model: 'tiny-l@1', source: { kind: 'jsonl', key: 'data/qa.jsonl' }, maxNewTokens: 4, splits: { train: 0.5, val: 0.25, test: 0.25 }, seed: 9 });
      expect(response.status).toBe(202);
      const r = await jobs.result<DatasetResult>(((await response.json()) as JobAccepted).jobId, { waitMs: 120_000 });
      return (await harness.store.getBuffer(r.rowsKey)).toString('utf8');
    };
    const [first, second] = [await again(), await again()];
    expect(first).toBe(second);
    expect(first.trim().split('\n').map((l) => (JSON.parse(l) as LabelledRow).split).sort()).toEqual(['test', 'train', 'train', 'val']);
    // Unknown model or file: refused at submission with the envelope.
    const missing = await post('/v1/calibration/datasets', { model: 'tiny-l', source: { kind: 'jsonl', key: 'data/none.jsonl' } });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('fits query, probe, logprob and ct-query with their -ts twins, registers the calibrator and the tuned model with provenance', async () => {
    const accepted = await harness.rpc.request<JobAccepted>('assay.calibrator.fit', {
      name: 'tiny-cal', dataset: 'fixture', methods: ['query', 'probe', 'logprob', 'ct-query'], probe: { hidden: [16], maxEpochs: 60, patience: 10 },
      ctQuery: { rank: 2, alpha: 4, steps: 6, batchSize: 4, learningRate: 1e-2 },
    });
    calibrator = await jobs.result<FitResult>(accepted.jobId, { waitMs: 300_000 });
    expect(calibrator).toMatchObject({ name: 'tiny-cal', model: 'tiny-l@1', serve: 'probe-ts' });
    expect(calibrator.methods.map((m) => m.method).sort()).toEqual(['ct-query', 'ct-query-ts', 'logprob', 'logprob-ts', 'probe', 'probe-ts', 'query', 'query-ts']);
    for (const m of calibrator.methods.filter((x) => x.method.endsWith('-ts'))) {
      expect(m.temperature).toBeGreaterThan(0);
      expect(m.valNllAfter!).toBeLessThanOrEqual(m.valNllBefore!); // TS never raises the validation NLL
    }
    const tuned = await harness.registry.show(calibrator.tunedModel!.split('@')[0], calibrator.tunedModel!.split('@')[1]);
    expect(tuned.provenance).toMatchObject({ kind: 'fine-tuned', parent: { name: 'tiny-l', version: '1' }, method: 'ct-query', lora: { rank: 2, alpha: 4, targets: ['c_attn'] } });
    expect(tuned.files.map((f) => f.path)).toEqual(expect.arrayContaining(['model.onnx', 'tokenizer.json', 'weights.bin', 'lora-adapters.bin']));
    const stored = await harness.store.getJson<{ provenance: object; artifact: { model: string } }>(`calibrators/tiny-cal/${calibrator.version}/calibrator.json`);
    expect(stored).toMatchObject({ artifact: { model: 'tiny-l@1' }, provenance: { kind: 'trained-calibrator', parent: { name: 'tiny-l', version: '1' }, dataset: 'fixture' } });
  });

  it('answers confidence requests in answer order, over HTTP and NATS', async () => {
    const body = { calibrator: 'tiny-cal', model: 'tiny-l', question: 'Where was Sarentu Velno born?', answers: ['yes', 'no', 'yes'] };
    const response = await post('/v1/confidence', body);
    expect(response.status).toBe(200);
    const reply = (await response.json()) as ConfidenceResponse;
    expect(reply.calibrator).toEqual({ name: 'tiny-cal', version: calibrator.version });
    expect(reply.model).toBe('tiny-l@1');
    expect(reply.results).toHaveLength(3);
    for (const r of reply.results) {
      expect(r).toMatchObject({ method: 'probe-ts', calibratorVersion: calibrator.version });
      expect(r.pCorrect).toBeGreaterThanOrEqual(0);
      expect(r.pCorrect).toBeLessThanOrEqual(1);
    }
    expect(reply.results[0].pCorrect).toBe(reply.results[2].pCorrect); // the same answer, the same score
    expect(reply.results[0].pCorrect).toBeGreaterThan(reply.results[1].pCorrect); // the probe learned yes = correct
    const viaNats = await harness.rpc.request<ConfidenceResponse>('assay.calibrator.confidence', { ...body, calibrator: `tiny-cal@${calibrator.version}` });
    expect(viaNats.results.map((r) => r.pCorrect)).toEqual(reply.results.map((r) => r.pCorrect));
  });

  it('refuses bad confidence requests with the error envelope', async () => {
    const base = { calibrator: 'tiny-cal', question: 'Where?', answers: ['a'] };
    const cases: Array<[unknown, number, string]> = [
      [{ ...base, calibrator: 'no-such-cal' }, 404, 'NOT_FOUND'],
      [{ ...base, calibrator: 'tiny-l' }, 404, 'NOT_FOUND'], // a model, not a calibrator
      [{ ...base, calibrator: 'tiny-cal@20200101-000000-000-abcd' }, 404, 'NOT_FOUND'],
      [{ ...base, model: 'other-l' }, 400, 'BAD_REQUEST'],
      [{ ...base, model: 'tiny-l@2' }, 400, 'BAD_REQUEST'],
      [{ ...base, answers: [] }, 400, 'BAD_REQUEST'],
      [{ ...base, answers: [Number.NaN] }, 400, 'BAD_REQUEST'], // JSON has no NaN: it arrives as null
      [{ ...base, answers: Array.from({ length: 65 }, () => 'a') }, 400, 'BAD_REQUEST'],
      [{ ...base, question: '' }, 400, 'BAD_REQUEST'],
      ['{"calibrator": "tiny-cal", "question": "q", "answers": [NaN]}', 400, 'BAD_REQUEST'],
    ];
    for (const [body, status, code] of cases) {
      const response = await post('/v1/confidence', body);
      expect([JSON.stringify(body).slice(0, 60), response.status]).toEqual([JSON.stringify(body).slice(0, 60), status]);
      const envelope = (await response.json()) as { code: string; message: string; details: object };
      expect(envelope).toMatchObject({ code, message: expect.any(String), details: expect.any(Object) });
    }
    await expect(harness.rpc.request('assay.calibrator.confidence', { ...base, calibrator: 'no-such-cal' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(harness.rpc.request('assay.calibrator.confidence', { ...base, model: 'other-l' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('evaluates every method on the test split and serves the HTML report', async () => {
    const response = await post('/v1/calibration/evaluations', { calibrator: `tiny-cal@${calibrator.version}` });
    expect(response.status).toBe(202);
    const result = await jobs.result<CalibrationEvalResult>(((await response.json()) as JobAccepted).jobId, { waitMs: 300_000 });
    const probe = result.results.fixture['probe-ts'];
    expect(Object.fromEntries(Object.entries(result.results.fixture).map(([m, x]) => [m, x.n]))).toEqual(Object.fromEntries(calibrator.methods.map((m) => [m.method, fixtureRows().filter((r) => r.split === 'test').length])));
    expect(probe.auroc!).toBeGreaterThan(0.6); // 17 held-out answers of a random-weight L: above chance, not a quality bar
    expect(Object.keys(result.results.fixture).sort()).toEqual(calibrator.methods.map((m) => m.method).sort());
    const html = await (await fetch(`${url}${result.reportPath}`, { headers })).text();
    expect(html).toContain('<svg');
    expect(html).toContain('ECE (top-label, paper)');
    const svg = await fetch(`${url}${result.reportPath.replace('index.html', 'fixture-reliability.svg')}`, { headers });
    expect(svg.headers.get('content-type')).toContain('image/svg+xml');
  });

  it('resumes a fit after its worker is killed, without refitting finished stages', async () => {
    const accepted = await harness.rpc.request<JobAccepted>('assay.calibrator.fit', {
      name: 'resumed-cal', dataset: 'fixture', methods: ['probe', 'ct-query'], probe: { hidden: [16], maxEpochs: 40 },
      ctQuery: { rank: 2, alpha: 4, steps: 400, batchSize: 4, learningRate: 1e-3 },
    });
    // Wait until the probe is trained and CT is running, then kill the worker.
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no ct-query progress')), 240_000);
      void (async () => {
        for await (const event of jobs.watch(accepted.jobId, { pollMs: 300 })) {
          if ((event as JobEvent).type === 'progress' && /ct-query: step/.test(event.progress.message ?? '')) break;
        }
        clearTimeout(timer);
        resolve();
      })();
    });
    await stopAbruptly(app);
    app = await harness.startService(CalibratorModule, 'calibrator');
    url = await harness.url('calibrator');
    const result = await jobs.result<FitResult>(accepted.jobId, { waitMs: 400_000 });
    expect(result.computedStages['probe-features']).toBeUndefined();
    expect(result.computedStages['probe-train']).toBeUndefined();
    expect(result.computedStages['ct-query-train']).toBe(1);
    expect(result.methods.map((m) => m.method).sort()).toEqual(['ct-query', 'ct-query-ts', 'probe', 'probe-ts']);
  });
});
