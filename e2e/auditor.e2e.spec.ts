import { Command } from 'commander';
import fs from 'node:fs';
import path from 'node:path';
import { AuditReport, AuditStartInput, JobAccepted } from '@assay/contracts';
import { JobsClient } from '@assay/messaging';
import { forgeTinyModel, PlatformHarness } from '@assay/testing';
import { AuditorModule } from '../services/auditor/src/auditor.module';
import { auditCommand } from '../shared/cli/src/commands/audit';
import { GenerationModule } from '../services/generation/src/generation.module';

/**
 * The audit job through the real generation and auditor services (real NATS + JetStream, S3 server,
 * onnxruntime), with a cheap regex metric. Two random-weight models whose tokenizers were trained on "a…" and
 * "z…" text: the first emits long runs of a's (merged tokens), the second almost never does, so /aaaa/ is a
 * large, deterministic shift; the first model against a copy of itself with other seeds is the null.
 */
const PROMPTS = Array.from({ length: 400 }, (_, i) => `prompt number ${i}: tell me`);
const SHIFT_METRIC = { kind: 'regex' as const, pattern: 'aaaa' };

function audit(overrides: Partial<AuditStartInput> = {}): AuditStartInput {
  return {
    reference: 'tiny-a',
    candidate: 'tiny-z',
    prompts: PROMPTS.slice(0, 100),
    metric: SHIFT_METRIC,
    budget: 100,
    batchSize: 10,
    maxNewTokens: 12,
    test: 'mean-difference',
    ...overrides,
  };
}

