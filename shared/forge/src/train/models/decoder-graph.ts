import { DecoderConfig, decoderParamSpecs, headDim, isGemma, ropeTables } from '../../gpt/decoder-weights';
import { add, gather, gemm, geluTanh, mul, rmsNorm, scale, silu } from '../graph/ops';
import { Val } from '../graph/tape';
import { causalSelfAttention, ForwardContext, LinearModule, LmArchitecture, param, ParamSpec, projection } from './architecture';

/**
 * The llama family (RMSNorm, rotary positions, gated MLP, grouped-query attention; Qwen2's q/k/v biases, Gemma's
 * scaled embeddings, offset norms and GELU gate) as a training graph over Hugging Face-named weights.
 */
export class DecoderArchitecture implements LmArchitecture {
  readonly family = 'llama' as const;
  readonly params: readonly ParamSpec[];
  readonly linearModules: readonly LinearModule[];

  constructor(readonly config: DecoderConfig, private readonly maxLength = config.max_position_embeddings) {
    this.params = decoderParamSpecs(config);
    const c = config;
    const D = c.hidden_size;
    const q = c.num_attention_heads * headDim(c);
    const kv = c.num_key_value_heads * headDim(c);
    const I = c.intermediate_size;
    const lin = (module: string, inFeatures: number, outFeatures: number): LinearModule => ({ module, inFeatures, outFeatures, layout: 'out-in' });
    this.linearModules = Array.from({ length: c.num_hidden_layers }, (_, l) => {
      const p = `model.layers.${l}`;
      return [
        lin(`${p}.self_attn.q_proj`, D, q),
        lin(`${p}.self_attn.k_proj`, D, kv),
        lin(`${p}.self_attn.v_proj`, D, kv),
        lin(`${p}.self_attn.o_proj`, q, D),
        lin(`${p}.mlp.gate_proj`, D, I),
        lin(`${p}.mlp.up_proj`, D, I),
        lin(`${p}.mlp.down_proj`, I, D),
      ];
    }).flat();
  }

  get vocabSize(): number {
    return this.config.vocab_size;
  }

  get contextLength(): number {
    return Math.min(this.maxLength, this.config.max_position_embeddings);
  }

  logits(ctx: ForwardContext, ids: Val): Val {
    const t = ctx.tape;
    const c = this.config;
    const { batch: B, length: T } = ctx;
    if (T > this.contextLength) throw new Error(`sequence length ${T} exceeds the context length ${this.contextLength}`);
    const D = c.hidden_size;
    const gemma = isGemma(c);
    const eps = c.rms_norm_eps;
    const p = (name: string): Val => param(ctx, name);
    const tables = ropeTables(c, T);
    const rotary = { cos: t.constant(tables.cos, [T, headDim(c)], 'rope_cos'), sin: t.constant(tables.sin, [T, headDim(c)], 'rope_sin') };
    const attention = { heads: c.num_attention_heads, kvHeads: c.num_key_value_heads, headDim: headDim(c), rotary };
    let x = t.reshape(gather(t, p('model.embed_tokens.weight'), ids), [B * T, D]);
    // Gemma multiplies embeddings by √hidden in the activation dtype (a float32 constant here).
    if (gemma) x = scale(t, x, Math.fround(Math.sqrt(D)));
    x = ctx.dropout(x);
    const act = (v: Val): Val => (c.hidden_act === 'silu' ? silu(t, v) : geluTanh(t, v));
    for (let l = 0; l < c.num_hidden_layers; l++) {
      const a = `model.layers.${l}.self_attn`;
      const m = `model.layers.${l}.mlp`;
      const bias = (proj: string): Val | undefined => (c.attention_bias ? p(`${a}.${proj}.bias`) : undefined);
      const h = rmsNorm(t, x, p(`model.layers.${l}.input_layernorm.weight`), eps, gemma);
      const q = projection(ctx, h, `${a}.q_proj`, 'out-in', bias('q_proj'));
      const k = projection(ctx, h, `${a}.k_proj`, 'out-in', bias('k_proj'));
      const v = projection(ctx, h, `${a}.v_proj`, 'out-in', bias('v_proj'));
      x = add(t, x, ctx.dropout(projection(ctx, causalSelfAttention(ctx, q, k, v, attention), `${a}.o_proj`, 'out-in')));
      const h2 = rmsNorm(t, x, p(`model.layers.${l}.post_attention_layernorm.weight`), eps, gemma);
      const gated = mul(t, act(projection(ctx, h2, `${m}.gate_proj`, 'out-in')), projection(ctx, h2, `${m}.up_proj`, 'out-in'));
      x = add(t, x, ctx.dropout(projection(ctx, gated, `${m}.down_proj`, 'out-in')));
    }
    const final = rmsNorm(t, x, p('model.norm.weight'), eps, gemma);
    return gemm(t, final, p(c.tie_word_embeddings ? 'model.embed_tokens.weight' : 'lm_head.weight'), { transB: true });
  }

  forwardFlopsPerToken(length: number): number {
    const c = this.config;
    const q = c.num_attention_heads * headDim(c);
    const kv = c.num_key_value_heads * headDim(c);
    const D = c.hidden_size;
    const perLayer = D * q + 2 * D * kv + q * D + 3 * D * c.intermediate_size;
    return 2 * (c.num_hidden_layers * perLayer + c.vocab_size * D) + 4 * length * q * c.num_hidden_layers;
  }
}
