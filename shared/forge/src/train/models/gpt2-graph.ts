import { GptShape, gptParamShapes } from '../../gpt/gpt-weights';
import { add, gather, geluTanh, layerNorm, split } from '../graph/ops';
import { Val } from '../graph/tape';
import { causalSelfAttention, ForwardContext, LinearModule, LmArchitecture, LmHead, param, ParamSpec, projection } from './architecture';

/** GPT-2 (pre-LN, fused QKV, learned positions, gelu_new, final LN, LM head tied to wte) as a training graph. */
export class Gpt2Architecture implements LmArchitecture {
  readonly family = 'gpt2' as const;
  readonly params: readonly ParamSpec[];
  readonly linearModules: readonly LinearModule[];

  constructor(readonly shape: GptShape) {
    if (shape.dim % shape.heads !== 0) throw new Error(`heads (${shape.heads}) must divide dim (${shape.dim})`);
    this.params = gptParamShapes(shape).map((p) => ({ ...p, decay: p.shape.length === 2 }));
    const D = shape.dim;
    this.linearModules = Array.from({ length: shape.layers }, (_, l) => [
      { module: `h.${l}.attn.c_attn`, inFeatures: D, outFeatures: 3 * D, layout: 'in-out' as const },
      { module: `h.${l}.attn.c_proj`, inFeatures: D, outFeatures: D, layout: 'in-out' as const },
      { module: `h.${l}.mlp.c_fc`, inFeatures: D, outFeatures: 4 * D, layout: 'in-out' as const },
      { module: `h.${l}.mlp.c_proj`, inFeatures: 4 * D, outFeatures: D, layout: 'in-out' as const },
    ]).flat();
  }

  get vocabSize(): number {
    return this.shape.vocabSize;
  }

  get contextLength(): number {
    return this.shape.contextLength;
  }

  head(ctx: ForwardContext, ids: Val): LmHead {
    const t = ctx.tape;
    const { batch: B, length: T } = ctx;
    const { dim: D, heads: H, layerNormEps: eps } = this.shape;
    if (T > this.shape.contextLength) throw new Error(`sequence length ${T} exceeds contextLength ${this.shape.contextLength}`);
    const p = (name: string): Val => param(ctx, name);
    const positions = t.constantInt(Array.from({ length: T }, (_, i) => i), [T]);
    let x = t.reshape(ctx.dropout(add(t, gather(t, p('wte'), ids), gather(t, p('wpe'), positions))), [B * T, D]);
    const attention = { heads: H, kvHeads: H, headDim: D / H };
    for (let l = 0; l < this.shape.layers; l++) {
      const h = `h.${l}`;
      const normed = layerNorm(t, x, p(`${h}.ln_1.weight`), p(`${h}.ln_1.bias`), eps);
      const [q, k, v] = split(t, projection(ctx, normed, `${h}.attn.c_attn`, 'in-out', p(`${h}.attn.c_attn.bias`)), 1, [D, D, D]);
      const attended = causalSelfAttention(ctx, q, k, v, attention);
      x = add(t, x, ctx.dropout(projection(ctx, attended, `${h}.attn.c_proj`, 'in-out', p(`${h}.attn.c_proj.bias`))));
      const normed2 = layerNorm(t, x, p(`${h}.ln_2.weight`), p(`${h}.ln_2.bias`), eps);
      const fc = geluTanh(t, projection(ctx, normed2, `${h}.mlp.c_fc`, 'in-out', p(`${h}.mlp.c_fc.bias`)));
      x = add(t, x, ctx.dropout(projection(ctx, fc, `${h}.mlp.c_proj`, 'in-out', p(`${h}.mlp.c_proj.bias`))));
    }
    const final = layerNorm(t, x, p('ln_f.weight'), p('ln_f.bias'), eps);
    return { hidden: final, weight: p('wte') };
  }

  forwardFlopsPerToken(length: number): number {
    const { dim: D, layers: L, vocabSize: V } = this.shape;
    return 2 * (L * 12 * D * D + V * D) + 4 * length * D * L;
  }
}
