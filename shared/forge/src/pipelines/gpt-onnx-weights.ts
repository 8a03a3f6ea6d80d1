import fs from 'node:fs';
import path from 'node:path';
import type { onnx } from 'onnx-proto';
import { GPT_BLOCK_LAYOUT, GptBlockWeights, GptWeights } from '../gpt/gpt-weights';
import { readOnnxModel } from './onnx-weights';

/** A float32 initializer's values (raw little-endian bytes or float_data). */
function floats(t: onnx.ITensorProto): Float32Array {
  if (t.rawData && t.rawData.length > 0) {
    const raw = t.rawData;
    return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  }
  return Float32Array.from(t.floatData ?? []);
}

/**
 * The parameters of a GPT-2 ONNX export whose initializers carry Hugging Face names (`transformer.wte.weight`,
 * `transformer.h.<i>.attn.c_attn.weight`, …, as the forge's exporter writes them), for fine-tuning a forged GPT-2
 * directory that has no weights.bin. Shapes come from config.json; the LM head is tied to wte.
 */
export function gptWeightsFromOnnxDir(dir: string): GptWeights {
  const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as Record<string, number>;
  const shape = { vocabSize: config.vocab_size, contextLength: config.n_positions ?? config.n_ctx, layers: config.n_layer, heads: config.n_head, dim: config.n_embd, layerNormEps: config.layer_norm_epsilon ?? 1e-5 };
  const graph = fs.existsSync(path.join(dir, 'model.onnx')) ? path.join(dir, 'model.onnx') : path.join(dir, 'onnx', 'model.onnx');
  const model = readOnnxModel(graph);
  const byName = new Map((model.graph?.initializer ?? []).map((t) => [t.name ?? '', t]));
  const get = (name: string, size: number): Float32Array => {
    const t = byName.get(`transformer.${name}`) ?? byName.get(name);
    if (!t) throw new Error(`${graph} has no initializer transformer.${name}: not a GPT-2 export with Hugging Face weight names`);
    const values = floats(t);
    if (values.length !== size) throw new Error(`${name} holds ${values.length} values, expected ${size}`);
    return values;
  };
  const D = shape.dim;
  const blocks: GptBlockWeights[] = Array.from({ length: shape.layers }, (_, l) => {
    const block = {} as GptBlockWeights;
    for (const { key, hfName, dims } of GPT_BLOCK_LAYOUT) block[key] = get(`h.${l}.${hfName}`, dims(D).reduce((a, b) => a * b, 1));
    return block;
  });
  return {
    shape,
    tokenEmbedding: get('wte.weight', shape.vocabSize * D),
    positionEmbedding: get('wpe.weight', shape.contextLength * D),
    blocks,
    lnFinalGain: get('ln_f.weight', D),
    lnFinalBias: get('ln_f.bias', D),
  };
}
