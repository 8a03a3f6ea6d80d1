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
  if (!Number.isInteger(maxEpochs) || maxEpochs < 1 || !Number.isInteger(patience) || patience < 1) {
    throw new RangeError('maxEpochs and patience must be integers >= 1');
  }
  const history: E[] = [];
  let best = Infinity;
  let bestEpoch = 0;
  let bestParams: Float64Array | null = null;
  let sinceBest = 0;
  for (let epoch = 1; epoch <= maxEpochs; epoch++) {
    const record = runEpoch(epoch);
    history.push(record);
    onEpoch?.(record);
    const loss = record.validationLoss;
    if (loss === null) {
      bestEpoch = epoch;
      continue;
    }
    if (loss < best) {
      best = loss;
      bestEpoch = epoch;
      bestParams = Float64Array.from(params);
      sinceBest = 0;
    } else if (++sinceBest >= patience) break;
  }
  if (bestParams) params.set(bestParams);
  return { history, bestEpoch };
}
