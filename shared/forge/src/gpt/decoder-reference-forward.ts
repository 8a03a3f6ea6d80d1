import { DecoderConfigJson, DecoderWeights, hasOutputBias, hasQkNorm, hasQkvBias, headDim, isFused, isGemma, ropeTables, rotaryDim } from './decoder-weights';

/**
 * Plain-TypeScript forward pass of a llama-family decoder (float64 accumulation), written from the transformers
 * modelling code: the yardstick for the training graph and for exports. Slow; for tests and tiny models.
 * Sequences are unpadded and start at position 0.
 */
export interface DecoderForwardOutput {
  /** [B, S, V] row-major. */
  logits: Float32Array;
  /** Final-norm hidden states [B, S, D] row-major. */
  hiddenStates: Float32Array;
}

/** y = x · Wᵀ (+ b) with W row-major [out, in]. */
function linear(x: Float64Array, w: Float32Array, outDim: number, bias?: Float32Array): Float64Array {
  const inDim = x.length;
  const y = new Float64Array(outDim);
  for (let o = 0; o < outDim; o++) {
    let acc = bias ? bias[o] : 0;
    const row = o * inDim;
    for (let i = 0; i < inDim; i++) acc += x[i] * w[row + i];
    y[o] = acc;
  }
  return y;
}

function rmsNorm(x: Float64Array, w: Float32Array, eps: number, unitOffset: boolean): Float64Array {
  let ms = 0;
  for (let i = 0; i < x.length; i++) ms += x[i] * x[i];
  const r = 1 / Math.sqrt(ms / x.length + eps);
  return x.map((v, i) => v * r * (unitOffset ? 1 + w[i] : w[i]));
}

const GELU_C = Math.sqrt(2 / Math.PI);
const act = (c: DecoderConfigJson, x: number): number =>
  c.hidden_act === 'silu' ? x / (1 + Math.exp(-x)) : 0.5 * x * (1 + Math.tanh(GELU_C * (x + 0.044715 * x * x * x)));

/** rotate_half convention on the first `rd` dims of each head: (x₁, x₂) → x⊙cos + (−x₂, x₁)⊙sin. */
function applyRope(v: Float64Array, heads: number, hd: number, rd: number, cos: Float32Array, sin: Float32Array, pos: number): void {
  const half = rd / 2;
  for (let h = 0; h < heads; h++) {
    const o = h * hd;
    for (let i = 0; i < half; i++) {
      const a = v[o + i];
      const b = v[o + i + half];
      const c = pos * rd + i;
      v[o + i] = a * cos[c] - b * sin[c];
      v[o + i + half] = b * cos[c + half] + a * sin[c + half];
    }
  }
}

