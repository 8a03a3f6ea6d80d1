/**
 * Calibration tuning, CT-Query (spec §3.1), on the forge's LoRA trainer with a custom objective: LoRA on L,
 * loss = CE of the 2-way query softmax + klWeight · JSD to the base model on the gold sequence C + " " + target,
 * summed over the gold answer's exact tokens (pitfall 1: exact per-row masks, not the padded-length guess) and
 * averaged over the batch. The losses and their gradients are @assay/stats' calibrationTuningLoss.
 *
 * Token layout is the runtime's scoring layout ([BOS] + context tokens + continuation tokens, each tokenized on its
 * own), so the tuned model's query margin at serving time is read at exactly the position trained here.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  decoderLogits,
  DecoderModel,
  defaultLoraTargets,
  gptLogits,
  GptWeights,
  LmBatch,
  LoraConfig,
  readBaseModel,
  SeededRng,
  TokenizerJson,
  TrainerCheckpoint,
  trainDecoder,
  trainGpt,
  TrainProgress,
  writeDecoderDir,
  writeLmDir,
} from '@assay/forge';
import { TextTokenizer } from '@assay/runtime';
import { calibrationTuningLoss, CalibrationTuningExample } from '@assay/stats';

export interface CtExample {
  /** The §2 query text (ends in "Answer:"). */
  query: string;
  label: 0 | 1;
  /** C and the gold target (§3.1 gold sequence C + " " + target). */
  context: string;
  gold: string;
}

export interface CtQueryOptions {
  rank: number;
  alpha: number;
  targets?: string[];
  steps: number;
  batchSize: number;
  learningRate: number;
  klWeight: number;
  seed: number;
}

export interface CtQueryRun {
  baseDir: string;
  train: readonly CtExample[];
  validation: readonly CtExample[];
  options: CtQueryOptions;
  optionIds: { no: number; yes: number; prefix?: number[] };
  onProgress?: (p: TrainProgress) => void;
  checkpointEvery?: number;
  onCheckpoint?: (checkpoint: TrainerCheckpoint<unknown>) => Promise<void>;
  resumeFrom?: TrainerCheckpoint<unknown>;
  signal?: AbortSignal;
}

export interface CtQueryResult {
  /** The tuned model written in the usual layout (model.onnx with the adapters merged, weights.bin, lora-adapters.bin). */
  dir: string;
  lora: LoraConfig;
  report: Record<string, unknown>;
}

interface Row {
  ids: number[];
  /** Query rows: the position whose logits give z_no, z_yes. Gold rows: positions predicting the answer tokens. */
  positions: number[];
}

interface CtBatch extends LmBatch {
  queryRows: number;
  labels: number[];
  queryAt: number[];
  goldAt: number[][];
  /** Base model's logits at each gold position (per gold row, per position). */
  baseLogits: Float32Array[][];
}

interface ModelSpecials {
  bos: number;
  pad: number;
  eos: number;
  context: number;
}

function readSpecials(dir: string): ModelSpecials {
  const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  const num = (...keys: string[]) => keys.map((k) => config[k]).find((v): v is number => typeof v === 'number');
  const eosRaw = config.eos_token_id;
  const eos = Array.isArray(eosRaw) ? (eosRaw[0] as number) : (eosRaw as number);
  return { bos: num('bos_token_id') ?? eos, eos, pad: num('pad_token_id') ?? eos, context: num('n_positions', 'max_position_embeddings', 'n_ctx') ?? 512 };
}

/** [BOS] + context + continuation, cut from the left to the context length (BOS kept). */
function layout(tokenizer: TextTokenizer, specials: ModelSpecials, context: string, continuation: string | readonly number[]): { ids: number[]; contextEnd: number } {
  let ctx = tokenizer.encode(context);
  const cont = typeof continuation === 'string' ? (continuation ? tokenizer.encode(continuation) : []) : [...continuation];
  const room = specials.context - 1 - cont.length;
  if (ctx.length > room) ctx = ctx.slice(ctx.length - Math.max(0, room));
  return { ids: [specials.bos, ...ctx, ...cont], contextEnd: ctx.length + 1 };
}

export function queryRow(tokenizer: TextTokenizer, specials: ModelSpecials, query: string, prefix: readonly number[] = []): Row {
  const { ids } = layout(tokenizer, specials, query, prefix);
  return { ids, positions: [ids.length - 1] };
}

/** Gold row: positions p whose next token p + 1 is a token of the gold answer. */
export function goldRow(tokenizer: TextTokenizer, specials: ModelSpecials, context: string, gold: string): Row {
  const { ids, contextEnd } = layout(tokenizer, specials, context, ` ${gold}`);
  const positions: number[] = [];
  for (let p = contextEnd - 1; p < ids.length - 1; p++) positions.push(p);
  return { ids, positions };
}

function pad(rows: readonly number[][], length: number, padId: number): Int32Array {
  const out = new Int32Array(rows.length * length).fill(padId);
  rows.forEach((r, i) => out.set(r.slice(0, length), i * length));
  return out;
}

