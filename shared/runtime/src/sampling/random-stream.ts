import { createRng } from '@assay/stats';
import { UniformSource } from './sampler';

/** A sequence's own random stream, from its key (seed, sample index, prompt hash: see request-preparation). */
export function randomStream(key: string): UniformSource {
  return createRng(key);
}
