import { geluNew, positionIdsFromMask } from '../../gpt/reference-forward';
import { DecoderConfig, resolveDecoderConfig, ResolvedDecoderConfig, ropeInverseFrequencies } from './decoder-config';
import { checkDecoderWeights, DecoderWeights } from './decoder-weights';

/**
 * Plain-TypeScript forward pass of the decoder families in float64, written from the `transformers`
 * modeling code (modeling_llama / mistral / qwen2 / qwen3 / phi3 / gemma), not from the exporter: the
 * yardstick both the ONNX export and the runtime are checked against. Slow; tiny models only.
 */
export interface DecoderForwardInput {
  /** Token ids, [B][S]. */
  inputIds: number[][];
  /** 1 = attend, 0 = padding (never attended). Defaults to all ones. */
  attentionMask?: number[][];
  /** Defaults to the cumulative mask − 1 (pads get 1), as transformers does. */
  positionIds?: number[][];
}

export interface DecoderForwardOutput {
  batch: number;
  seq: number;
  vocab: number;
  hiddenSize: number;
  /** [B, S, V] */
  logits: Float32Array;
  /** Output of the final norm (model.norm), [B, S, D]: what the LM head reads. */
  hiddenStates: Float32Array;
}

type Vec = Float64Array;

function tensor(weights: DecoderWeights, name: string): Float32Array {
  const t = weights[name];
  if (!t) throw new Error(`decoder weights: missing ${name}`);
  return t.data;
}

/** y = x·Wᵀ (+ b) with W in PyTorch's [out, in] layout, rows [rowFrom, rowFrom + outDim). */
function linear(x: Vec, w: Float32Array, outDim: number, bias?: Float32Array, rowFrom = 0): Vec {
  const inDim = x.length;
  const y = new Float64Array(outDim);
  for (let o = 0; o < outDim; o++) {
    const row = (rowFrom + o) * inDim;
    let acc = bias ? bias[rowFrom + o] : 0;
    for (let i = 0; i < inDim; i++) acc += x[i] * w[row + i];
    y[o] = acc;
  }
  return y;
}

function rmsNorm(x: Vec, gain: Float32Array, eps: number, gemmaStyle: boolean, offset = 0, width = x.length): Vec {
  let meanSquare = 0;
  for (let i = 0; i < width; i++) meanSquare += x[offset + i] ** 2;
  const inv = 1 / Math.sqrt(meanSquare / width + eps);
  const out = new Float64Array(width);
  for (let i = 0; i < width; i++) out[i] = x[offset + i] * inv * (gemmaStyle ? 1 + gain[i] : gain[i]);
  return out;
}

const SILU = (v: number) => v / (1 + Math.exp(-v));

/** Rotates the first rotaryDim dims of each head in place: (x1, x2) → (x1·cos − x2·sin, x2·cos + x1·sin). */
function rotate(x: Vec, heads: number, c: ResolvedDecoderConfig, invFreq: Float64Array, position: number): void {
  const half = c.rotaryDim / 2;
  for (let h = 0; h < heads; h++) {
    const base = h * c.headDim;
    for (let i = 0; i < half; i++) {
      const angle = position * invFreq[i];
      const cos = Math.cos(angle);
      const sin = Math.sin(angle);
      const x1 = x[base + i];
      const x2 = x[base + i + half];
      x[base + i] = x1 * cos - x2 * sin;
      x[base + i + half] = x2 * cos + x1 * sin;
    }
  }
}

interface Projected {
  q: Vec;
  k: Vec;
  v: Vec;
}

function project(x: Vec, weights: DecoderWeights, c: ResolvedDecoderConfig, l: number): Projected {
  const p = `model.layers.${l}.self_attn`;
  const qDim = c.heads * c.headDim;
  const kvDim = c.kvHeads * c.headDim;
  if (c.family === 'phi3') {
    const w = tensor(weights, `${p}.qkv_proj.weight`);
    return { q: linear(x, w, qDim, undefined, 0), k: linear(x, w, kvDim, undefined, qDim), v: linear(x, w, kvDim, undefined, qDim + kvDim) };
  }
  const bias = (name: string) => (c.qkvBias ? tensor(weights, `${p}.${name}.bias`) : undefined);
  const out = {
    q: linear(x, tensor(weights, `${p}.q_proj.weight`), qDim, bias('q_proj')),
    k: linear(x, tensor(weights, `${p}.k_proj.weight`), kvDim, bias('k_proj')),
    v: linear(x, tensor(weights, `${p}.v_proj.weight`), kvDim, bias('v_proj')),
  };
  if (c.qkNorm) {
    const norm = (vec: Vec, heads: number, gain: Float32Array) => {
      for (let h = 0; h < heads; h++) vec.set(rmsNorm(vec, gain, c.rmsNormEps, false, h * c.headDim, c.headDim), h * c.headDim);
    };
    norm(out.q, c.heads, tensor(weights, `${p}.q_norm.weight`));
    norm(out.k, c.kvHeads, tensor(weights, `${p}.k_norm.weight`));
  }
  return out;
}

