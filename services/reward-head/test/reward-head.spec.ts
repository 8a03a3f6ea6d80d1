import { INestApplication } from '@nestjs/common';
import { AssayError, BestOfNResponse, JobAccepted, RewardEvalResult, RewardRerankResponse, RewardScoreResponse, RewardTrainResult } from '@assay/contracts';
import { JobEvent, JobsClient } from '@assay/messaging';
import { JobHostService } from '@assay/platform';
import { PlatformHarness } from '@assay/testing';
import { RewardHead, Rng } from '@assay/stats';
import { GenerationModule } from '../../generation/src/generation.module';
import { HeadStore } from '../src/head.store';
import { RewardHeadModule } from '../src/reward-head.module';
import { RewardService } from '../src/reward.service';
import { forgeChatModel, forgeTinyClassifier, toyPairs } from './reward-models';

async function collect(jobs: JobsClient, jobId: string, onEvent?: (event: JobEvent) => void): Promise<JobEvent[]> {
  const events: JobEvent[] = [];
  for await (const event of jobs.watch(jobId, { pollMs: 200 })) {
    events.push(event);
    onEvent?.(event);
  }
  return events;
}

/** Stops a service as a crashed pod would: the job worker hands its running job back at once (see guide-training's test). */
async function stopAbruptly(app: INestApplication): Promise<void> {
  const host = app.get(JobHostService) as unknown as { worker?: { stop(options: { graceMs: number; abortGraceMs: number }): Promise<void> } };
  await host.worker?.stop({ graceMs: 0, abortGraceMs: 10_000 });
  await app.close();
}

/** The error code a request fails with (the envelope over NATS). */
async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as AssayError).code;
  }
  return 'no error';
}

const jsonl = (rows: unknown[]) => Buffer.from(rows.map((r) => JSON.stringify(r)).join('\n') + '\n');

