/**
 * Left padding for decoder batches: every row ends at the same column, so the next token of every
 * sequence is read from (and appended at) the last column. Padded slots carry the pad id, mask 0 and
 * position 0; real tokens get positions 0, 1, … (cumulative mask − 1, clipped at 0), exactly as if the
 * sequence ran alone.
 */
export interface PaddedBatch {
  batch: number;
  seqLen: number;
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  positionIds: BigInt64Array;
  /** Real tokens per row. */
  lengths: number[];
}

export function leftPad(rows: ArrayLike<number>[], padId: number): PaddedBatch {
  const batch = rows.length;
  const lengths = rows.map((r) => r.length);
  const seqLen = Math.max(0, ...lengths);
  const inputIds = new BigInt64Array(batch * seqLen).fill(BigInt(padId));
  const attentionMask = new BigInt64Array(batch * seqLen);
  const positionIds = new BigInt64Array(batch * seqLen);
  rows.forEach((row, b) => {
    const offset = b * seqLen + (seqLen - row.length);
    for (let t = 0; t < row.length; t++) {
      inputIds[offset + t] = BigInt(row[t]);
      attentionMask[offset + t] = 1n;
      positionIds[offset + t] = BigInt(t);
    }
  });
  return { batch, seqLen, inputIds, attentionMask, positionIds, lengths };
}

/** Position ids from a mask [batch, seqLen]: cumulative sum − 1, clipped at 0 (pads get 0). */
export function positionIdsFromMask(mask: ArrayLike<number | bigint>, batch: number, seqLen: number): BigInt64Array {
  const out = new BigInt64Array(batch * seqLen);
  for (let b = 0; b < batch; b++) {
    let seen = 0;
    for (let t = 0; t < seqLen; t++) {
      if (Number(mask[b * seqLen + t]) !== 0) seen++;
      out[b * seqLen + t] = BigInt(Math.max(0, seen - 1));
    }
  }
  return out;
}

/**
 * Right padding for encoder-style passes (classifiers): row b's tokens fill columns 0 … length − 1, the
 * rest hold the pad id with mask 0. At least `minWidth` columns so an all-empty batch is still a tensor.
 */
export function rightPad(rows: ArrayLike<number>[], padId: number, minWidth = 1): { batch: number; seqLen: number; inputIds: BigInt64Array; attentionMask: BigInt64Array } {
  const batch = rows.length;
  const seqLen = Math.max(minWidth, ...rows.map((r) => r.length));
  const inputIds = new BigInt64Array(batch * seqLen).fill(BigInt(padId));
  const attentionMask = new BigInt64Array(batch * seqLen);
  rows.forEach((row, b) => {
    for (let t = 0; t < row.length; t++) {
      inputIds[b * seqLen + t] = BigInt(row[t]);
      attentionMask[b * seqLen + t] = 1n;
    }
  });
  return { batch, seqLen, inputIds, attentionMask };
}
