/**
 * The epoch loop shared by the small trainers (calibration probe, reward head): run epochs, stop after `patience`
 * epochs without a lower validation loss, and leave the parameters of the best epoch in place. Without
 * validation data (every validationLoss null) all epochs run and the last weights stay.
 */
export interface EpochRecord {
  epoch: number;
  validationLoss: number | null;
}

export interface EarlyStoppingResult<E extends EpochRecord> {
  history: E[];
  /** 1-based epoch whose weights were kept. */
  bestEpoch: number;
}

export function runWithEarlyStopping<E extends EpochRecord>(
  params: Float64Array, maxEpochs: number, patience: number, runEpoch: (epoch: number) => E, onEpoch?: (record: E) => void,
): EarlyStoppingResult<E> {
  const loop = earlyStoppingLoop<E>(params, maxEpochs, patience);
  while (!loop.done()) {
    const record = runEpoch(loop.next());
    onEpoch?.(record);
    loop.record(record);
  }
  return loop.finish();
}

/**
 * runWithEarlyStopping, awaiting `pause` after every epoch: a service training in its event loop (a calibrator fit)
 * stays responsive (heartbeats, health probes) between epochs.
 */
export async function runWithEarlyStoppingAsync<E extends EpochRecord>(
  params: Float64Array, maxEpochs: number, patience: number, runEpoch: (epoch: number) => E, pause: (record: E) => Promise<void>,
): Promise<EarlyStoppingResult<E>> {
  const loop = earlyStoppingLoop<E>(params, maxEpochs, patience);
  while (!loop.done()) {
    const record = runEpoch(loop.next());
    loop.record(record);
    await pause(record);
  }
  return loop.finish();
}

/** The bookkeeping of both loops: which epoch is next, whether to stop, the best weights so far. */
function earlyStoppingLoop<E extends EpochRecord>(params: Float64Array, maxEpochs: number, patience: number) {
  if (!Number.isInteger(maxEpochs) || maxEpochs < 1 || !Number.isInteger(patience) || patience < 1) {
    throw new RangeError('maxEpochs and patience must be integers >= 1');
  }
  const history: E[] = [];
  let best = Infinity;
  let bestEpoch = 0;
  let bestParams: Float64Array | null = null;
  let sinceBest = 0;
  let stopped = false;
  return {
    done: () => stopped || history.length >= maxEpochs,
    next: () => history.length + 1,
    record(record: E) {
      history.push(record);
      const loss = record.validationLoss;
      if (loss === null) {
        bestEpoch = record.epoch;
        return;
      }
      if (loss < best) {
        best = loss;
        bestEpoch = record.epoch;
        bestParams = Float64Array.from(params);
        sinceBest = 0;
      } else if (++sinceBest >= patience) stopped = true;
    },
    finish(): EarlyStoppingResult<E> {
      if (bestParams) params.set(bestParams);
      return { history, bestEpoch };
    },
  };
}
