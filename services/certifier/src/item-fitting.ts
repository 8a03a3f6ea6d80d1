/**
 * Cutting items to what the models can score (pure; tokenizers are passed as functions). A response is cut to
 * L's `maxResponseTokens` token ids (no EOS: prefix probabilities, spec pitfall 5); a prompt loses characters
 * from its start until [BOS] + prompt + response fits L's context, so the text right before the response, which
 * matters most, is kept.
 */
export type Encode = (text: string) => number[];

/** The longest suffix of `text` that encodes to at most `maxTokens` tokens ('' when none does). */
export function trimLeftToTokens(text: string, maxTokens: number, encode: Encode): string {
  if (maxTokens <= 0 || text.length === 0) return '';
  if (encode(text).length <= maxTokens) return text;
  // Binary search on the start offset; token counts are monotone in the suffix length up to BPE merges, so the
  // result is checked and nudged until it fits.
  let lo = 1;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (encode(text.slice(mid)).length <= maxTokens) hi = mid;
    else lo = mid + 1;
  }
  let start = lo;
  while (start < text.length && encode(text.slice(start)).length > maxTokens) start++;
  return text.slice(start);
}

export interface ModelLimits {
  /** Positions of the model, BOS included. */
  contextLength: number;
  encode: Encode;
  decode: (ids: number[]) => string;
}

export interface FittedResponse {
  /** L's token ids of the response. */
  ids: number[];
  /** What G scores when tokenizers differ: L's ids decoded (spec §3B). */
  text: string;
}

/**
 * Cuts L's response ids so that BOS + ids fits L and, for G, BOS + y fits G: with matching tokenizers G scores
 * the same ids; otherwise it re-tokenizes the decoded text, which may take more tokens.
 */
export function fitResponse(ids: readonly number[], maxTokens: number, large: ModelLimits, guide: ModelLimits, tokenizersMatch: boolean): FittedResponse {
  let cut = ids.slice(0, Math.max(0, Math.min(maxTokens, large.contextLength - 1)));
  if (tokenizersMatch) {
    cut = cut.slice(0, guide.contextLength - 1);
    return { ids: cut, text: large.decode(cut) };
  }
  for (;;) {
    const text = large.decode(cut);
    const guideTokens = guide.encode(text).length;
    if (guideTokens <= guide.contextLength - 1 || cut.length === 0) return { ids: cut, text };
    const shorter = Math.floor((cut.length * (guide.contextLength - 1)) / guideTokens);
    cut = cut.slice(0, Math.min(cut.length - 1, shorter));
  }
}

/**
 * Splits items into batches whose request and reply messages stay well under NATS's 1 MB: at most `maxRows`
 * scored rows (a multiple-choice question is one row per option) and at most `maxBytes` of estimated JSON per
 * batch. Order is kept; an item over a budget travels alone.
 */
export function packBatches<T>(items: readonly T[], measure: (item: T) => { bytes: number; rows: number }, limits: { maxRows: number; maxBytes: number }): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  let rows = 0;
  for (const item of items) {
    const size = measure(item);
    if (current.length > 0 && (rows + size.rows > limits.maxRows || bytes + size.bytes > limits.maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
      rows = 0;
    }
    current.push(item);
    bytes += size.bytes;
    rows += size.rows;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** Estimated JSON bytes of one item's score request and reply: its context plus ~90 bytes per scored token. */
export function estimatedItemBytes(contextChars: number, tokens: number): number {
  return 256 + Math.ceil(contextChars * 1.2) + tokens * 90;
}
