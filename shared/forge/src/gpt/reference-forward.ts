import { GptBlockWeights, GptShape, GptWeights } from './gpt-weights';

/**
 * Plain-TypeScript GPT-2 forward pass (float64 accumulation), the yardstick for the ONNX export
 * and the tfjs trainer. Deliberately simple and slow: for tests and tiny models only.
 */
export interface GptForwardInput {
  /** Token ids, [B][S]. */
  inputIds: number[][];
  /** 1 = attend, 0 = padding (never attended). Defaults to all ones. */
  attentionMask?: number[][];
  /** Position ids, [B][S]. Defaults to {@link positionIdsFromMask}. */
  positionIds?: number[][];
}

export interface GptForwardOutput {
  batch: number;
  seq: number;
  vocab: number;
  dim: number;
  /** [B, S, V] row-major. */
  logits: Float32Array;
  /** Final hidden states after ln_f, [B, S, D] row-major. */
  hiddenStates: Float32Array;
}

/** Hugging Face convention for left padding: cumulative sum of the mask minus one, pads get 1. */
export function positionIdsFromMask(mask: number[][]): number[][] {
  return mask.map((row) => {
    let seen = 0;
    return row.map((m) => {
      if (m === 0) return 1;
      return seen++;
    });
  });
}

const GELU_C = Math.sqrt(2 / Math.PI);

export function geluNew(x: number): number {
  return 0.5 * x * (1 + Math.tanh(GELU_C * (x + 0.044715 * x * x * x)));
}

function layerNorm(x: Float64Array, gain: Float32Array, bias: Float32Array, eps: number): Float64Array {
  const n = x.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i];
  mean /= n;
  let variance = 0;
  for (let i = 0; i < n; i++) variance += (x[i] - mean) ** 2;
  variance /= n;
  const inv = 1 / Math.sqrt(variance + eps);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = (x[i] - mean) * inv * gain[i] + bias[i];
  return out;
}

/** y = x · W + b with W row-major [in, out]. */
function linear(x: Float64Array, w: Float32Array, b: Float32Array, outDim: number): Float64Array {
  const y = new Float64Array(outDim);
  for (let o = 0; o < outDim; o++) y[o] = b[o];
  for (let i = 0; i < x.length; i++) {
    const xi = x[i];
    if (xi === 0) continue;
    const row = i * outDim;
    for (let o = 0; o < outDim; o++) y[o] += xi * w[row + o];
  }
  return y;
}

/** One causal self-attention over a single sequence; `h` is [S] rows of width D. */
function attention(h: Float64Array[], mask: number[], blk: GptBlockWeights, shape: GptShape): Float64Array[] {
  const { dim: D, heads: H } = shape;
  const hd = D / H;
  const S = h.length;
  const qkv = h.map((row) => linear(row, blk.attnQkvW, blk.attnQkvB, 3 * D));
  const scale = 1 / Math.sqrt(hd);
  const merged = h.map(() => new Float64Array(D));
  const scores = new Float64Array(S);
  for (let head = 0; head < H; head++) {
    const off = head * hd;
    for (let i = 0; i < S; i++) {
      let max = -Infinity;
      let allowedAny = false;
      for (let j = 0; j < S; j++) {
        const allowed = j <= i && mask[j] !== 0;
        if (!allowed) {
          scores[j] = -Infinity;
          continue;
        }
        allowedAny = true;
        let s = 0;
        for (let d = 0; d < hd; d++) s += qkv[i][off + d] * qkv[j][D + off + d];
        scores[j] = s * scale;
        if (scores[j] > max) max = scores[j];
      }
      // A row with nothing to attend to (a padding query) averages all values, like an additive -1e9 mask does.
      let total = 0;
      for (let j = 0; j < S; j++) {
        scores[j] = allowedAny ? (scores[j] === -Infinity ? 0 : Math.exp(scores[j] - max)) : 1;
        total += scores[j];
      }
      for (let j = 0; j < S; j++) {
        const p = scores[j] / total;
        if (p === 0) continue;
        for (let d = 0; d < hd; d++) merged[i][off + d] += p * qkv[j][2 * D + off + d];
      }
    }
  }
  return merged.map((row) => linear(row, blk.attnProjW, blk.attnProjB, D));
}