function mlp(x: Vec, weights: DecoderWeights, c: ResolvedDecoderConfig, l: number): Vec {
  const p = `model.layers.${l}.mlp`;
  const I = c.intermediateSize;
  let gate: Vec;
  let up: Vec;
  if (c.family === 'phi3') {
    const w = tensor(weights, `${p}.gate_up_proj.weight`);
    gate = linear(x, w, I, undefined, 0);
    up = linear(x, w, I, undefined, I);
  } else {
    gate = linear(x, tensor(weights, `${p}.gate_proj.weight`), I);
    up = linear(x, tensor(weights, `${p}.up_proj.weight`), I);
  }
  const act = c.gemmaStyle ? geluNew : SILU;
  const hidden = gate.map((g, i) => act(g) * up[i]);
  return linear(hidden, tensor(weights, `${p}.down_proj.weight`), c.hiddenSize);
}

/** One sequence through the stack; returns the final-norm rows. */
function forwardSequence(ids: number[], mask: number[], positions: number[], weights: DecoderWeights, c: ResolvedDecoderConfig, invFreq: Float64Array): Vec[] {
  const D = c.hiddenSize;
  const S = ids.length;
  const embed = tensor(weights, 'model.embed_tokens.weight');
  const scale = c.gemmaStyle ? Math.sqrt(D) : 1;
  let h: Vec[] = ids.map((tok) => {
    if (tok < 0 || tok >= c.vocabSize) throw new Error(`token id ${tok} out of range`);
    return Float64Array.from(embed.subarray(tok * D, (tok + 1) * D), (v) => v * scale);
  });
  const group = c.heads / c.kvHeads;
  const attnScale = 1 / Math.sqrt(c.headDim);
  const hd = c.headDim;
  for (let l = 0; l < c.layers; l++) {
    const p = `model.layers.${l}`;
    const projected = h.map((row, s) => {
      const out = project(rmsNorm(row, tensor(weights, `${p}.input_layernorm.weight`), c.rmsNormEps, c.gemmaStyle), weights, c, l);
      rotate(out.q, c.heads, c, invFreq, positions[s]);
      rotate(out.k, c.kvHeads, c, invFreq, positions[s]);
      return out;
    });
    const oBias = c.outputBias ? tensor(weights, `${p}.self_attn.o_proj.bias`) : undefined;
    const attended = projected.map(({ q }, i) => {
      const merged = new Float64Array(c.heads * hd);
      const scores = new Float64Array(S);
      for (let head = 0; head < c.heads; head++) {
        const kvHead = Math.floor(head / group);
        let max = -Infinity;
        for (let j = 0; j < S; j++) {
          const visible = j <= i && mask[j] !== 0 && (c.slidingWindow === null || i - j < c.slidingWindow);
          if (!visible) {
            scores[j] = -Infinity;
            continue;
          }
          let dot = 0;
          for (let d = 0; d < hd; d++) dot += q[head * hd + d] * projected[j].k[kvHead * hd + d];
          scores[j] = dot * attnScale;
          max = Math.max(max, scores[j]);
        }
        // A query with nothing visible (a padding row) averages every value, as an additive finite mask does.
        let total = 0;
        for (let j = 0; j < S; j++) total += scores[j] = max === -Infinity ? 1 : scores[j] === -Infinity ? 0 : Math.exp(scores[j] - max);
        for (let j = 0; j < S; j++) {
          const w = scores[j] / total;
          if (w === 0) continue;
          for (let d = 0; d < hd; d++) merged[head * hd + d] += w * projected[j].v[kvHead * hd + d];
        }
      }
      return linear(merged, tensor(weights, `${p}.self_attn.o_proj.weight`), D, oBias);
    });
    h = h.map((row, s) => row.map((v, d) => v + attended[s][d]));
    h = h.map((row) => {
      const out = mlp(rmsNorm(row, tensor(weights, `${p}.post_attention_layernorm.weight`), c.rmsNormEps, c.gemmaStyle), weights, c, l);
      return row.map((v, d) => v + out[d]);
    });
  }
  return h.map((row) => rmsNorm(row, tensor(weights, 'model.norm.weight'), c.rmsNormEps, c.gemmaStyle));
}

export function decoderReferenceForward(weights: DecoderWeights, config: DecoderConfig, input: DecoderForwardInput): DecoderForwardOutput {
  const c = resolveDecoderConfig(config);
  checkDecoderWeights(weights, c);
  const invFreq = ropeInverseFrequencies(c);
  const { vocabSize: V, hiddenSize: D } = c;
  const B = input.inputIds.length;
  const S = B === 0 ? 0 : input.inputIds[0].length;
  const mask = input.attentionMask ?? input.inputIds.map((r) => r.map(() => 1));
  const positions = input.positionIds ?? positionIdsFromMask(mask);
  const head = tensor(weights, c.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight');
  const logits = new Float32Array(B * S * V);
  const hiddenStates = new Float32Array(B * S * D);
  for (let b = 0; b < B; b++) {
    if (input.inputIds[b].length !== S) throw new Error('inputIds rows must have equal length');
    const final = forwardSequence(input.inputIds[b], mask[b], positions[b], weights, c, invFreq);
    final.forEach((row, s) => {
      hiddenStates.set(row, (b * S + s) * D);
      logits.set(linear(row, head, V), (b * S + s) * V);
    });
  }
  return { batch: B, seq: S, vocab: V, hiddenSize: D, logits, hiddenStates };
}
