import { DecoderConfig, resolveDecoderConfig, ResolvedDecoderConfig } from '../../onnx/decoder-families';
import { decoderParamSpecs, ropeTables } from './decoder-params';
import { add, gather, geluTanh, mul, rmsNorm, scale, silu, split } from '../graph/ops';
import { Val } from '../graph/tape';
import { AttentionShape, causalSelfAttention, ForwardContext, LinearModule, LmArchitecture, LmHead, param, ParamSpec, projection } from './architecture';

/**
 * The llama family (RMSNorm, rotary positions, gated MLP, grouped-query attention; Qwen2's q/k/v biases, Qwen3's
 * q/k norms, Phi-3's fused projections and partial rotary, Gemma's scaled embeddings, offset norms and GELU gate)
 * as a training graph over Hugging Face-named weights.
 */
export class DecoderArchitecture implements LmArchitecture {
  readonly family = 'llama' as const;
  readonly params: readonly ParamSpec[];
  readonly linearModules: readonly LinearModule[];
  readonly config: ResolvedDecoderConfig;

  constructor(config: DecoderConfig) {
    const c = resolveDecoderConfig(config);
    this.config = c;
    this.params = decoderParamSpecs(c);
    const D = c.hiddenSize;
    const q = c.heads * c.headDim;
    const kv = c.kvHeads * c.headDim;
    const I = c.intermediateSize;
    const fused = c.family === 'phi3';
    const lin = (module: string, inFeatures: number, outFeatures: number): LinearModule => ({ module, inFeatures, outFeatures, layout: 'out-in' });
    this.linearModules = Array.from({ length: c.layers }, (_, l) => {
      const a = `model.layers.${l}.self_attn`;
      const m = `model.layers.${l}.mlp`;
      const attention = fused ? [lin(`${a}.qkv_proj`, D, q + 2 * kv)] : [lin(`${a}.q_proj`, D, q), lin(`${a}.k_proj`, D, kv), lin(`${a}.v_proj`, D, kv)];
      const mlp = fused ? [lin(`${m}.gate_up_proj`, D, 2 * I)] : [lin(`${m}.gate_proj`, D, I), lin(`${m}.up_proj`, D, I)];
      return [...attention, lin(`${a}.o_proj`, q, D), ...mlp, lin(`${m}.down_proj`, I, D)];
    }).flat();
  }

  get vocabSize(): number {
    return this.config.vocabSize;
  }

  get contextLength(): number {
    return this.config.maxPositions;
  }

  head(ctx: ForwardContext, ids: Val): LmHead {
    const t = ctx.tape;
    const c = this.config;
    const { batch: B, length: T } = ctx;
    if (T > this.contextLength) throw new Error(`sequence length ${T} exceeds the context length ${this.contextLength}`);
    const D = c.hiddenSize;
    const I = c.intermediateSize;
    const q = c.heads * c.headDim;
    const kv = c.kvHeads * c.headDim;
    const gemma = c.gemmaStyle;
    const fused = c.family === 'phi3';
    const eps = c.rmsNormEps;
    const p = (name: string): Val => param(ctx, name);
    const tables = ropeTables(c, T);
    const rd = c.rotaryDim;
    const rotary = { cos: t.constant(tables.cos, [T, rd], 'rope_cos'), sin: t.constant(tables.sin, [T, rd], 'rope_sin') };
    let x = t.reshape(gather(t, p('model.embed_tokens.weight'), ids), [B * T, D]);
    // Gemma multiplies embeddings by √hidden in the activation dtype (a float32 constant here).
    if (gemma) x = scale(t, x, Math.fround(Math.sqrt(D)));
    x = ctx.dropout(x);
    const act = (v: Val): Val => (gemma ? geluTanh(t, v) : silu(t, v));
    for (let l = 0; l < c.layers; l++) {
      const a = `model.layers.${l}.self_attn`;
      const m = `model.layers.${l}.mlp`;
      const attention: AttentionShape = {
        heads: c.heads,
        kvHeads: c.kvHeads,
        headDim: c.headDim,
        rotary,
        slidingWindow: c.slidingWindow,
        ...(c.qkNorm ? { headNorm: { q: p(`${a}.q_norm.weight`), k: p(`${a}.k_norm.weight`), eps } } : {}),
      };
      const h = rmsNorm(t, x, p(`model.layers.${l}.input_layernorm.weight`), eps, gemma);
      const bias = (proj: string): Val | undefined => (c.qkvBias ? p(`${a}.${proj}.bias`) : undefined);
      const [qs, ks, vs] = fused
        ? split(t, projection(ctx, h, `${a}.qkv_proj`, 'out-in'), 1, [q, kv, kv])
        : (['q_proj', 'k_proj', 'v_proj'] as const).map((proj) => projection(ctx, h, `${a}.${proj}`, 'out-in', bias(proj)));
      const attended = causalSelfAttention(ctx, qs, ks, vs, attention);
      x = add(t, x, ctx.dropout(projection(ctx, attended, `${a}.o_proj`, 'out-in', c.outputBias ? p(`${a}.o_proj.bias`) : undefined)));
      const h2 = rmsNorm(t, x, p(`model.layers.${l}.post_attention_layernorm.weight`), eps, gemma);
      const [gate, up] = fused
        ? split(t, projection(ctx, h2, `${m}.gate_up_proj`, 'out-in'), 1, [I, I])
        : [projection(ctx, h2, `${m}.gate_proj`, 'out-in'), projection(ctx, h2, `${m}.up_proj`, 'out-in')];
      x = add(t, x, ctx.dropout(projection(ctx, mul(t, act(gate), up), `${m}.down_proj`, 'out-in')));
    }
    const final = rmsNorm(t, x, p('model.norm.weight'), eps, gemma);
    return { hidden: final, weight: p(c.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight') };
  }

  forwardFlopsPerToken(length: number): number {
    const c = this.config;
    const q = c.heads * c.headDim;
    const kv = c.kvHeads * c.headDim;
    const D = c.hiddenSize;
    const perLayer = D * q + 2 * D * kv + q * D + 3 * D * c.intermediateSize;
    return 2 * (c.layers * perLayer + c.vocabSize * D) + 4 * length * q * c.layers;
  }
}