export function referenceForward(weights: GptWeights, input: GptForwardInput): GptForwardOutput {
  const { shape } = weights;
  const { dim: D, vocabSize: V, contextLength } = shape;
  const B = input.inputIds.length;
  const S = B === 0 ? 0 : input.inputIds[0].length;
  const mask = input.attentionMask ?? input.inputIds.map((r) => r.map(() => 1));
  const positions = input.positionIds ?? positionIdsFromMask(mask);
  const logits = new Float32Array(B * S * V);
  const hiddenStates = new Float32Array(B * S * D);

  for (let b = 0; b < B; b++) {
    if (input.inputIds[b].length !== S) throw new Error('inputIds rows must have equal length');
    let h = input.inputIds[b].map((tok, s) => {
      const pos = positions[b][s];
      if (tok < 0 || tok >= V) throw new Error(`token id ${tok} out of range`);
      if (pos < 0 || pos >= contextLength) throw new Error(`position ${pos} out of range`);
      const row = new Float64Array(D);
      for (let d = 0; d < D; d++) row[d] = weights.tokenEmbedding[tok * D + d] + weights.positionEmbedding[pos * D + d];
      return row;
    });
    for (const blk of weights.blocks) {
      const normed = h.map((row) => layerNorm(row, blk.ln1Gain, blk.ln1Bias, shape.layerNormEps));
      const attn = attention(normed, mask[b], blk, shape);
      h = h.map((row, s) => row.map((v, d) => v + attn[s][d]));
      h = h.map((row) => {
        const fc = linear(layerNorm(row, blk.ln2Gain, blk.ln2Bias, shape.layerNormEps), blk.mlpFcW, blk.mlpFcB, 4 * D);
        const out = linear(fc.map(geluNew), blk.mlpProjW, blk.mlpProjB, D);
        return row.map((v, d) => v + out[d]);
      });
    }
    for (let s = 0; s < S; s++) {
      const hf = layerNorm(h[s], weights.lnFinalGain, weights.lnFinalBias, shape.layerNormEps);
      const base = (b * S + s) * D;
      for (let d = 0; d < D; d++) hiddenStates[base + d] = hf[d];
      const lbase = (b * S + s) * V;
      for (let v = 0; v < V; v++) {
        let acc = 0;
        for (let d = 0; d < D; d++) acc += hf[d] * weights.tokenEmbedding[v * D + d];
        logits[lbase + v] = acc;
      }
    }
  }
  return { batch: B, seq: S, vocab: V, dim: D, logits, hiddenStates };
}

/** mulberry32 with Box-Muller normals: small, seeded, deterministic across platforms. */
function normalSampler(seed: number): () => number {
  let a = seed >>> 0;
  const uniform = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => {
    const u = 1 - uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
  };
}

export interface RandomGptOptions {
  /** Weight standard deviation (GPT-2: 0.02). Tests use larger values so errors show in the logits. */
  std?: number;
  /** Also randomize biases and LayerNorm gains/biases (GPT-2 init leaves them at 0 and 1). */
  randomizeAffine?: boolean;
}

/**
 * GPT-2 initialization: weights ~ N(0, std), residual projections (attn c_proj, mlp c_proj)
 * scaled by 1/sqrt(2·layers), biases 0, LayerNorm gain 1 and bias 0.
 */
export function randomGptWeights(shape: GptShape, seed: number, options: RandomGptOptions = {}): GptWeights {
  if (shape.dim % shape.heads !== 0) throw new Error('heads must divide dim');
  const normal = normalSampler(seed);
  const std = options.std ?? 0.02;
  const projStd = std / Math.sqrt(2 * shape.layers);
  const D = shape.dim;
  const gaussian = (n: number, sd: number): Float32Array => {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = normal() * sd;
    return out;
  };
  const bias = (n: number): Float32Array => (options.randomizeAffine ? gaussian(n, std) : new Float32Array(n));
  const gain = (n: number): Float32Array => {
    const out = new Float32Array(n).fill(1);
    if (options.randomizeAffine) for (let i = 0; i < n; i++) out[i] += 0.1 * normal();
    return out;
  };
  const blocks: GptBlockWeights[] = [];
  const tokenEmbedding = gaussian(shape.vocabSize * D, std);
  const positionEmbedding = gaussian(shape.contextLength * D, std);
  for (let l = 0; l < shape.layers; l++) {
    blocks.push({
      ln1Gain: gain(D),
      ln1Bias: bias(D),
      attnQkvW: gaussian(D * 3 * D, std),
      attnQkvB: bias(3 * D),
      attnProjW: gaussian(D * D, projStd),
      attnProjB: bias(D),
      ln2Gain: gain(D),
      ln2Bias: bias(D),
      mlpFcW: gaussian(D * 4 * D, std),
      mlpFcB: bias(4 * D),
      mlpProjW: gaussian(4 * D * D, projStd),
      mlpProjB: bias(D),
    });
  }
  return { shape, tokenEmbedding, positionEmbedding, blocks, lnFinalGain: gain(D), lnFinalBias: bias(D) };
}
