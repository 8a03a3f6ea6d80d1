/** Input checks shared by the calibration metrics: probabilities in [0, 1] and 0/1 labels of equal length. */

export function checkBinaryInputs(pCorrect: ArrayLike<number>, labels: ArrayLike<number>): void {
  if (pCorrect.length !== labels.length) throw new RangeError(`${pCorrect.length} probabilities for ${labels.length} labels`);
  for (let i = 0; i < pCorrect.length; i++) {
    const p = pCorrect[i];
    if (!(p >= 0 && p <= 1)) throw new RangeError(`pCorrect[${i}] must lie in [0, 1], got ${p}`);
    const y = labels[i];
    if (y !== 0 && y !== 1) throw new RangeError(`labels[${i}] must be 0 or 1, got ${y}`);
  }
}