/** Trains CT-Query on L's directory and writes the tuned model next to it (a new temporary directory). */
export async function trainCtQuery(run: CtQueryRun, outDir: string): Promise<CtQueryResult> {
  const base = await readBaseModel(run.baseDir);
  if (!base.tokenizer) throw new Error(`${run.baseDir} has no tokenizer.json`);
  const tokenizer = TextTokenizer.fromJson(base.tokenizer);
  const specials = readSpecials(run.baseDir);
  const lora: LoraConfig = { rank: run.options.rank, alpha: run.options.alpha, targets: run.options.targets ?? defaultLoraTargets(base.family) };
  const queries = run.train.map((e) => queryRow(tokenizer, specials, e.query, run.optionIds.prefix));
  const golds = run.train.map((e) => goldRow(tokenizer, specials, e.context, e.gold));
  const valQueries = run.validation.map((e) => queryRow(tokenizer, specials, e.query, run.optionIds.prefix));
  const length = Math.min(specials.context, Math.max(...[...queries, ...golds, ...valQueries].map((r) => r.ids.length)));
  const V = base.family === 'gpt2' ? base.weights.shape.vocabSize : base.model.config.vocabSize;

  // The base model's logits at the gold positions (B = 0: the frozen reference of §3.1), computed once.
  const baseGold: Float32Array[][] = [];
  for (let from = 0; from < golds.length; from += 16) {
    const part = golds.slice(from, from + 16);
    const ids = part.map((r) => [...r.ids, ...new Array(length - r.ids.length).fill(specials.pad)]);
    const logits = base.family === 'gpt2' ? await gptLogits(base.weights, ids) : await decoderLogits(base.model, ids);
    part.forEach((r, i) => baseGold.push(r.positions.map((p) => logits.slice((i * length + p) * V, (i * length + p + 1) * V))));
  }

  const makeBatch = (picks: readonly number[], withGold: boolean, qs: readonly Row[], labels: readonly number[]): CtBatch => {
    const goldPicks = withGold ? picks : [];
    const inputs = pad([...picks.map((i) => qs[i].ids), ...goldPicks.map((i) => golds[i].ids)], length, specials.pad);
    return {
      inputs, count: picks.length + goldPicks.length, length, queryRows: picks.length,
      labels: picks.map((i) => labels[i]), queryAt: picks.map((i) => qs[i].positions[0]),
      goldAt: goldPicks.map((i) => golds[i].positions), baseLogits: goldPicks.map((i) => baseGold[i]),
    };
  };
  const trainLabels = run.train.map((e) => e.label);
  const valLabels = run.validation.map((e) => e.label);
  const { no, yes } = run.optionIds;
  const klWeight = run.options.klWeight;
  const loss = (logits: Float32Array, batch: CtBatch) => {
    const row = (r: number, p: number) => logits.subarray((r * batch.length + p) * V, (r * batch.length + p + 1) * V);
    const examples: CalibrationTuningExample[] = [];
    for (let r = 0; r < batch.queryRows; r++) {
      const z = row(r, batch.queryAt[r]);
      const g = r < batch.goldAt.length ? r : -1;
      examples.push({
        query: { zNo: z[no], zYes: z[yes], label: batch.labels[r] },
        gold: g < 0 ? { logits: [], refLogits: [] } : { logits: batch.goldAt[g].map((p) => row(batch.queryRows + g, p)), refLogits: batch.baseLogits[g] },
      });
    }
    const result = calibrationTuningLoss(examples, klWeight);
    const gradLogits = new Float32Array(logits.length);
    result.queryGrads.forEach(([dNo, dYes], r) => {
      const at = (r * batch.length + batch.queryAt[r]) * V;
      gradLogits[at + no] += dNo;
      gradLogits[at + yes] += dYes;
    });
    result.goldGrads.forEach((positions, g) =>
      positions.forEach((grad, k) => {
        const at = ((batch.queryRows + g) * batch.length + batch.goldAt[g][k]) * V;
        for (let v = 0; v < V; v++) gradLogits[at + v] += grad[v];
      }),
    );
    return { loss: result.loss, gradLogits };
  };
  const validation: CtBatch[] = [];
  for (let from = 0; from < valQueries.length; from += 32) validation.push(makeBatch(Array.from({ length: Math.min(32, valQueries.length - from) }, (_, i) => from + i), false, valQueries, valLabels));
  const objective = {
    nextBatch: (_step: number, rng: SeededRng) => makeBatch(Array.from({ length: run.options.batchSize }, () => rng.nextInt(queries.length)), klWeight > 0, queries, trainLabels),
    loss,
    validation,
    fingerprint: `ct-query:${run.train.length}:${run.validation.length}:${length}`,
    tokensPerBatch: run.options.batchSize * length * (klWeight > 0 ? 2 : 1),
  };
  const common = {
    lora, objective, batchSize: run.options.batchSize, maxSteps: run.options.steps, learningRate: run.options.learningRate,
    minLearningRate: 0, warmupSteps: 0, weightDecay: 0, evalEvery: Math.max(1, Math.floor(run.options.steps / 5)), patience: null, restoreBest: true,
    seed: run.options.seed, onProgress: run.onProgress, progressEvery: 5, checkpointEvery: run.checkpointEvery, signal: run.signal,
  };
  const specialsMeta = { bosTokenId: specials.bos, eosTokenId: specials.eos, padTokenId: specials.pad };
  const assay = { calibration: 'ct-query', option_ids: run.optionIds };
  const tokenizerJson: TokenizerJson = base.tokenizer;
  if (base.family === 'gpt2') {
    const result = await trainGpt({ ...common, initialWeights: base.weights, onCheckpoint: run.onCheckpoint as never, resumeFrom: run.resumeFrom as TrainerCheckpoint<GptWeights> | undefined });
    await writeLmDir(result.weights, tokenizerJson, outDir, { ...specialsMeta, report: result.report, assay, adapters: { lora, weights: result.adapters! } });
    return { dir: outDir, lora, report: result.report as unknown as Record<string, unknown> };
  }
  const result = await trainDecoder({ ...common, initialWeights: base.model, onCheckpoint: run.onCheckpoint as never, resumeFrom: run.resumeFrom as TrainerCheckpoint<DecoderModel> | undefined });
  await writeDecoderDir(result.weights, tokenizerJson, outDir, { report: result.report, assay, adapters: { lora, weights: result.adapters! } });
  return { dir: outDir, lora, report: result.report as unknown as Record<string, unknown> };
}