describe('auditor service: audit jobs end to end', () => {
  const harness = new PlatformHarness('auditor');
  let jobs: JobsClient;
  /** Every generate request seen on NATS (a plain subscription receives a copy of each). */
  const generated: Array<{ model: string; prompts: string[] }> = [];

  beforeAll(async () => {
    await harness.start();
    const aDir = await forgeTinyModel({ texts: ['aaaa aaaaaaaa aa aaaaaaaaaaaaaaaa aaa aaaaaa'.repeat(40)], vocabSize: 300, seed: 1 });
    const zDir = await forgeTinyModel({ texts: ['zzzz zzzzzzzz zz zzzzzzzzzzzzzzzz zzz zzzzzz'.repeat(40)], vocabSize: 300, seed: 2 });
    await harness.registry.push(aDir, { name: 'tiny-a', version: '1', provenance: { kind: 'forged' } });
    await harness.registry.push(aDir, { name: 'tiny-a-copy', version: '1', provenance: { kind: 'forged' } });
    await harness.registry.push(zDir, { name: 'tiny-z', version: '1', provenance: { kind: 'forged' } });
    await harness.store.put('prompts/empty.jsonl', Buffer.from('\n\n'));
    await harness.store.put('prompts/set.jsonl', Buffer.from(PROMPTS.map((prompt) => JSON.stringify({ prompt })).join('\n')));
    harness.nc.subscribe(harness.subject('assay.generation.generate'), {
      callback: (_err, msg) => {
        const { data } = JSON.parse(Buffer.from(msg.data).toString('utf8'));
        generated.push({ model: data.model, prompts: data.prompts });
      },
    });
    await harness.startService(GenerationModule, 'generation');
    await harness.startService(AuditorModule, 'auditor');
    jobs = await JobsClient.create(harness.nc, { namespace: harness.namespace });
  }, 120_000);
  afterAll(() => harness.close());

  const start = (request: AuditStartInput) => harness.rpc.request<JobAccepted>('assay.auditor.start', request);
  const report = (id: string) => harness.rpc.request<AuditReport>('assay.auditor.get', { id });
  const finished = async (id: string) => {
    await jobs.result(id, { waitMs: 90_000 });
    return report(id);
  };

  it('detects a shift, stops at rejection before the budget, and stores the report, plot and page', async () => {
    const accepted = await start(audit({ prompts: 'prompts/set.jsonl', budget: 300 }));
    expect(accepted).toMatchObject({ status: 'queued', statusUrl: `/v1/audits/${accepted.jobId}` });
    const result = await finished(accepted.jobId);
    expect(result).toMatchObject({ status: 'succeeded', decision: 'shift-detected', stopReason: 'rejected', reference: 'tiny-a', candidate: 'tiny-z', test: 'mean-difference' });
    expect(result.samplesUsed).toBeLessThan(300);
    expect(result.samplesToDecision).toBe(result.pairsUsed);
    expect(result.finalLogWealth).toBeGreaterThanOrEqual(result.threshold!);
    expect(result.logWealth[0]).toEqual({ samples: 0, logWealth: 0 });
    expect(result.logWealth[result.logWealth.length - 1].logWealth).toBe(result.finalLogWealth);
    expect(result.means.reference.mean!).toBeGreaterThan(result.means.candidate.high!);
    expect(result.means.reference.low!).toBeLessThan(result.means.reference.mean!);
    expect(result.plotPresignedUrl).toMatch(/^http/);
    const svg = await fetch(result.plotPresignedUrl!);
    expect(await svg.text()).toContain('log(1/α)');

    const url = await harness.url('auditor');
    const headers = { 'x-api-key': 'test-key' };
    const plot = await fetch(`${url}${result.plotUrl}`, { headers });
    expect(plot.status).toBe(200);
    expect(plot.headers.get('content-type')).toContain('image/svg+xml');
    expect(await plot.text()).toContain('<svg');
    const page = await fetch(`${url}${result.reportUrl}`, { headers });
    expect(await page.text()).toContain('shift-detected');
    const overHttp = await fetch(`${url}/v1/audits/${accepted.jobId}`, { headers });
    expect(await overHttp.json()).toMatchObject({ decision: 'shift-detected', samplesUsed: result.samplesUsed });
    expect(await harness.store.exists(`reports/audits/${accepted.jobId}/report.json`)).toBe(true);

    // The attempt is timed and counted, in buckets that reach hours.
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/assay_jobs_total\{queue="auditor\.audit",outcome="succeeded"\} [1-9]/);
    expect(metrics).toMatch(/assay_job_duration_seconds_bucket\{le="3600",queue="auditor\.audit",outcome="succeeded"\} [1-9]/);
  });

  it('does not detect a shift between a model and itself sampled with other seeds, and spends the whole budget', async () => {
    const accepted = await start(audit({ candidate: 'tiny-a-copy', budget: 60, test: 'witness', seeds: { reference: 11, candidate: 12 } }));
    const result = await finished(accepted.jobId);
    expect(result).toMatchObject({ decision: 'no-shift-detected', stopReason: 'budget-spent', samplesUsed: 60, samplesToDecision: 60 });
    expect(result.finalLogWealth).toBeLessThan(result.threshold!);
    expect(result.logWealth).toHaveLength(7);
  });

  it('answers bad requests with BAD_REQUEST and unknown things with NOT_FOUND, over NATS and HTTP', async () => {
    const code = (request: unknown) => harness.rpc.request('assay.auditor.start', request).then(() => 'accepted', (e: { code: string }) => e.code);
    expect(await code(audit({ reference: 'no-such-model' }))).toBe('NOT_FOUND');
    expect(await code(audit({ candidate: 'tiny-a@9' }))).toBe('NOT_FOUND');
    expect(await code(audit({ metric: { kind: 'toxicity', classifier: 'no-such-classifier' } }))).toBe('NOT_FOUND');
    expect(await code(audit({ metric: { kind: 'toxicity', classifier: 'tiny-a' } }))).toBe('BAD_REQUEST'); // a GPT, not a classifier
    expect(await code(audit({ prompts: 'prompts/missing.jsonl' }))).toBe('NOT_FOUND');
    expect(await code(audit({ prompts: [] }))).toBe('BAD_REQUEST');
    expect(await code(audit({ prompts: 'prompts/empty.jsonl' }))).toBe('BAD_REQUEST');
    for (const alpha of [0, -0.1, 0.6, 1]) expect(await code(audit({ alpha }))).toBe('BAD_REQUEST');
    for (const epsilon of [-0.01, 0.51]) expect(await code(audit({ epsilon }))).toBe('BAD_REQUEST');
    expect(await code(audit({ metric: { kind: 'chrf' } }))).toBe('BAD_REQUEST'); // no prompt has a reference
    expect(await code(audit({ metric: { kind: 'regex', pattern: '((' } }))).toBe('BAD_REQUEST');
    expect(await code(audit({ metric: { kind: 'perspective' } }))).toBe('BAD_REQUEST'); // PERSPECTIVE_API_URL unset
    expect(await harness.rpc.request('assay.auditor.get', { id: 'nope' }).catch((e: { code: string }) => e.code)).toBe('NOT_FOUND');

    const url = await harness.url('auditor');
    const post = (body: unknown) => fetch(`${url}/v1/audits`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'test-key' }, body: JSON.stringify(body) });
    const missing = await post(audit({ reference: 'no-such-model' }));
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 'NOT_FOUND' });
    expect((await post(audit({ alpha: 2 }))).status).toBe(400);
    expect((await fetch(`${url}/v1/audits/nope`, { headers: { 'x-api-key': 'test-key' } })).status).toBe(404);
  });

  it('resumes from its checkpoint after the auditor is stopped mid-audit, without generating any prompt twice', async () => {
    const budget = 200;
    const before = generated.length;
    const accepted = await start(audit({ candidate: 'tiny-a-copy', prompts: PROMPTS, budget, batchSize: 10, test: 'witness', seeds: { reference: 3, candidate: 4 } }));
    for await (const event of jobs.watch(accepted.jobId, { pollMs: 200 })) {
      if ((event.progress.metrics?.samples ?? 0) >= 20) break; // at least two checkpoints
    }
    const pending = await report(accepted.jobId);
    expect(pending).toMatchObject({ status: 'running', decision: 'pending', stopReason: null, samplesToDecision: null });
    expect(pending.samplesUsed).toBeGreaterThanOrEqual(20);
    expect(pending.logWealth.length).toBeGreaterThanOrEqual(3);
    const livePlot = await fetch(`${await harness.url('auditor')}${pending.plotUrl}`, { headers: { 'x-api-key': 'test-key' } });
    expect(await livePlot.text()).toContain('<svg'); // drawn from the running audit's report
    await harness.apps.get('auditor')!.close();
    const record = await jobs.status(accepted.jobId);
    expect(record.status).toBe('queued'); // handed back, not failed
    const spentBeforeStop = generated.slice(before).filter((g) => g.model === 'tiny-a').reduce((n, g) => n + g.prompts.length, 0);
    expect(spentBeforeStop).toBeGreaterThanOrEqual(20);
    expect(spentBeforeStop).toBeLessThan(budget);

    await harness.startService(AuditorModule, 'auditor');
    const result = await finished(accepted.jobId);
    expect(result.status).toBe('succeeded');
    expect((await jobs.status(accepted.jobId)).attempts).toBe(2);
    expect(result.resumedAt).toEqual([spentBeforeStop]); // resumed exactly where the first worker stopped
    const calls = generated.slice(before);
    for (const model of ['tiny-a', 'tiny-a-copy']) {
      const prompts = calls.filter((g) => g.model === model).flatMap((g) => g.prompts);
      expect(prompts).toHaveLength(result.samplesUsed); // every prompt generated once per model
      expect(new Set(prompts).size).toBe(prompts.length);
    }
    expect(result.samplesUsed).toBeLessThanOrEqual(budget);
    expect(result.pairsUsed + result.droppedPairs).toBe(result.samplesUsed);
  });

  it('reports a cancelled audit as failed, with the evidence gathered so far', async () => {
    const accepted = await start(audit({ candidate: 'tiny-a-copy', prompts: PROMPTS, budget: 400, test: 'witness' }));
    for await (const event of jobs.watch(accepted.jobId, { pollMs: 200 })) if ((event.progress.metrics?.samples ?? 0) >= 10) break;
    await jobs.cancel(accepted.jobId);
    const result = await report(accepted.jobId);
    expect(result).toMatchObject({ status: 'cancelled', decision: 'failed', stopReason: null, samplesToDecision: null });
    expect(result.samplesUsed).toBeGreaterThanOrEqual(10);
    expect(result.samplesUsed).toBeLessThan(400);
  });

  it('is driven by the CLI: a local prompt file is uploaded, the audit submitted over NATS, then shown', async () => {
    const file = path.join(harness.dataDir, 'cli-prompts.txt');
    fs.writeFileSync(file, PROMPTS.slice(0, 80).join('\n'));
    const scores = path.join(harness.dataDir, 'scores.jsonl');
    fs.writeFileSync(scores, ['0.1', '{"score": 0.2}', '0.15'].join('\n'));
    const cli = async (...args: string[]) => {
      const lines: string[] = [];
      const log = jest.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
      try {
        await new Command('assay').addCommand(auditCommand()).parseAsync(['audit', ...args], { from: 'user' });
      } finally {
        log.mockRestore();
      }
      return JSON.parse(lines[lines.length - 1]);
    };
    const accepted = await cli('--reference', 'tiny-a', '--candidate', 'tiny-z', '--prompts', file, '--metric', 'regex:aaaa', '--test', 'mean-difference', '--budget', '80', '--batch-size', '10', '--max-new-tokens', '12', '--json');
    expect(accepted).toMatchObject({ status: 'queued', jobId: expect.any(String) });
    await jobs.result(accepted.jobId, { waitMs: 90_000 });
    const shown = await cli('show', accepted.jobId, '--json');
    expect(shown).toMatchObject({ id: accepted.jobId, decision: 'shift-detected', reference: 'tiny-a', candidate: 'tiny-z', metric: 'regex:/aaaa/i' });
    const uploaded = await harness.store.list('uploads/prompts/', { recursive: true });
    expect(uploaded.objects.map((o) => o.key)).toEqual([expect.stringMatching(/^uploads\/prompts\/[0-9a-f]{16}\/cli-prompts\.txt$/)]);

    const simulated = await cli('simulate', '--reference', `file:${scores}`, '--candidate', 'bernoulli:0.9', '--runs', '3', '--test', 'mean-difference', '--batch-size', '10', '--budget', '200', '--json');
    expect(simulated).toMatchObject({ runs: 3, rejection_rate: 1, reference: `file:${scores}` });
  });
});
