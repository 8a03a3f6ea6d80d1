import { mkdir, writeFile } from 'fs/promises';
import * as path from 'path';
import { CAP_MODES } from '@assay/contracts';
import { OnnxDataType, OnnxGraphBuilder, attrInt } from '@assay/forge';
import { CapMode, qHeadLayout, QHeadLayout } from '@assay/stats';

/**
 * The Q_D artifact, a model-registry version of its own (`models/<name>/<version>/`):
 * - `config.json`: `model_type: "assay-q-head"`, the head's shape, the L it reads (name, version, the sha256 of
 *   its tokenizer.json, its vocabulary and hidden size), the recommended ε, cap mode and pMin;
 * - `q-head.bin`: the parameters, float32 little-endian, in @assay/stats qHeadLayout order;
 * - `model.onnx`: the same head as an ONNX graph, `hidden_states [N, D]` → `q_values [N, V]` (= −σ(MLP(h))), for use
 *   outside Assay (spec §6: Q as an exportable graph on L's final-norm hidden states).
 */
export const Q_HEAD_MODEL_TYPE = 'assay-q-head';
export const Q_HEAD_WEIGHTS = 'q-head.bin';

export interface QBase {
  name: string;
  version: string;
  tokenizerSha256: string;
  vocabSize: number;
  hiddenSize: number;
}

export interface QHeadConfig {
  model_type: typeof Q_HEAD_MODEL_TYPE;
  in_dim: number;
  hidden: number;
  vocab_size: number;
  /** Q = −σ(u): bounded to (−1, 0) (spec pitfall 4). */
  bound: 'neg-sigmoid';
  base: QBase;
  epsilon: number;
  cap_mode: CapMode;
  p_min: number;
  /** EOS was a training action (pitfall 7), so it is not exempt from capping. */
  eos_trained: boolean;
}

export interface QArtifact {
  config: QHeadConfig;
  layout: QHeadLayout;
  params: Float64Array;
}

export function qHeadConfig(layout: QHeadLayout, base: QBase, options: { epsilon: number; capMode: CapMode; pMin?: number }): QHeadConfig {
  return {
    model_type: Q_HEAD_MODEL_TYPE,
    in_dim: layout.inDim,
    hidden: layout.hidden,
    vocab_size: layout.vocab,
    bound: 'neg-sigmoid',
    base,
    epsilon: options.epsilon,
    cap_mode: options.capMode,
    p_min: options.pMin ?? 1e-7,
    eos_trained: true,
  };
}

/** Checks a config.json read back from the registry and decodes q-head.bin (throws Error with the reason). */
export function decodeQArtifact(config: unknown, weights: Buffer): QArtifact {
  const c = config as QHeadConfig;
  if (typeof c !== 'object' || c === null || c.model_type !== Q_HEAD_MODEL_TYPE) throw new Error(`config.json model_type is not "${Q_HEAD_MODEL_TYPE}"`);
  if (!CAP_MODES.includes(c.cap_mode)) throw new Error(`config.json cap_mode ${JSON.stringify(c.cap_mode)} is not one of ${CAP_MODES.join(', ')}`);
  if (typeof c.base?.name !== 'string' || typeof c.base?.version !== 'string') throw new Error('config.json does not name the base model (base.name, base.version)');
  const layout = qHeadLayout({ inDim: c.in_dim, hidden: c.hidden, vocab: c.vocab_size });
  if (weights.byteLength !== layout.size * 4) throw new Error(`${Q_HEAD_WEIGHTS} has ${weights.byteLength} bytes, the head's shape needs ${layout.size * 4}`);
  const floats = new Float32Array(layout.size);
  for (let i = 0; i < layout.size; i++) floats[i] = weights.readFloatLE(i * 4);
  return { config: c, layout, params: Float64Array.from(floats) };
}

/** float32 LE bytes of the parameters (what q-head.bin holds). */
export function encodeQWeights(params: Float64Array): Buffer {
  const out = Buffer.alloc(params.length * 4);
  for (let i = 0; i < params.length; i++) out.writeFloatLE(params[i], i * 4);
  return out;
}

/** The head as an ONNX graph (Gemm → Relu → Gemm → Sigmoid → Neg). */
export function qHeadOnnx(layout: QHeadLayout, params: Float64Array): Uint8Array {
  const g = new OnnxGraphBuilder('assay-q-head');
  let x = g.input('hidden_states', OnnxDataType.FLOAT, ['n', layout.inDim]);
  layout.layers.forEach((layer, i) => {
    const w = g.initFloat(`w${i}`, Float32Array.from(params.subarray(layer.oW, layer.oW + layer.inDim * layer.outDim)), [layer.outDim, layer.inDim]);
    const b = g.initFloat(`b${i}`, Float32Array.from(params.subarray(layer.oB, layer.oB + layer.outDim)), [layer.outDim]);
    x = g.op('Gemm', [x, w, b], { transB: attrInt(1) });
    if (i + 1 < layout.layers.length) x = g.op('Relu', [x]);
  });
  g.op('Neg', [g.op('Sigmoid', [x])], {}, 'q_values');
  g.output('q_values', OnnxDataType.FLOAT, ['n', layout.vocab]);
  return g.toBytes({ producerName: 'assay-rectifier' });
}

/** Writes the artifact directory (config.json, q-head.bin, model.onnx) for ModelRegistry.push. */
export async function writeQArtifactDir(dir: string, config: QHeadConfig, layout: QHeadLayout, params: Float64Array): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'config.json'), JSON.stringify(config, null, 2));
  await writeFile(path.join(dir, Q_HEAD_WEIGHTS), encodeQWeights(params));
  await writeFile(path.join(dir, 'model.onnx'), qHeadOnnx(layout, params));
}
