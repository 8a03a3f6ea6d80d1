import { add, concat, gemm, matmul, rmsNorm, rope, scale, softmax, split } from '../graph/ops';
import { Tape, Val } from '../graph/tape';

/** One trainable (or frozen) tensor of a model. */
export interface ParamSpec {
  name: string;
  shape: number[];
  /** AdamW decays matrices (embeddings included), not biases or norm gains. */
  decay: boolean;
}

/** A linear layer LoRA can adapt: `${module}.weight`, with its orientation. */
export interface LinearModule {
  module: string;
  inFeatures: number;
  outFeatures: number;
  /** 'out-in': y = x·Wᵀ (PyTorch Linear); 'in-out': y = x·W (GPT-2's Conv1D). */
  layout: 'out-in' | 'in-out';
}

/** What a forward graph is built with. */
export interface ForwardContext {
  tape: Tape;
  /** Every parameter (and LoRA adapter) as a graph value. */
  params: ReadonlyMap<string, Val>;
  batch: number;
  length: number;
  /** LoRA output scale alpha / rank (when adapters are present). */
  loraScale: number;
  /** Multiplies by a fresh dropout mask while training; identity otherwise. */
  dropout(x: Val): Val;
}

/** The final hidden states [B·T, D] and the LM head's weight [V, D]: logits = hidden · weightᵀ. */
export interface LmHead {
  hidden: Val;
  weight: Val;
}

/** A decoder LM as a differentiable graph: parameters, linear modules, and its LM head's input for ids [B, T]. */
export interface LmArchitecture {
  readonly family: 'gpt2' | 'llama';
  readonly vocabSize: number;
  /** Longest sequence the model accepts. */
  readonly contextLength: number;
  readonly params: readonly ParamSpec[];
  readonly linearModules: readonly LinearModule[];
  head(ctx: ForwardContext, ids: Val): LmHead;
  /** Forward FLOPs per token at sequence length T: 2·(weights touched by matmuls) + 4·T·(attention width)·layers. */
  forwardFlopsPerToken(length: number): number;
}

export function param(ctx: ForwardContext, name: string): Val {
  const v = ctx.params.get(name);
  if (!v) throw new Error(`model has no parameter ${name}`);
  return v;
}

/** A linear layer, plus its LoRA branch scale·(x·Aᵀ)·Bᵀ when adapters for `module` exist. */
export function projection(ctx: ForwardContext, x: Val, module: string, layout: LinearModule['layout'], bias?: Val): Val {
  const t = ctx.tape;
  let y = gemm(t, x, param(ctx, `${module}.weight`), { transB: layout === 'out-in', bias });
  const a = ctx.params.get(`${module}.lora_A.weight`);
  if (a) {
    const b = param(ctx, `${module}.lora_B.weight`);
    y = add(t, y, scale(t, gemm(t, gemm(t, x, a, { transB: true }), b, { transB: true }), ctx.loraScale));
  }
  return y;
}

export interface AttentionShape {
  heads: number;
  kvHeads: number;
  headDim: number;
  /** Rotary tables [T, rotary dims ≤ headDim] (llama family); absent for learned positions (GPT-2). */
  rotary?: { cos: Val; sin: Val };
  /** Qwen3: RMSNorm of every query and key head (gains [headDim]) before the rotation. */
  headNorm?: { q: Val; k: Val; eps: number };
  /** Keys more than this many positions back are not attended (Mistral, Phi-3); null = all. */
  slidingWindow?: number | null;
}

const maskCache = new WeakMap<Tape, Map<string, Val>>();

/**
 * Additive causal mask for `group` query heads sharing a key head: [group·T, T], row g·T + i sees keys j ≤ i
 * (and i − j < window with a sliding window).
 */
function causalMask(t: Tape, T: number, group: number, window: number | null): Val {
  let perTape = maskCache.get(t);
  if (!perTape) maskCache.set(t, (perTape = new Map()));
  const key = `${T}x${group}/${window}`;
  let mask = perTape.get(key);
  if (!mask) {
    const data = new Float32Array(group * T * T);
    for (let g = 0; g < group; g++) {
      for (let i = 0; i < T; i++) for (let j = 0; j < T; j++) if (j > i || (window !== null && i - j >= window)) data[(g * T + i) * T + j] = -1e9;
    }
    mask = t.constant(data, [group * T, T], 'causal_mask');
    perTape.set(key, mask);
  }
  return mask;
}

/**
 * Causal self-attention over q [N, H·hd], k and v [N, Hkv·hd] (N = B·T), returning [N, H·hd]. Grouped-query
 * attention needs no copies of k and v: the G = H/Hkv query heads of a key head are stacked along the query axis,
 * [B, Hkv, G·T, hd], so every product is a plain batched matmul.
 */
export function causalSelfAttention(ctx: ForwardContext, q: Val, k: Val, v: Val, s: AttentionShape): Val {
  const t = ctx.tape;
  const { batch: B, length: T } = ctx;
  const { heads: H, kvHeads: Hkv, headDim: hd } = s;
  const G = H / Hkv;
  const toHeads = (x: Val, n: number): Val => t.transpose(t.reshape(x, [B, T, n, hd]), [0, 2, 1, 3]); // [B, n, T, hd]
  let qh = toHeads(q, H);
  let kh = toHeads(k, Hkv);
  if (s.headNorm) {
    qh = rmsNorm(t, qh, s.headNorm.q, s.headNorm.eps);
    kh = rmsNorm(t, kh, s.headNorm.k, s.headNorm.eps);
  }
  const rotary = s.rotary;
  if (rotary) {
    const rd = rotary.cos.shape[1];
    // Partial rotary (Phi-3): the first rd dims of each head rotate, the rest pass through.
    const rotate = (x: Val): Val => {
      if (rd === hd) return rope(t, x, rotary.cos, rotary.sin);
      const [head, tail] = split(t, x, -1, [rd, hd - rd]);
      return concat(t, [rope(t, head, rotary.cos, rotary.sin), tail], -1);
    };
    qh = rotate(qh);
    kh = rotate(kh);
  }
  // 1/√hd on q, the smaller operand of the score product.
  const qg = t.reshape(scale(t, qh, 1 / Math.sqrt(hd)), [B, Hkv, G * T, hd]);
  const scores = add(t, matmul(t, qg, kh, true), causalMask(t, T, G, s.slidingWindow ?? null)); // [B, Hkv, G·T, T]
  const probs = ctx.dropout(softmax(t, scores));
  const ctxh = t.reshape(matmul(t, probs, toHeads(v, Hkv)), [B, H, T, hd]);
  return t.reshape(t.transpose(ctxh, [0, 2, 1, 3]), [B * T, H * hd]);
}
