import fs from 'node:fs';
import path from 'node:path';
import { CertifyBenchResult, CertifyEvalResult, GenerateResponse, JobAccepted, ScoreResponse } from '@assay/contracts';
import { demoCorpus } from '@assay/forge';
import { JobsClient } from '@assay/messaging';
import { TextTokenizer } from '@assay/runtime';
import { auroc, domainCertificateLog2, kForTargetFrr, rejectionRates, separationSummary } from '@assay/stats';
import { forgeTinyModel, PlatformHarness } from '@assay/testing';
import { CertifierModule } from '../services/certifier/src/certifier.module';
import { GenerationModule } from '../services/generation/src/generation.module';
import { LikelihoodModule } from '../services/likelihood/src/likelihood.module';

const MEDQA = path.resolve(__dirname, '../../shared/data/medqa_usmle/test.jsonl');
const LN2 = Math.LN2;
const corpus = demoCorpus({ seed: 5, inDomainItems: 60, generalItems: 60, heldOutItems: 12, promptItems: 6 });
const ID_PAIRS = corpus.inDomainPairs.slice(0, 14);
const OOD_PROMPTS = corpus.prompts.outOfDomain;
const SETTINGS = { maxResponseTokens: 24, maxNewTokens: 12, seed: 77 };

/** The certifier's evaluation and benchmark jobs over generation + likelihood, with reports in the object store. */
describe('certifier evaluation and certified benchmarking jobs', () => {
  const harness = new PlatformHarness('certify-eval');
  let jobs: JobsClient;
  let tokenizer: TextTokenizer;
  const headers = { 'content-type': 'application/json', 'x-api-key': 'test-key' };

  beforeAll(async () => {
    await harness.start();
    process.env.ASSAY_MAX_BATCH = '8'; // several batches per job: packing, per-batch checkpoints and progress
    const texts = [...corpus.inDomain, ...corpus.general];
    const [large, guide, other] = await Promise.all([
      forgeTinyModel({ texts, vocabSize: 320, seed: 1 }),
      forgeTinyModel({ texts, vocabSize: 320, seed: 2 }),
      forgeTinyModel({ texts, vocabSize: 290, seed: 3 }),
    ]);
    tokenizer = TextTokenizer.fromJson(JSON.parse(fs.readFileSync(path.join(large, 'tokenizer.json'), 'utf8')));
    await harness.registry.push(large, { name: 'tiny-l', version: '1', provenance: { kind: 'forged' } });
    await harness.registry.push(guide, { name: 'tiny-g', version: '1', provenance: { kind: 'forged' } });
    await harness.registry.push(other, { name: 'other-g', version: '1', provenance: { kind: 'forged' } });
    await harness.store.put('eval/id.jsonl', Buffer.from(ID_PAIRS.map((p) => JSON.stringify({ prompt: p.prompt, response: p.response })).join('\n')));
    await harness.store.put('eval/ood-prompts.txt', Buffer.from(OOD_PROMPTS.join('\n')));
    const medqa = fs.readFileSync(MEDQA, 'utf8').split('\n').slice(0, 6).join('\n');
    await harness.store.put('eval/medqa.jsonl', Buffer.from(medqa));
    jobs = await JobsClient.create(harness.nc, { namespace: harness.namespace });
    await harness.startService(GenerationModule, 'generation');
    await harness.startService(LikelihoodModule, 'likelihood');
    await harness.startService(CertifierModule, 'certifier');
  }, 150_000);
  afterAll(() => harness.close());

  /** What the job should find, recomputed here from direct calls to the services and @assay/stats. */
  async function expectedRatios() {
    const idIds = ID_PAIRS.map((p) => tokenizer.encode(p.response).slice(0, SETTINGS.maxResponseTokens));
    const generated = await harness.rpc.request<GenerateResponse>('assay.generation.generate', {
      model: 'tiny-l', prompts: OOD_PROMPTS.slice(0, 8), n: 1, maxNewTokens: SETTINGS.maxNewTokens, temperature: 1, seed: SETTINGS.seed,
    });
    const oodIds = generated.completions.map((c) => (c.finishReason === 'eos' ? c.tokens.slice(0, -1) : c.tokens).map((t) => t.id));
    const contexts = [...ID_PAIRS.map((p) => p.prompt), ...OOD_PROMPTS];
    const ids = [...idIds, ...oodIds];
    const score = async (model: string, items: Array<{ context: string; continuationIds: number[] }>) => {
      const results: ScoreResponse['results'] = [];
      for (let i = 0; i < items.length; i += 8) results.push(...(await harness.rpc.request<ScoreResponse>('assay.likelihood.score', { model, items: items.slice(i, i + 8) })).results);
      return results;
    };
    const scorable = ids.map((y, i) => ({ y, context: contexts[i] })).filter((it) => it.y.length > 0);
    const l = await score('tiny-l', scorable.map((it) => ({ context: it.context, continuationIds: it.y })));
    const g = await score('tiny-g', scorable.map((it) => ({ context: '', continuationIds: it.y })));
    const items = scorable.map((it, i) => ({ nTokens: it.y.length, log2L: l[i].sumLogprob / LN2, log2G: g[i].sumLogprob / LN2 }));
    const ratio = (it: (typeof items)[number]) => (it.log2L - it.log2G) / it.nTokens;
    const idCount = idIds.filter((y) => y.length > 0).length;
    const id = items.slice(0, idCount);
    const ood = items.slice(idCount);
    return { idR: id.map(ratio), oodR: ood.map(ratio), id, ood };
  }

  it('evaluates ID responses and OOD prompts (answered by L), stores the report and serves it over HTTP', async () => {
    const url = await harness.url('certifier');
    const submitted = await fetch(`${url}/v1/evaluations`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        model: 'tiny-l', guide: 'tiny-g', T: 4, targetFrr: 0.2, targetEpsilonLog2: -150,
        inDomain: { key: 'eval/id.jsonl' }, outOfDomain: { key: 'eval/ood-prompts.txt', kind: 'prompts' }, ...SETTINGS,
      }),
    });
    expect(submitted.status).toBe(202);
    const accepted = (await submitted.json()) as JobAccepted;
    const progress: number[] = [];
    for await (const event of jobs.watch(accepted.jobId, { pollMs: 500 })) if (event.type === 'progress') progress.push(event.progress.fraction);
    const result = await jobs.result<CertifyEvalResult>(accepted.jobId);

    const { idR, oodR, id, ood } = await expectedRatios();
    expect(result.counts).toEqual({ inDomain: idR.length, outOfDomain: oodR.length, dropped: ID_PAIRS.length + OOD_PROMPTS.length - idR.length - oodR.length });
    expect(result.tokenizersMatch).toBe(true);
    // Held out: k chosen on half of each set (split with the request's seed), every figure measured on the other half.
    const heldOut = separationSummary(id, ood, { targetFrr: 0.2, T: 4, targetEpsilonLog2: -150, splitSeed: SETTINGS.seed });
    expect(result).toMatchObject({ evaluation: 'held-out', split: heldOut.split });
    expect(result.k).toBeCloseTo(heldOut.k, 5);
    for (const key of ['auroc', 'frr', 'oodRejection'] as const) expect(result[key]).toBeCloseTo(heldOut[key], 6);
    expect(result.domainCertificateLog2).toBeCloseTo(heldOut.domainCertificateLog2, 4);
    expect(result.youden.j).toBeCloseTo(heldOut.youden.j, 6);
    // In sample, recomputed independently with the spec's rule on all items.
    const k = kForTargetFrr(idR, 0.2);
    expect(result.inSample.auroc).toBeCloseTo(auroc(idR, oodR), 6);
    expect(result.inSample.operatingPoint.k).toBeCloseTo(k, 5);
    expect(result.inSample.operatingPoint.frr).toBeCloseTo(rejectionRates(idR, oodR, k).frr, 6);
    expect(result.inSample.operatingPoint.oodRejection).toBeCloseTo(rejectionRates(idR, oodR, k).trr, 6);
    expect(result.inSample.operatingPoint.domainCertificateLog2).toBeCloseTo(domainCertificateLog2(ood, k, 4), 4);
    expect(result.kForTargetEpsilon === null || result.atTargetEpsilon!.domainCertificateLog2 !== null).toBe(true);
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress[progress.length - 1]).toBe(1);

    const status = await (await fetch(`${url}${accepted.statusUrl}`, { headers })).json();
    expect(status).toMatchObject({ status: 'succeeded', queue: 'certifier.evaluate', result: { reportPath: result.reportPath } });
    const page = await fetch(`${url}${result.reportPath}`, { headers });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('<svg');
    expect(html).toContain('auroc');
    for (const file of ['report.json', 'roc.svg', 'ratios-histogram.svg', 'epsilon-ecdf.svg']) {
      expect((await fetch(`${url}/v1/reports/${accepted.jobId}/${file}`, { headers })).status).toBe(200);
    }
    const report = (await (await fetch(`${url}/v1/reports/${accepted.jobId}/report.json`, { headers })).json()) as { headline: Record<string, unknown> };
    expect(report.headline).toMatchObject({ in_domain: idR.length, model: 'tiny-l@1' });
    expect((await fetch(`${url}${result.reportPath}`)).status).toBe(401);
    expect((await fetch(`${url}/v1/reports/${accepted.jobId}/secrets.txt`, { headers })).status).toBe(404);
    expect((await fetch(result.reportUrl!)).status).toBe(200);
    expect(await harness.store.list(`jobs/${accepted.jobId}/`, { recursive: true })).toMatchObject({ objects: [] });
  });

  it('benchmarks multiple choice with certified accuracy, through the different-tokenizer path', async () => {
    const accepted = await harness.rpc.request<JobAccepted>('assay.certifier.benchmark', {
      model: 'tiny-l', guide: 'other-g', data: 'eval/medqa.jsonl', outOfDomain: { key: 'eval/ood-prompts.txt', kind: 'prompts' },
      epsilonsLog2: [-100000, -120, 0], ks: [64, -64], ...SETTINGS,
    });
    expect(accepted.statusUrl).toBe(`/v1/benchmarks/${accepted.jobId}`);
    const result = await jobs.result<CertifyBenchResult>(accepted.jobId, { waitMs: 120_000 });
    expect(result).toMatchObject({ n: 6, chance: 0.25, tokenizersMatch: false });
    expect(result.accuracy).toBeGreaterThanOrEqual(0);
    expect(result.accuracy).toBeLessThanOrEqual(1);
    const [tiny, , loose, accept, reject] = result.points;
    expect(tiny).toEqual({ log2Epsilon: -100000, k: null, certifiedAccuracy: 0, frr: 1 });
    expect(loose.k).not.toBeNull();
    // Accepting everything certifies exactly L's accuracy; rejecting everything certifies nothing.
    expect(accept).toEqual({ log2Epsilon: null, k: 64, certifiedAccuracy: result.accuracy, frr: 0 });
    expect(reject).toEqual({ log2Epsilon: null, k: -64, certifiedAccuracy: 0, frr: 1 });
    for (const p of result.points) expect(p.certifiedAccuracy).toBeLessThanOrEqual(result.accuracy);
    const report = JSON.parse((await harness.store.getBuffer(`reports/certify-bench/${accepted.jobId}/report.json`)).toString()) as { predictions: string[] };
    expect(report.predictions).toHaveLength(6);
    const status = await jobs.status(accepted.jobId);
    expect(status.queue).toBe('certifier.benchmark');
  });

  it('refuses unknown models and missing data at submission', async () => {
    const base = { model: 'tiny-l', guide: 'tiny-g', inDomain: { key: 'eval/id.jsonl' }, outOfDomain: { key: 'eval/ood-prompts.txt' } };
    await expect(harness.rpc.request('assay.certifier.evaluate', { ...base, guide: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(harness.rpc.request('assay.certifier.evaluate', { ...base, inDomain: { key: 'eval/none.jsonl' } })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(harness.rpc.request('assay.certifier.evaluate', { ...base, targetFrr: 2 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(harness.rpc.request('assay.certifier.benchmark', { model: 'tiny-l', guide: 'tiny-g', data: 'eval/medqa.jsonl', epsilonsLog2: [-10] })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});
