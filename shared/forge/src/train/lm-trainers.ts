import type { DecoderConfig } from '../onnx/decoder-families';
import type { GptShape, GptWeights } from '../gpt/gpt-weights';
import { DECODER_FAMILY, DecoderModel, GPT2_FAMILY } from './model-family';
import { LmTrainer } from './trainer';
import type { GptModelSpec, TrainLmOptions, TrainLmResult } from './train-types';

/** Trains GPT-2-style models ({@link GptWeights}). */
export type GptTrainer = LmTrainer<GptWeights, GptModelSpec>;
export const GptTrainer = {
  async create(options: TrainLmOptions<GptWeights, GptModelSpec>): Promise<GptTrainer> {
    if (options.engine !== 'tfjs') return LmTrainer.create(GPT2_FAMILY, options);
    const { TfjsGptEngine } = await import('./engine/tfjs-engine');
    return LmTrainer.create(GPT2_FAMILY, options, (arch, specs, trainable) => new TfjsGptEngine(arch, specs, trainable, options.dropout ?? 0));
  },
};

/** Trains llama-family models ({@link DecoderModel}: the family exporter's DecoderConfig + Hugging Face-named weights). */
export type DecoderTrainer = LmTrainer<DecoderModel, DecoderConfig>;
export const DecoderTrainer = {
  async create(options: TrainLmOptions<DecoderModel, DecoderConfig>): Promise<DecoderTrainer> {
    if (options.engine === 'tfjs') throw new Error('the tfjs engine trains GPT-2 models only');
    return LmTrainer.create(DECODER_FAMILY, options);
  },
};

async function runAndDispose<W, S>(trainer: LmTrainer<W, S>): Promise<TrainLmResult<W>> {
  try {
    return await trainer.run();
  } finally {
    await trainer.dispose();
  }
}

/** Trains (or fine-tunes, or resumes) a GPT-2-style model and returns its weights and a training report. */
export async function trainGpt(options: TrainLmOptions<GptWeights, GptModelSpec>): Promise<TrainLmResult<GptWeights, GptShape>> {
  return runAndDispose(await GptTrainer.create(options)) as Promise<TrainLmResult<GptWeights, GptShape>>;
}

/** Trains (or fine-tunes, or resumes) a llama-family model. */
export async function trainDecoder(options: TrainLmOptions<DecoderModel, DecoderConfig>): Promise<TrainLmResult<DecoderModel, DecoderConfig>> {
  return runAndDispose(await DecoderTrainer.create(options)) as Promise<TrainLmResult<DecoderModel, DecoderConfig>>;
}
