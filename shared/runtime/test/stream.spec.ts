import { GenerateRequest, GenerateResult, GenerateSequenceSpec, LocalEngine, RuntimeError, SequenceToken, StreamedToken, WorkerPoolExecutor } from '@assay/runtime';
import { captureLogger, newTestEngine, newTestModel, removeTestModels, TestModel } from './fixtures';

/** Token streaming: every token reported while the batch runs, in order, and adding up to `generate`'s result. */
/** Across different batch compositions (padding changes float rounding), as in the other runtime tests. */
const TOLERANCE = 1e-4;

function byCompletion(events: StreamedToken[]): Map<string, StreamedToken[]> {
  const out = new Map<string, StreamedToken[]>();
  for (const e of events) {
    const key = `${e.promptIndex}/${e.sampleIndex}`;
    out.set(key, [...(out.get(key) ?? []), e]);
  }
  return out;
}

function expectStreamMatches(events: StreamedToken[], result: GenerateResult): void {
  const streams = byCompletion(events);
  expect(streams.size).toBe(result.completions.length);
  for (const completion of result.completions) {
    const stream = streams.get(`${completion.promptIndex}/${completion.sampleIndex}`)!;
    expect(stream.map((e) => e.index)).toEqual(completion.tokens.map((_, i) => i));
    expect(stream.map((e) => e.id)).toEqual(completion.tokens.map((t) => t.id));
    stream.forEach((e, i) => {
      const { id, text, logprob, samplingLogprob } = completion.tokens[i];
      expect({ id: e.id, text: e.text, logprob: e.logprob, samplingLogprob: e.samplingLogprob }).toEqual({ id, text, logprob, samplingLogprob });
    });
    if (completion.finishReason !== 'stop') expect(stream.map((e) => e.text).join('')).toBe(completion.text);
  }
}

function expectSameCompletions(a: GenerateResult, b: GenerateResult): void {
  expect(a.completions.map((c) => c.tokens.map((t) => t.id))).toEqual(b.completions.map((c) => c.tokens.map((t) => t.id)));
  expect(a.completions.map((c) => c.text)).toEqual(b.completions.map((c) => c.text));
  a.completions.forEach((c, i) => c.tokens.forEach((t, j) => expect(Math.abs(t.logprob - b.completions[i].tokens[j].logprob)).toBeLessThanOrEqual(TOLERANCE)));
}

async function kindOf(work: Promise<unknown>): Promise<string | undefined> {
  try {
    await work;
  } catch (error) {
    return (error as RuntimeError).kind ?? (error as Error).message;
  }
  return undefined;
}

describe('generateStream', () => {
  let engine: LocalEngine;
  let model: TestModel;
  const request = (extra: Partial<GenerateRequest> = {}): GenerateRequest => ({
    model: 'tiny',
    prompts: ['the cat sat', 'a'],
    n: 2,
    maxNewTokens: 24,
    temperature: 1,
    seed: 5,
    ...extra,
  });

  beforeAll(async () => {
    engine = newTestEngine({ batching: { windowMs: 10 } });
    model = await newTestModel({ seed: 31, contextLength: 512 });
    await engine.loadModel('tiny', model.dir);
  });
  afterAll(async () => {
    await engine.close();
    await removeTestModels();
  });

  it('reports every token in order, before the result, and the result equals generate with the same seed', async () => {
    const events: StreamedToken[] = [];
    let resolved = false;
    const streamed = await engine.generateStream(request({ stop: ['zz'] }), (token) => {
      expect(resolved).toBe(false);
      events.push(token);
    });
    resolved = true;
    expectStreamMatches(events, streamed);
    expect(streamed.seed).toBe(5);
    expectSameCompletions(streamed, await engine.generate(request({ stop: ['zz'] })));
  });

  it('streamed and plain requests share a micro-batch; only the streamed one is reported', async () => {
    const events: StreamedToken[] = [];
    const plain = request({ prompts: ['hello there'], seed: 9, temperature: 0.7 });
    const before = (await engine.health()).batching.generate;
    const [streamed, other] = await Promise.all([engine.generateStream(request(), (t) => events.push(t)), engine.generate(plain)]);
    const after = (await engine.health()).batching.generate;
    expect(after.batches - before.batches).toBe(1);
    expectStreamMatches(events, streamed);
    expectSameCompletions(streamed, await engine.generate(request()));
    expectSameCompletions(other, await engine.generate(plain));
  });

  it('stops listening when aborted: rejects with CANCELLED, no token after, and the engine keeps serving', async () => {
    const controller = new AbortController();
    const events: StreamedToken[] = [];
    const work = engine.generateStream(request({ prompts: ['x'], n: 1, maxNewTokens: 400, stopOnEos: false }), (token) => {
      events.push(token);
      if (events.length === 3) controller.abort();
    }, { signal: controller.signal });
    expect(await kindOf(work)).toBe('CANCELLED');
    expect(events).toHaveLength(3);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(events).toHaveLength(3);
    expect(await kindOf(engine.generateStream(request(), () => undefined, { signal: AbortSignal.abort() }))).toBe('CANCELLED');
    expect((await engine.generate(request())).completions).toHaveLength(4);
  });

  it('a listener that throws fails its own request only', async () => {
    const plain = request({ prompts: ['on the mat'], seed: 2 });
    const [failed, other] = await Promise.allSettled([
      engine.generateStream(request(), () => {
        throw new Error('listener broke');
      }),
      engine.generate(plain),
    ]);
    expect(failed.status).toBe('rejected');
    expect((failed as PromiseRejectedResult).reason.message).toBe('listener broke');
    expect(other.status).toBe('fulfilled');
    expectSameCompletions((other as PromiseFulfilledResult<GenerateResult>).value, await engine.generate(plain));
  });

  it('in-process executor streams the same tokens', async () => {
    const local = newTestEngine({ executor: { kind: 'in-process' } });
    try {
      await local.loadModel('tiny', model.dir);
      const events: StreamedToken[] = [];
      const streamed = await local.generateStream(request(), (t) => events.push(t));
      expectStreamMatches(events, streamed);
      expectSameCompletions(streamed, await engine.generate(request()));
    } finally {
      await local.close();
    }
  });

  it('worker threads deliver tokens while the batch runs: a row cancelled on its first token stops early', async () => {
    const executor = new WorkerPoolExecutor({ workers: 1 }, captureLogger());
    try {
      await executor.loadModel({ key: 'm', dir: model.dir, session: { executionProviders: ['cpu'], intraOpNumThreads: 1, graphOptimizationLevel: 'all' } });
      const spec = (stream: boolean, rngKey: string): GenerateSequenceSpec => ({
        promptIds: Int32Array.from([0, 40, 41]),
        maxNewTokens: 400,
        sampling: { temperature: 1, topK: 0, topP: 1 },
        rngKey,
        stop: [],
        stopOnEos: false,
        returnHiddenStates: false,
        stream,
      });
      const cancel = new AbortController();
      const seen: SequenceToken[] = [];
      const [cut, kept] = await executor.generate('m', [spec(true, 'a'), spec(false, 'b')], {
        onTokens: (tokens) => {
          seen.push(...tokens);
          cancel.abort();
        },
        signals: [cancel.signal, undefined],
      });
      expect(seen.every((t) => t.row === 0)).toBe(true);
      expect(seen.map((t) => t.index)).toEqual(seen.map((_, i) => i));
      expect(kept.tokenIds.length).toBe(400);
      expect(cut.tokenIds.length).toBeLessThan(100);
      expect(Array.from(cut.tokenIds)).toEqual(seen.map((t) => t.id));
    } finally {
      await executor.close();
    }
  });
});