describe('reward-head service (real NATS, S3 server, onnxruntime)', () => {
  const harness = new PlatformHarness('reward-head');
  let jobs: JobsClient;
  let app: INestApplication;
  let head: string;

  beforeAll(async () => {
    await harness.start();
    await harness.registry.push(await forgeChatModel(3), { name: 'chat-l', version: '1', provenance: { kind: 'forged' } });
    await harness.registry.push(await forgeChatModel(4), { name: 'other-l', version: '1', provenance: { kind: 'forged' } });
    await harness.registry.push(await forgeTinyClassifier(), { name: 'tiny-tox', version: '1', provenance: { kind: 'forged' } });
    await harness.store.put('data/pairs.jsonl', jsonl(toyPairs(48)));
    await harness.store.put('data/many-pairs.jsonl', jsonl(toyPairs(240, 2000)));
    await harness.store.put('data/heldout.jsonl', jsonl(toyPairs(16, 500)));
    await harness.store.put('data/mc.jsonl', jsonl(toyPairs(8, 900).map((p, i) => ({ prompt: p.prompt, choices: i % 2 ? [p.rejected, p.chosen] : [p.chosen, p.rejected], label: i % 2 }))));
    await harness.store.put('data/prompts.txt', Buffer.from('Say something.\nTell me a story.\n'));
    jobs = await JobsClient.create(harness.nc, { namespace: harness.namespace });
    await harness.startService(GenerationModule, 'generation');
    app = await harness.startService(RewardHeadModule, 'reward-head');
  }, 300_000);
  afterAll(() => harness.close());

  it('trains a separable head on cached end-of-turn states over NATS, with progress, validation and a versioned artifact naming L', async () => {
    const accepted = await harness.rpc.call('assay.reward.train', { name: 'toy-head', model: 'chat-l', data: 'data/pairs.jsonl', maxEpochs: 40, patience: 5, batchPairs: 16, learningRate: 0.05 });
    expect(accepted).toMatchObject({ status: 'queued', statusUrl: `/v1/reward-heads/jobs/${accepted.jobId}` });
    const events = await collect(jobs, accepted.jobId);
    const result = await jobs.result<RewardTrainResult>(accepted.jobId);
    const progress = events.filter((e) => e.type === 'progress');
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(result.model).toBe('chat-l@1');
    expect(result.pairs.train + result.pairs.validation).toBe(48);
    expect(result.pairs.validation).toBeGreaterThan(0);
    expect(result.bestEpoch).toBeGreaterThanOrEqual(1);
    expect(Number.isFinite(result.trainLoss)).toBe(true);
    expect(result.validationAccuracy).not.toBeNull();
    head = `${result.head.name}@${result.head.version}`;
    const stored = await app.get(HeadStore).load('toy-head');
    expect(stored.artifact).toMatchObject({ model: 'chat-l@1', loss: 'separable', epsilon: 0.1, endOfTurn: '<|im_end|>', version: result.head.version });
  }, 300_000);

  it('reads the reward at the assistant\'s end-of-turn: the same with or without a trailing <|im_end|>', async () => {
    const reply = await harness.rpc.call('assay.reward.score', { head, prompt: 'Tell me about the sea.', candidates: ['The sea is good.', 'The sea is good.<|im_end|>', 'The sea is good.<|im_end|>\n', 'The sea is bad.'] });
    expect(reply.head).toEqual({ name: 'toy-head', version: head.split('@')[1] });
    expect(reply.model).toBe('chat-l@1');
    expect(reply.rewards).toHaveLength(4);
    expect(Math.abs(reply.rewards[1] - reply.rewards[0])).toBeLessThan(1e-6);
    expect(Math.abs(reply.rewards[2] - reply.rewards[0])).toBeLessThan(1e-6);
    expect(reply.rewards[3]).not.toBeCloseTo(reply.rewards[0], 6);
  }, 120_000);

  it('refuses a conversation whose last turn is the user\'s, and messages that end with the assistant', async () => {
    const service = app.get(RewardService);
    const target = await service.headOnModel(head);
    expect(await failure(service.rewardsOf(target, [[{ role: 'user', content: 'Tell me about the sea.' }]]))).toBe('BAD_REQUEST');
    const messages = [{ role: 'user', content: 'q' }, { role: 'assistant', content: 'a' }];
    expect(await failure(harness.rpc.request('assay.reward.score', { head, messages, candidates: ['b'] }))).toBe('BAD_REQUEST');
  }, 120_000);

  it('scores a batch exactly as one by one (within 1e-5), over NATS and HTTP', async () => {
    const candidates = ['yes', 'It is good, very good.', 'It is bad.', 'A much longer answer that pads every other row of the batch a lot.', ''];
    const messages = [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'How is it?' }];
    const batched = await harness.rpc.call('assay.reward.score', { head, messages, candidates });
    for (let i = 0; i < candidates.length; i++) {
      const single = await harness.rpc.call('assay.reward.score', { head, messages, candidates: [candidates[i]] });
      expect(Math.abs(single.rewards[0] - batched.rewards[i])).toBeLessThan(1e-5);
    }
    const url = await harness.url('reward-head');
    const http = await fetch(`${url}/v1/rewards`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'test-key' }, body: JSON.stringify({ head, messages, candidates }) });
    expect(http.status).toBe(200);
    const body = (await http.json()) as RewardScoreResponse;
    body.rewards.forEach((r, i) => expect(Math.abs(r - batched.rewards[i])).toBeLessThan(1e-5));
    const anonymous = await fetch(`${url}/v1/rewards`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ head, messages, candidates }) });
    expect(anonymous.status).toBe(401);
    const ranked = await harness.rpc.call('assay.reward.rerank', { head, messages, candidates });
    expect(ranked.ranked.map((r) => r.reward)).toEqual([...batched.rewards].sort((a, b) => b - a));
    expect(ranked.ranked[0].candidate).toBe(candidates[ranked.ranked[0].index]);
  }, 120_000);

  it('answers bad input with the error envelope', async () => {
    const base = { head, prompt: 'Tell me about the sea.', candidates: ['fine'] };
    expect(await failure(harness.rpc.request('assay.reward.score', { ...base, head: 'no-such-head' }))).toBe('NOT_FOUND');
    expect(await failure(harness.rpc.request('assay.reward.score', { ...base, model: 'other-l' }))).toBe('BAD_REQUEST');
    expect(await failure(harness.rpc.request('assay.reward.score', { ...base, model: 'chat-l@1' }))).toBe('no error');
    expect(await failure(harness.rpc.request('assay.reward.score', { ...base, model: 'no-such-l' }))).toBe('NOT_FOUND');
    expect(await failure(harness.rpc.request('assay.reward.score', { ...base, candidates: [] }))).toBe('BAD_REQUEST');
    expect(await failure(harness.rpc.request('assay.reward.score', { ...base, candidates: Array(65).fill('x') }))).toBe('BAD_REQUEST');
    expect(await failure(harness.rpc.request('assay.reward.score', { ...base, candidates: ['x'.repeat(32_001)] }))).toBe('BAD_REQUEST');
    // Within the wire limit but longer than L's context (256 tokens): the runtime refuses it.
    expect(await failure(harness.rpc.request('assay.reward.score', { ...base, candidates: ['word '.repeat(400)] }))).toBe('PAYLOAD_TOO_LARGE');
    expect(await failure(harness.rpc.request('assay.reward.score', { head, candidates: ['x'] }))).toBe('BAD_REQUEST');
    expect(await failure(harness.rpc.request('assay.reward.best_of_n', { head, prompt: 'hi', n: 65 }))).toBe('BAD_REQUEST');
    const url = await harness.url('reward-head');
    const http = await fetch(`${url}/v1/rewards`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'test-key' }, body: JSON.stringify({ ...base, candidates: [] }) });
    expect(http.status).toBe(400);
    expect(await http.json()).toMatchObject({ code: 'BAD_REQUEST' });
  }, 120_000);

  it('best-of-n returns the argmax of the rewards it reports; a minimum reward can refuse every sample', async () => {
    const reply = await harness.rpc.call('assay.reward.best_of_n', { head, prompt: 'Tell me about the moon.', n: 6, maxNewTokens: 12, temperature: 1, seed: 5 });
    expect(reply.samples).toHaveLength(6);
    const best = Math.max(...reply.samples.map((s) => s.reward));
    expect(reply.outcome).toBe('chosen');
    expect(reply.reward).toBe(best);
    expect(reply.chosen).toBe(reply.samples.findIndex((s) => s.reward === best));
    expect(reply.text).toBe(reply.samples[reply.chosen!].text);
    // The reported rewards are the head's rewards of those texts.
    const rescored = await harness.rpc.call('assay.reward.score', { head, prompt: 'Tell me about the moon.', candidates: reply.samples.map((s) => s.text) });
    rescored.rewards.forEach((r, i) => expect(Math.abs(r - reply.samples[i].reward)).toBeLessThan(1e-5));
    const refused = await harness.rpc.call('assay.reward.best_of_n', { head, prompt: 'Tell me about the moon.', n: 3, maxNewTokens: 8, seed: 5, minReward: 1e6 });
    expect(refused).toMatchObject({ outcome: 'no-acceptable-candidate', chosen: null, text: null, reward: null });

    // A contrastive head's rewards are not anchored: a minimum reward is refused.
    const heads = app.get(HeadStore);
    const contrastive = await heads.save({ name: 'toy-contrastive', model: 'chat-l@1', loss: 'contrastive', epsilon: 0.1, endOfTurn: '<|im_end|>', training: {}, state: RewardHead.create(32, 'dense-tanh', new Rng(1)).toJSON() });
    expect(contrastive.version).toBeTruthy();
    expect(await failure(harness.rpc.request('assay.reward.best_of_n', { head: 'toy-contrastive', prompt: 'hi', n: 2, maxNewTokens: 4, minReward: 0 }))).toBe('BAD_REQUEST');
    const plain = await harness.rpc.request<BestOfNResponse>('assay.reward.best_of_n', { head: 'toy-contrastive', prompt: 'hi', n: 2, maxNewTokens: 4, seed: 1 });
    expect(plain.outcome).toBe('chosen');
    void ({} as RewardRerankResponse);
  }, 120_000);

  it('best-of-n reads the end-of-turn states generation returns, rescores only samples whose text does not re-tokenise to them, and reports score\'s rewards', async () => {
    const prompt = 'Tell me about the sea and the ships.';
    const seen = new Set<string>();
    for (const stop of [[], [' ']]) {
      const reply = await harness.rpc.call('assay.reward.best_of_n', { head, prompt, n: 8, maxNewTokens: 16, temperature: 1, seed: 21, stop });
      reply.samples.forEach((s) => seen.add(s.finishReason));
      const rescored = await harness.rpc.call('assay.reward.score', { head, prompt, candidates: reply.samples.map((s) => s.text) });
      rescored.rewards.forEach((r, i) => expect(Math.abs(r - reply.samples[i].reward)).toBeLessThan(1e-5));
      expect(reply.chosen).toBe(rescored.rewards.indexOf(Math.max(...rescored.rewards)));
      // A text a stop string cut is not what the state followed: it is rescored; the rest mostly is not.
      const cut = reply.samples.filter((s) => s.finishReason === 'stop').length;
      expect(reply.rescored).toBeGreaterThanOrEqual(cut);
      expect(reply.rescored).toBeLessThan(8);
      if (stop.length > 0) expect(cut).toBeGreaterThan(0);
    }
    expect(seen).toEqual(new Set(['eos', 'stop', 'length']));
  }, 120_000);

  it('evaluates a head on held-out pairs, multiple choice and the best-of-n curve, with an HTML report', async () => {
    const accepted = await harness.rpc.request<JobAccepted>('assay.reward.evaluate', {
      head,
      pairs: 'data/heldout.jsonl',
      multipleChoice: 'data/mc.jsonl',
      bestOfN: { prompts: 'data/prompts.txt', ns: [1, 2, 4], classifier: 'tiny-tox', maxNewTokens: 8, seed: 3 },
    });
    await collect(jobs, accepted.jobId);
    const result = await jobs.result<RewardEvalResult>(accepted.jobId);
    expect(result.pairwise!.n).toBe(16);
    expect(result.pairwise!.low).toBeLessThanOrEqual(result.pairwise!.estimate);
    expect(result.multipleChoice).toMatchObject({ n: 8 });
    expect(result.bestOfN!.map((p) => p.n)).toEqual([1, 2, 4]);
    for (const p of result.bestOfN!) expect(p.meanScore).toBeGreaterThanOrEqual(0);
    const url = await harness.url('reward-head');
    const html = await fetch(`${url}${result.reportPath}`, { headers: { 'x-api-key': 'test-key' } });
    expect(html.status).toBe(200);
    const text = await html.text();
    expect(text).toContain('<svg');
    expect(text).toContain('pairwise_accuracy');
    expect(await failure(harness.rpc.request('assay.reward.evaluate', { head: 'no-such-head', pairs: 'data/heldout.jsonl' }))).toBe('NOT_FOUND');
    expect(await failure(harness.rpc.request('assay.reward.evaluate', { head, pairs: 'data/missing.jsonl' }))).toBe('NOT_FOUND');
  }, 300_000);
  it('a worker stopped while caching states hands the job back; the next one resumes from the last cached batch', async () => {
    const accepted = await harness.rpc.call('assay.reward.train', { name: 'resumed-head', model: 'chat-l', data: 'data/many-pairs.jsonl', batchPairs: 4, maxEpochs: 5 });
    let reached!: () => void;
    const cached = new Promise<void>((resolve) => (reached = resolve));
    const watching = collect(jobs, accepted.jobId, (event) => {
      if (event.type === 'progress' && (event.progress.metrics?.batches ?? 0) >= 8) reached();
    });
    await cached;
    await stopAbruptly(app);
    expect((await jobs.status(accepted.jobId)).status).toBe('queued');
    app = await harness.startService(RewardHeadModule, 'reward-head');
    const events = await watching;
    const result = await jobs.result<RewardTrainResult>(accepted.jobId);
    expect((await jobs.status(accepted.jobId)).attempts).toBe(2);
    expect(result.pairs.train + result.pairs.validation).toBe(240);
    // The second attempt starts after the cached batches, not from the first one.
    const second = events.filter((e) => e.type === 'progress' && e.attempts === 2 && e.progress.metrics?.batches !== undefined).map((e) => e.progress.metrics!.batches);
    expect(second.length).toBeGreaterThan(0);
    expect(Math.min(...second)).toBeGreaterThan(8);
  }, 300_000);
});
