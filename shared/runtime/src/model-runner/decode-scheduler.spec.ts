import { asciiTokenizerJson } from '../../test/ascii-tokenizer';
import { RuntimeError } from '../errors';
import { TextTokenizer } from '../model/text-tokenizer';
import { GeneratedSequence, GenerateSequenceSpec, RunnableModel } from './batch-types';
import { DecodeLimits, DecodeScheduler } from './decode-scheduler';
import { FeedTensor, InferenceBackend, ModelIo, StoredTensor } from './model-runner';
import { runnerFor } from './runner-table';

/**
 * The scheduler against a toy decoder whose cache stores what it was fed: key = token id, value = position.
 * Each row's logits hash the whole visible history (token, position pairs the mask lets through), and the
 * backend checks that positions count the visible tokens. A row whose cache columns, mask or positions were
 * misassembled when others joined or left would get different logits, so "same tokens as alone" tests the
 * batching mechanics exactly.
 */
const VOCAB = 105;

class HistoryBackend implements InferenceBackend {
  calls = 0;
  batchSizes: number[] = [];
  /** Throws when a forward feeds this token (to test failure isolation). */
  poison?: number;

  async run(feeds: Record<string, FeedTensor>, fetches: string[]): Promise<Record<string, StoredTensor>> {
    this.calls++;
    const ids = feeds.input_ids as { data: BigInt64Array; dims: number[] };
    const mask = feeds.attention_mask as { data: BigInt64Array; dims: number[] };
    const positions = feeds.position_ids as { data: BigInt64Array; dims: number[] };
    const pastKey = feeds['past_key_values.0.key'] as { data: Float32Array; dims: number[] };
    const pastValue = feeds['past_key_values.0.value'] as { data: Float32Array; dims: number[] };
    const [B, S] = ids.dims;
    const P = pastKey.dims[2];
    const T = P + S;
    this.batchSizes.push(B);
    const key = new Float32Array(B * T);
    const value = new Float32Array(B * T);
    const logits = new Float32Array(B * S * VOCAB);
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < P; j++) {
        key[b * T + j] = pastKey.data[b * P + j];
        value[b * T + j] = pastValue.data[b * P + j];
      }
      for (let s = 0; s < S; s++) {
        const token = Number(ids.data[b * S + s]);
        if (token === this.poison) throw new Error('poisoned token');
        key[b * T + P + s] = token;
        value[b * T + P + s] = Number(positions.data[b * S + s]);
      }
      for (let s = 0; s < S; s++) {
        let hash = 2166136261;
        let visible = 0;
        for (let j = 0; j <= P + s; j++) {
          if (mask.data[b * T + j] === 0n) continue;
          if (value[b * T + j] !== visible) throw new Error(`row ${b}: position ${value[b * T + j]} where ${visible} tokens precede`);
          visible++;
          hash = Math.imul(hash ^ key[b * T + j], 16777619) >>> 0;
        }
        for (let v = 0; v < VOCAB; v++) logits[(b * S + s) * VOCAB + v] = ((Math.imul(hash ^ (v * 2654435761), 2246822519) >>> 0) % 1000) / 100;
      }
    }
    const out: Record<string, StoredTensor> = {
      logits: { type: 'float32', data: logits, dims: [B, S, VOCAB] },
      'present.0.key': { type: 'float32', data: key, dims: [B, 1, T, 1] },
      'present.0.value': { type: 'float32', data: value, dims: [B, 1, T, 1] },
    };
    return Object.fromEntries(fetches.map((name) => [name, out[name]]));
  }
}

const io: ModelIo = {
  inputIds: 'input_ids',
  attentionMask: 'attention_mask',
  positionIds: 'position_ids',
  logits: 'logits',
  pastInputs: [{ key: 'past_key_values.0.key', value: 'past_key_values.0.value' }],
  presentOutputs: [{ key: 'present.0.key', value: 'present.0.value' }],
  kvHeads: 1,
  headDim: 1,
  kvType: 'float32',
};

function toyModel(backend: HistoryBackend): RunnableModel {
  const shape = { architecture: 'toy', vocabSize: VOCAB, contextLength: 64, layers: 1, heads: 1, kvHeads: 1, headDim: 1, hiddenSize: 1, eosTokenIds: [0], padTokenId: 0 };
  return { runner: runnerFor('gpt2'), backend, io, shape, tokenizer: TextTokenizer.fromJson(asciiTokenizerJson()) };
}

function spec(prompt: number[], maxNewTokens: number, rngKey: string, temperature = 1): GenerateSequenceSpec {
  return { promptIds: Int32Array.from(prompt), maxNewTokens, sampling: { temperature, topK: 0, topP: 1 }, rngKey, stop: [], stopOnEos: false, returnHiddenStates: false };
}

const ids = (s: GeneratedSequence) => Array.from(s.tokenIds);
const LIMITS: DecodeLimits = { maxBatchSize: 32, maxBatchTokens: 16384 };

