import { readFile, rename, rm, stat, writeFile } from 'fs/promises';
import * as path from 'path';
import { float32ToFloat16 } from '@assay/stats';
import { runtimeConfig, SessionConfig } from '../config';
import { RuntimeError } from '../errors';
import { OnnxSession } from '../executor/onnx-session';
import { MODEL_FILES, MODEL_VARIANTS, modelGraphCandidates, readModelBundle } from '../model/model-bundle';
import { asFloat32 } from '../model-runner/float-tensors';
import { decoderRunner, ModelShape, StoredTensor } from '../model-runner/model-runner';
import { addHiddenStatesOutput, FLOAT, FLOAT16, headSubModel, HiddenStatesPlan, planHiddenStates } from './hidden-states-graph';

/** The output `assay models prepare` adds, and config.json's pointer to it. */
export const HIDDEN_STATES_OUTPUT = 'hidden_states';

export interface PreparedGraph {
  /** Relative to the model directory. */
  file: string;
  /** The export already had the output (only checked). */
  alreadyPrepared: boolean;
  /** The tensor exposed, per branch of a merged decoder, and the op that makes it. */
  sources: { tensor: string; producedBy: string }[];
  elemType: 'float32' | 'float16';
  /** The check: largest |logits − LMHead(hidden_states)| on a probe sequence, and the logits' scale. */
  check: { probeTokens: number; maxAbsDiff: number; maxAbsLogit: number };
}

export interface PrepareReport {
  dir: string;
  output: string;
  graphs: PreparedGraph[];
  configUpdated: boolean;
}

/** Largest acceptable |logits − head(hidden)|, relative to the logits' scale (the same ops on the same inputs). */
const CHECK_TOLERANCE = 1e-4;

async function exists(file: string): Promise<boolean> {
  return (await stat(file).catch(() => undefined))?.isFile() === true;
}

/** Every graph file of the directory: all weight variants, in either layout. */
async function graphFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const variant of Object.keys(MODEL_VARIANTS)) {
    for (const candidate of modelGraphCandidates(variant)) if (!files.includes(candidate) && (await exists(path.join(dir, candidate)))) files.push(candidate);
  }
  return files;
}

function probeIds(shape: ModelShape): number[] {
  const length = Math.min(6, shape.contextLength);
  return Array.from({ length }, (_, i) => (i === 0 && shape.bosTokenId !== undefined ? shape.bosTokenId : (i * 7 + 3) % shape.vocabSize));
}

/**
 * Runs the prepared graph on a probe sequence through the runtime's own runner (so merged decoders, float16
 * caches and the rest are fed as when serving), then the LM head alone on the new output: both must give the
 * same logits. That proves the output is what the head reads, i.e. the final-norm hidden state, and that it
 * has the shape [batch, sequence, hidden_size].
 */
async function check(file: string, original: Uint8Array, plan: HiddenStatesPlan, elemType: number, bundle: Awaited<ReturnType<typeof readModelBundle>>, session: SessionConfig): Promise<PreparedGraph['check']> {
  const { shape } = bundle;
  const runner = decoderRunner(bundle.runner);
  const opened = await OnnxSession.open(file, session);
  const ids = probeIds(shape);
  let logits: Float32Array;
  let hidden: Float32Array;
  try {
    const io = runner.describeIo(opened.session.signature, shape, { ...bundle.config, assay: { ...(bundle.config.assay as object), hidden_states_output: HIDDEN_STATES_OUTPUT } });
    const out = await runner.forward(opened.session, io, {
      batch: 1,
      seqLen: ids.length,
      inputIds: BigInt64Array.from(ids, (i) => BigInt(i)),
      attentionMask: new BigInt64Array(ids.length).fill(1n),
      positionIds: BigInt64Array.from(ids, (_, i) => BigInt(i)),
      wantHiddenStates: true,
      wantPresent: false,
    });
    logits = out.logits;
    hidden = out.hiddenStates!;
  } finally {
    await opened.session.release();
  }
  if (hidden.length !== ids.length * shape.hiddenSize) {
    throw new RuntimeError('UNSUPPORTED', `${file}: the exposed tensor has ${hidden.length / ids.length} values per token, config.json hidden_size is ${shape.hiddenSize}`);
  }
  let maxAbsDiff = 0;
  const maxAbsLogit = logits.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  for (const head of plan.heads) {
    const sub = headSubModel(original, plan, head, elemType, shape.hiddenSize);
    const subFile = `${file}.head-check.onnx`;
    await writeFile(subFile, sub.bytes);
    try {
      const headSession = (await OnnxSession.open(subFile, session)).session;
      try {
        const dims = [1, ids.length, shape.hiddenSize];
        const feed: StoredTensor = elemType === FLOAT16 ? { type: 'float16', data: float32ToFloat16(hidden), dims } : { type: 'float32', data: hidden, dims };
        const again = asFloat32((await headSession.run({ [sub.input]: feed }, [sub.output]))[sub.output]);
        for (let i = 0; i < logits.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(again[i] - logits[i]));
      } finally {
        await headSession.release();
      }
    } finally {
      await rm(subFile, { force: true });
    }
  }
  if (!(maxAbsDiff <= CHECK_TOLERANCE * Math.max(1, maxAbsLogit))) {
    throw new RuntimeError('UNSUPPORTED', `${file}: the LM head applied to the exposed tensor differs from the model's logits by ${maxAbsDiff} (scale ${maxAbsLogit}); not preparing it`);
  }
  return { probeTokens: ids.length, maxAbsDiff, maxAbsLogit };
}

