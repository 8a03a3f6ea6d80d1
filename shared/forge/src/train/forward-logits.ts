import type { GptWeights } from '../gpt/gpt-weights';
import { OrtLmEngine } from './engine/ort-engine';
import { DECODER_FAMILY, DecoderModel, GPT2_FAMILY, ModelFamily } from './model-family';
import { LoraConfig, loraParamSpecs, loraScale } from './models/lora';

export interface ForwardLogitsOptions {
  /** Apply these LoRA adapters at run time (unmerged). */
  lora?: LoraConfig;
  adapters?: Record<string, Float32Array>;
  threads?: number;
}

/** Logits [B·T, V] of the trainer's forward graph for equal-length rows `ids` (onnxruntime, no dropout). */
export async function forwardLogits<W, S>(family: ModelFamily<W, S>, weights: W, ids: number[][], options: ForwardLogitsOptions = {}): Promise<Float32Array> {
  const arch = family.architecture(weights);
  const values = family.flatten(weights);
  const params = [...arch.params];
  if (options.lora) {
    if (!options.adapters) throw new Error('LoRA logits need the adapters');
    for (const spec of loraParamSpecs(arch, options.lora)) {
      const data = options.adapters[spec.name];
      if (!data) throw new Error(`adapters lack ${spec.name}`);
      values.set(spec.name, data);
      params.push(spec);
    }
  }
  const length = ids[0]?.length ?? 0;
  if (ids.some((row) => row.length !== length)) throw new Error('rows must have equal length');
  const engine = new OrtLmEngine({ arch, params, trainable: new Set(), threads: options.threads, loraScale: options.lora ? loraScale(options.lora) : 1 });
  try {
    return await engine.logits(values, { inputs: Int32Array.from(ids.flat()), count: ids.length, length });
  } finally {
    await engine.dispose();
  }
}

export const gptLogits = (weights: GptWeights, ids: number[][], options?: ForwardLogitsOptions): Promise<Float32Array> => forwardLogits(GPT2_FAMILY, weights, ids, options);
export const decoderLogits = (model: DecoderModel, ids: number[][], options?: ForwardLogitsOptions): Promise<Float32Array> => forwardLogits(DECODER_FAMILY, model, ids, options);