export function decoderReferenceForward(c: DecoderConfigJson, weights: DecoderWeights, inputIds: number[][]): DecoderForwardOutput {
  const D = c.hidden_size;
  const V = c.vocab_size;
  const H = c.num_attention_heads;
  const Hkv = c.num_key_value_heads;
  const hd = headDim(c);
  const group = H / Hkv;
  const gemma = isGemma(c);
  const rd = rotaryDim(c);
  const window = c.sliding_window ?? null;
  const I = c.intermediate_size;
  /** RMSNorm of each head in place (Qwen3 q/k norms). */
  const headNorm = (v: Float64Array, heads: number, weight: Float32Array): void => {
    for (let h = 0; h < heads; h++) v.set(rmsNorm(v.subarray(h * hd, (h + 1) * hd), weight, c.rms_norm_eps, false), h * hd);
  };
  const w = (name: string): Float32Array => {
    const t = weights[name];
    if (!t) throw new Error(`missing weight ${name}`);
    return t.data;
  };
  const S = inputIds[0]?.length ?? 0;
  const { cos, sin } = ropeTables(c, S);
  const logits = new Float32Array(inputIds.length * S * V);
  const hiddenStates = new Float32Array(inputIds.length * S * D);
  const embed = w('model.embed_tokens.weight');
  const head = c.tie_word_embeddings ? embed : w('lm_head.weight');
  inputIds.forEach((ids, b) => {
    if (ids.length !== S) throw new Error('inputIds rows must have equal length');
    let x = ids.map((tok) => {
      if (tok < 0 || tok >= V) throw new Error(`token id ${tok} out of range`);
      const row = new Float64Array(D);
      for (let d = 0; d < D; d++) row[d] = embed[tok * D + d] * (gemma ? Math.sqrt(D) : 1);
      return row;
    });
    for (let l = 0; l < c.num_hidden_layers; l++) {
      const p = `model.layers.${l}`;
      const bias = (n: string): Float32Array | undefined => (hasQkvBias(c) ? w(`${p}.self_attn.${n}.bias`) : undefined);
      const h = x.map((row) => rmsNorm(row, w(`${p}.input_layernorm.weight`), c.rms_norm_eps, gemma));
      const qkv = h.map((row) => {
        if (isFused(c)) {
          const all = linear(row, w(`${p}.self_attn.qkv_proj.weight`), (H + 2 * Hkv) * hd);
          return [all.slice(0, H * hd), all.slice(H * hd, (H + Hkv) * hd), all.slice((H + Hkv) * hd)];
        }
        return [
          linear(row, w(`${p}.self_attn.q_proj.weight`), H * hd, bias('q_proj')),
          linear(row, w(`${p}.self_attn.k_proj.weight`), Hkv * hd, bias('k_proj')),
          linear(row, w(`${p}.self_attn.v_proj.weight`), Hkv * hd, bias('v_proj')),
        ];
      });
      const q = qkv.map(([v], s) => {
        if (hasQkNorm(c)) headNorm(v, H, w(`${p}.self_attn.q_norm.weight`));
        applyRope(v, H, hd, rd, cos, sin, s);
        return v;
      });
      const k = qkv.map(([, v], s) => {
        if (hasQkNorm(c)) headNorm(v, Hkv, w(`${p}.self_attn.k_norm.weight`));
        applyRope(v, Hkv, hd, rd, cos, sin, s);
        return v;
      });
      const v = qkv.map(([, , v]) => v);
      const ctx = x.map(() => new Float64Array(H * hd));
      for (let head_ = 0; head_ < H; head_++) {
        const kvo = Math.floor(head_ / group) * hd;
        const qo = head_ * hd;
        for (let i = 0; i < S; i++) {
          const scores = new Float64Array(i + 1);
          let max = -Infinity;
          const first = window === null ? 0 : Math.max(0, i - window + 1);
          for (let j = 0; j < first; j++) scores[j] = -Infinity;
          for (let j = first; j <= i; j++) {
            let acc = 0;
            for (let d = 0; d < hd; d++) acc += q[i][qo + d] * k[j][kvo + d];
            scores[j] = acc / Math.sqrt(hd);
            max = Math.max(max, scores[j]);
          }
          let total = 0;
          for (let j = 0; j <= i; j++) total += scores[j] = j < first ? 0 : Math.exp(scores[j] - max);
          for (let j = 0; j <= i; j++) for (let d = 0; d < hd; d++) ctx[i][qo + d] += (scores[j] / total) * v[j][kvo + d];
        }
      }
      x = x.map((row, s) => {
        const o = linear(ctx[s], w(`${p}.self_attn.o_proj.weight`), D, hasOutputBias(c) ? w(`${p}.self_attn.o_proj.bias`) : undefined);
        return row.map((val, d) => val + o[d]);
      });
      x = x.map((row) => {
        const h2 = rmsNorm(row, w(`${p}.post_attention_layernorm.weight`), c.rms_norm_eps, gemma);
        const fused = isFused(c) ? linear(h2, w(`${p}.mlp.gate_up_proj.weight`), 2 * I) : undefined;
        const gate = fused ? fused.slice(0, I) : linear(h2, w(`${p}.mlp.gate_proj.weight`), I);
        const up = fused ? fused.slice(I) : linear(h2, w(`${p}.mlp.up_proj.weight`), I);
        const out = linear(gate.map((g, i) => act(c, g) * up[i]), w(`${p}.mlp.down_proj.weight`), D);
        return row.map((val, d) => val + out[d]);
      });
    }
    x.forEach((row, s) => {
      const hf = rmsNorm(row, w('model.norm.weight'), c.rms_norm_eps, gemma);
      hiddenStates.set(hf, (b * S + s) * D);
      logits.set(linear(hf, head, V), (b * S + s) * V);
    });
  });
  return { logits, hiddenStates };
}