async function alone(specs: GenerateSequenceSpec[]): Promise<number[][]> {
  const scheduler = new DecodeScheduler(toyModel(new HistoryBackend()), LIMITS);
  const out: number[][] = [];
  for (const s of specs) out.push(ids((await scheduler.submit([s]))[0]));
  return out;
}

describe('DecodeScheduler (continuous batching)', () => {
  it('a group arriving mid-decode joins the running batch and gets exactly its solo tokens; the short one finishes first', async () => {
    const backend = new HistoryBackend();
    const scheduler = new DecodeScheduler(toyModel(backend), LIMITS);
    const long = { ...spec([0, 5, 6, 7, 8, 9, 10, 11], 40, 'long'), stream: true };
    const late = [spec([0, 40], 6, 'late-a'), spec([0, 41, 42, 43], 9, 'late-b', 0)];
    const order: string[] = [];
    let joined: Promise<GeneratedSequence[]> | undefined;
    const first = scheduler.submit([long], {
      onTokens: () => {
        if (joined === undefined && backend.calls >= 5) joined = scheduler.submit(late).finally(() => order.push('late'));
      },
    });
    const firstDone = first.then((r) => (order.push('long'), r));
    const [longResult] = await firstDone;
    const lateResults = await joined!;
    expect(order).toEqual(['late', 'long']);
    // Both groups shared forward passes: some step ran 3 rows.
    expect(Math.max(...backend.batchSizes)).toBe(3);
    expect([ids(longResult), ...lateResults.map(ids)]).toEqual(await alone([long, ...late]));
  });

  it('each row reports as soon as it is done, rows of one group that share a prompt share one prefill', async () => {
    const backend = new HistoryBackend();
    const scheduler = new DecodeScheduler(toyModel(backend), LIMITS);
    const samples = [3, 7, 1, 5].map((n, i) => spec([0, 9, 9, 9], n, `sample-${i}`));
    const doneOrder: number[] = [];
    const results = await scheduler.submit(samples, { onSequenceDone: (row) => doneOrder.push(row) });
    expect(doneOrder).toEqual([2, 0, 3, 1]);
    expect(backend.batchSizes[0]).toBe(1); // the four samples' prompt was prefilled once
    expect(results.map(ids)).toEqual(await alone(samples));
    expect(results.map((r) => r.tokenIds.length)).toEqual([3, 7, 1, 5]);
  });

  it('respects maxBatchSize and maxBatchTokens: waiting rows join as others leave, with unchanged outputs', async () => {
    const backend = new HistoryBackend();
    const scheduler = new DecodeScheduler(toyModel(backend), { maxBatchSize: 2, maxBatchTokens: 40 });
    const specs = [spec([0, 1], 12, 'a'), spec([0, 2, 3], 4, 'b'), spec([0, 4], 6, 'c'), spec([0, 5, 6, 7, 8, 9], 14, 'd')];
    const results = await Promise.all(specs.map((s) => scheduler.submit([s])));
    expect(Math.max(...backend.batchSizes)).toBeLessThanOrEqual(2);
    expect(results.map((r) => ids(r[0]))).toEqual(await alone(specs));
  });

  it('a failing forward shared by several groups fails only the group that breaks alone; the others re-run to the same tokens', async () => {
    const backend = new HistoryBackend();
    const scheduler = new DecodeScheduler(toyModel(backend), LIMITS);
    backend.poison = 77;
    const good = spec([0, 3, 4], 8, 'good');
    const bad = spec([0, 77], 8, 'bad');
    const settled = await Promise.allSettled([scheduler.submit([good]), scheduler.submit([bad])]);
    expect(settled[0].status).toBe('fulfilled');
    expect(ids((settled[0] as PromiseFulfilledResult<GeneratedSequence[]>).value[0])).toEqual((await alone([good]))[0]);
    expect((settled[1] as PromiseRejectedResult).reason.message).toBe('poisoned token');
    backend.poison = undefined;
    expect(ids((await scheduler.submit([good]))[0])).toEqual((await alone([good]))[0]);
  });

  it('refuses sequences that cannot fit the context, and cancels rows between steps', async () => {
    const scheduler = new DecodeScheduler(toyModel(new HistoryBackend()), LIMITS);
    const error = await scheduler.submit([spec([0, 1, 2], 62, 'x')]).catch((e: unknown) => e);
    expect((error as RuntimeError).kind).toBe('CONTEXT_OVERFLOW');
    let steps = 0;
    const [cut, kept] = await scheduler.submit([{ ...spec([0, 1], 30, 'cut'), stream: true }, spec([0, 2], 10, 'kept')], { onTokens: () => steps++, isCancelled: (row) => row === 0 && steps >= 3 });
    expect(cut.tokenIds.length).toBeLessThan(30);
    expect(ids(kept)).toEqual((await alone([spec([0, 2], 10, 'kept')]))[0]);
  });
});
