/** Builds and restores the anytime-valid audit tests by name, so workers can checkpoint any of them. */
import { LearnedWitnessOptions, LearnedWitnessTest } from './learned-witness-test';
import { MeanDifferenceBettingTest, MeanDifferenceOptions } from './mean-difference-test';
import { SequentialTest, SequentialTestKind, SequentialTestState } from './sequential-test';

export const SEQUENTIAL_TEST_KINDS: readonly SequentialTestKind[] = ['witness', 'mean-difference'];

export type SequentialTestOptions = LearnedWitnessOptions & MeanDifferenceOptions;

/** Options a test does not know are ignored (e.g. `hiddenSize` for the mean-difference test). */
export function createSequentialTest(kind: SequentialTestKind, options: SequentialTestOptions = {}): SequentialTest {
  switch (kind) {
    case 'witness': {
      const { alternative: _alternative, scoreRange: _scoreRange, ...witness } = options;
      return new LearnedWitnessTest(witness);
    }
    case 'mean-difference': {
      const { alpha, epsilon, alternative, scoreRange } = options;
      return new MeanDifferenceBettingTest({ alpha, epsilon, alternative, scoreRange });
    }
    default:
      throw new RangeError(`unknown sequential test '${kind as string}' (known: ${SEQUENTIAL_TEST_KINDS.join(', ')})`);
  }
}

/** Restores a test from its `toJSON()` output (after a JSON round trip). */
export function sequentialTestFromJSON(state: SequentialTestState): SequentialTest {
  switch (state.kind) {
    case 'witness':
      return LearnedWitnessTest.fromJSON(state);
    case 'mean-difference':
      return MeanDifferenceBettingTest.fromJSON(state);
    default:
      throw new RangeError(`unknown sequential test state kind '${(state as { kind: string }).kind}'`);
  }
}
