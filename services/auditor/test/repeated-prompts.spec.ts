import { AuditPrompt, AuditStartRequestSchema, Completion, GenerateRequest, GenerateResponse } from '@assay/contracts';
import { RpcClient } from '@assay/messaging';
import { derivedSeed, GenerationClient, BehaviourMetric } from '@assay/platform';
import { ModelShape } from '@assay/runtime';
// The runtime's own seeding, not a copy of it: how a generate request becomes one random stream per sequence.
import { prepareGenerate, PreparationModel } from '../../../shared/runtime/src/engine/request-preparation';
import { randomStream } from '../../../shared/runtime/src/sampling/random-stream';
import { scoreAuditBatch } from '../src/audit-batch';
import { AuditLedger } from '../src/audit-ledger';
import { visitOrder } from '@assay/platform';

/**
 * Audits under the null on a prompt set with heavy repetition (10 prompts, 20 copies each, shuffled: about five
 * copies of each prompt per batch of 50): the same model audited against itself with other seeds must reject in at
 * most α of runs. Generation is simulated with the runtime's actual seeding: the generate request goes through the
 * runtime's request preparation, and each sequence's completion is a score drawn from the first uniform of its own
 * random stream (a per-prompt distribution, so prompts differ and copies of a prompt share a law), exactly as the
 * sampler draws the first token.
 * Two identical streams would give two identical score pairs in a batch, an e-value factor f·f with E[f²] > 1.
 *
 * - "as the auditor sends": batches through the auditor's own batch code and GenerationClient.completeEach.
 * - "one request per batch": every prompt of a batch, repeats included, in one generate request per model, as any
 *   client may send it; this is the runtime's guarantee that each (request position, sample) has its own stream.
 */
const RUNS = 320;
const ALPHA = 0.05;
const DISTINCT = 10;
const COPIES = 20;
/** Rejections allowed in RUNS runs: the 99.9% upper binomial quantile at α (a valid test rejects at most α). */
const MAX_REJECTIONS = 28;

const PROMPTS: AuditPrompt[] = Array.from({ length: DISTINCT * COPIES }, (_, i) => ({ prompt: `prompt ${i % DISTINCT}: tell me about item ${i % DISTINCT}` }));

const SHAPE: ModelShape = { architecture: 'simulated', vocabSize: 256, contextLength: 4096, layers: 1, heads: 1, kvHeads: 1, headDim: 1, hiddenSize: 1, bosTokenId: 0, eosTokenIds: [1], padTokenId: 1 };
const MODEL: PreparationModel = { shape: SHAPE, tokenizer: { encode: (text: string) => [...Buffer.from(text, 'utf8')] } as PreparationModel['tokenizer'], hasHiddenStates: false };

/** The score law of a prompt: u^a with a from the prompt's number (means from 0.2 to 0.9). */
function scoreOf(prompt: string, u: number): number {
  const j = Number(/^prompt (\d+)/.exec(prompt)![1]);
  return u ** (0.1 + (4 * (j % 10)) / 10);
}

/** The generation service, simulated on the runtime's request preparation and random streams. */
function simulatedGeneration(requests?: GenerateRequest[]): GenerationClient {
  const rpc = {
    call: async (subject: string, request: GenerateRequest): Promise<GenerateResponse> => {
      if (subject !== 'assay.generation.generate') throw new Error(`unexpected subject ${subject}`);
      requests?.push(request);
      const prepared = prepareGenerate(request as never, MODEL, () => 0);
      const completions: Completion[] = prepared.sequences.map((seq) => ({
        promptIndex: seq.promptIndex,
        sampleIndex: seq.sampleIndex,
        text: String(scoreOf(request.prompts[seq.promptIndex], randomStream(seq.rngKey).nextDouble())),
        tokens: [],
        finishReason: 'length',
      }));
      return { model: request.model, version: '1', completions, usage: { inputTokens: 0, outputTokens: 0 } };
    },
  } as unknown as RpcClient;
  return new GenerationClient(rpc, { maxBatch: 64 });
}