/**
 * `assay models prepare`: adds the final-norm hidden state as output `hidden_states` to every graph of a
 * decoder export (all variants, either layout), checks each against the model's own LM head, and records it
 * in config.json (`assay.hidden_states_output`) so the runtime serves hiddenStates and returnHiddenStates.
 * Graphs are rewritten in place (through a temporary file), byte for byte except for the added output;
 * external weight files are untouched.
 */
export async function prepareModelDir(dir: string, options: { session?: SessionConfig } = {}): Promise<PrepareReport> {
  const absolute = path.resolve(dir);
  const bundle = await readModelBundle(absolute);
  if (bundle.runner.task !== 'text-generation') throw new RuntimeError('UNSUPPORTED', `${bundle.shape.architecture} is a ${bundle.runner.task} model: only decoders have hidden states to expose`);
  const session = options.session ?? runtimeConfig().session;
  const graphs: PreparedGraph[] = [];
  for (const file of await graphFiles(absolute)) {
    const full = path.join(absolute, file);
    const original = new Uint8Array(await readFile(full));
    let plan: HiddenStatesPlan;
    try {
      plan = planHiddenStates(original);
    } catch (error) {
      throw new RuntimeError('UNSUPPORTED', `${file}: cannot find the final-norm hidden state: ${(error as Error).message}`, { file });
    }
    const alreadyPrepared = plan.graph.outputs.includes(HIDDEN_STATES_OUTPUT);
    if (!alreadyPrepared && plan.graph.producers.has(HIDDEN_STATES_OUTPUT)) {
      throw new RuntimeError('UNSUPPORTED', `${file}: a value named "${HIDDEN_STATES_OUTPUT}" exists but is not an output; cannot add the output under that name`, { file });
    }
    const known = plan.heads.map((h) => h.elemType).find((t) => t === FLOAT || t === FLOAT16);
    let lastError: unknown;
    let done: PreparedGraph | undefined;
    // The element type is in the file when shape inference was saved with it; otherwise try float32, then float16.
    for (const elemType of known !== undefined ? [known] : [FLOAT, FLOAT16]) {
      const candidate = alreadyPrepared ? original : addHiddenStatesOutput(original, plan, elemType, bundle.shape.hiddenSize, HIDDEN_STATES_OUTPUT);
      const temp = `${full}.prepare-${process.pid}.onnx`;
      await writeFile(temp, candidate);
      try {
        const result = await check(temp, original, plan, elemType, bundle, session);
        if (!alreadyPrepared) await rename(temp, full);
        done = {
          file,
          alreadyPrepared,
          sources: plan.heads.map((h) => ({ tensor: h.hidden, producedBy: h.producedBy })),
          elemType: elemType === FLOAT16 ? 'float16' : 'float32',
          check: result,
        };
        break;
      } catch (error) {
        lastError = error;
      } finally {
        await rm(temp, { force: true });
      }
    }
    if (!done) throw lastError instanceof RuntimeError ? lastError : new RuntimeError('MODEL_FILE_INVALID', `${file}: ${(lastError as Error).message}`, { file });
    graphs.push(done);
  }
  const configFile = path.join(absolute, MODEL_FILES.config);
  const config = JSON.parse(await readFile(configFile, 'utf8')) as Record<string, unknown>;
  const assay = (config.assay ?? {}) as Record<string, unknown>;
  const configUpdated = assay.hidden_states_output !== HIDDEN_STATES_OUTPUT;
  if (configUpdated) await writeFile(configFile, JSON.stringify({ ...config, assay: { ...assay, hidden_states_output: HIDDEN_STATES_OUTPUT } }, null, 2) + '\n');
  return { dir: absolute, output: HIDDEN_STATES_OUTPUT, graphs, configUpdated };
}