/** The completion is the score. */
const METRIC: BehaviourMetric = { name: 'simulated', score: async (items) => items.map((i) => Number(i.completion)) };

type BatchScorer = (generation: GenerationClient, request: ReturnType<typeof auditRequest>, items: AuditPrompt[], position: number) => Promise<{ reference: number[]; candidate: number[] }>;

function auditRequest(run: number) {
  // The null: one model against itself, other generation seeds (spec auditing.md §6.9).
  return AuditStartRequestSchema.parse({
    reference: 'm',
    candidate: 'm',
    prompts: 'prompts.jsonl',
    metric: { kind: 'regex', pattern: 'x' },
    test: 'mean-difference',
    alpha: ALPHA,
    batchSize: 50,
    budget: PROMPTS.length,
    seeds: { reference: 1000 + 2 * run, candidate: 1001 + 2 * run },
    shuffleSeed: run,
  });
}

/** One audit as the job runs it (visit order, batches, ledger); true when it rejected H0. */
async function audit(run: number, scoreBatch: BatchScorer, generation: GenerationClient): Promise<boolean> {
  const request = auditRequest(run);
  const order = visitOrder(PROMPTS.length, request.shuffle, request.shuffleSeed);
  const ledger = AuditLedger.start(request);
  for (let batch = ledger.nextBatch(PROMPTS.length, request.batchSize); batch; batch = ledger.nextBatch(PROMPTS.length, request.batchSize)) {
    const items = order.slice(batch.from, batch.to).map((i) => PROMPTS[i]);
    const scores = await scoreBatch(generation, request, items, batch.from);
    ledger.record(scores.reference, scores.candidate);
  }
  return ledger.test.rejected;
}

const asTheAuditorSends: BatchScorer = (generation, request, items, position) => scoreAuditBatch(generation, METRIC, request, items, position);

const oneRequestPerBatch: BatchScorer = async (generation, request, items, position) => {
  const prompts = items.map((p) => p.prompt);
  const sample = async (model: string, seed: number) => {
    const reply = await generation.generate({ model, prompts, n: 1, maxNewTokens: 1, seed: derivedSeed(seed, position) });
    return reply.completions.map((c) => Number(c.text));
  };
  const [reference, candidate] = await Promise.all([sample(request.reference, request.seeds.reference), sample(request.candidate, request.seeds.candidate)]);
  return { reference, candidate };
};

describe('audits under the null with repeated prompts keep their false-positive rate ≤ α', () => {
  it.each([
    ['as the auditor sends them', asTheAuditorSends],
    ['with one generate request per batch, repeats included', oneRequestPerBatch],
  ])('%s', async (_how, scoreBatch) => {
    const generation = simulatedGeneration();
    let rejections = 0;
    for (let run = 0; run < RUNS; run++) if (await audit(run, scoreBatch as BatchScorer, generation)) rejections++;
    console.log(`null audits with ${COPIES} copies of each prompt, ${_how}: ${rejections}/${RUNS} rejected (false-positive rate ${(rejections / RUNS).toFixed(3)}, α = ${ALPHA})`);
    expect(rejections).toBeLessThanOrEqual(MAX_REJECTIONS);
  }, 300_000);

  it('the auditor never sends two copies of a prompt in one request, and each copy gets its own seed', async () => {
    const requests: GenerateRequest[] = [];
    const generation = simulatedGeneration(requests);
    const items = PROMPTS.slice(0, 50);
    const scores = await scoreAuditBatch(generation, METRIC, auditRequest(0), items, 100);
    for (const r of requests) expect(new Set(r.prompts).size).toBe(r.prompts.length);
    // Every copy of a prompt was answered (and, by its own stream, differently).
    expect(scores.reference.every(Number.isFinite)).toBe(true);
    const byPrompt = new Map<string, number[]>();
    items.forEach((p, i) => byPrompt.set(p.prompt, [...(byPrompt.get(p.prompt) ?? []), scores.reference[i]]));
    for (const values of byPrompt.values()) expect(new Set(values).size).toBe(values.length);
  });
});
