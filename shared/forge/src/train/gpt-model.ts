import { flattenGptWeights, GPT_BLOCK_LAYOUT, GptBlockWeights, GptShape, GptWeights } from '../gpt/gpt-weights';
import { randomGptWeights } from '../gpt/reference-forward';
import { tf } from './tf-backend';
import {
  addPositions,
  causalMask,
  embeddingLookup,
  geluNew,
  groupedMatMul,
  layerNorm,
  linear,
  matMul2d,
  softmaxCrossEntropy,
  transpose2d,
} from './tf-ops';

export interface GptModelOptions {
  /** Dropout on embeddings, attention probabilities and residual branches while training (GPT-2: 0.1). */
  dropout?: number;
}

export interface GptParameter {
  /** Hugging Face GPT-2 name, e.g. `h.0.attn.c_attn.weight`; also the key of optimizer moments. */
  name: string;
  variable: tf.Variable;
  /** AdamW decays matrices (embeddings included) but not biases or LayerNorm parameters. */
  decay: boolean;
}

export interface ForwardOptions {
  /** Enables dropout (when the model has any). */
  training?: boolean;
  /** Seed for this call's dropout masks; makes a training step reproducible. */
  dropoutSeed?: number;
}

type BlockKey = keyof GptBlockWeights;
const BLOCK_LAYOUT = GPT_BLOCK_LAYOUT;

type BlockVariables = Record<BlockKey, tf.Variable>;

function checkedVariable(data: Float32Array, dims: number[], what: string): tf.Variable {
  const size = dims.reduce((a, b) => a * b, 1);
  if (data.length !== size) throw new Error(`${what}: expected ${size} values for [${dims}], got ${data.length}`);
  // tidy disposes the initial tensor; the variable keeps its own reference to the data.
  return tf.tidy(() => tf.variable(tf.tensor(data, dims, 'float32'), true));
}

/**
 * GPT-2 (pre-LN, fused QKV, causal attention, gelu_new, final LN, LM head tied to wte) as raw tf
 * variables that map one to one onto {@link GptWeights}. Await `ensureTfBackend()` before creating
 * one; call {@link dispose} when done.
 */
export class GptModel {
  readonly parameters: readonly GptParameter[];
  private readonly wte: tf.Variable;
  private readonly wpe: tf.Variable;
  private readonly blocks: BlockVariables[];
  private readonly lnFinalGain: tf.Variable;
  private readonly lnFinalBias: tf.Variable;
  private readonly dropout: number;

  private constructor(readonly shape: GptShape, weights: GptWeights, options: GptModelOptions) {
    const { dim: D, vocabSize: V, contextLength: C, heads } = shape;
    if (D % heads !== 0) throw new Error(`heads (${heads}) must divide dim (${D})`);
    if (weights.blocks.length !== shape.layers) throw new Error(`expected ${shape.layers} blocks, got ${weights.blocks.length}`);
    this.dropout = options.dropout ?? 0;
    if (this.dropout < 0 || this.dropout >= 1) throw new Error(`dropout must be in [0, 1), got ${this.dropout}`);
    const params: GptParameter[] = [];
    const add = (name: string, data: Float32Array, dims: number[]): tf.Variable => {
      const variable = checkedVariable(data, dims, name);
      params.push({ name, variable, decay: dims.length === 2 });
      return variable;
    };
    this.wte = add('wte', weights.tokenEmbedding, [V, D]);
    this.wpe = add('wpe', weights.positionEmbedding, [C, D]);
    this.blocks = weights.blocks.map((blk, l) => {
      const vars = {} as BlockVariables;
      for (const { key, hfName, dims } of BLOCK_LAYOUT) vars[key] = add(`h.${l}.${hfName}`, blk[key], dims(D));
      return vars;
    });
    this.lnFinalGain = add('ln_f.weight', weights.lnFinalGain, [D]);
    this.lnFinalBias = add('ln_f.bias', weights.lnFinalBias, [D]);
    this.parameters = params;
  }

  /** GPT-2 initialization (seeded). */
  static create(shape: Omit<GptShape, 'layerNormEps'> & { layerNormEps?: number }, seed = 0, options: GptModelOptions = {}): GptModel {
    const full: GptShape = { ...shape, layerNormEps: shape.layerNormEps ?? 1e-5 };
    return new GptModel(full, randomGptWeights(full, seed), options);
  }

  static fromGptWeights(weights: GptWeights, options: GptModelOptions = {}): GptModel {
    return new GptModel({ ...weights.shape }, weights, options);
  }

  toGptWeights(): GptWeights {
    const read = (v: tf.Variable): Float32Array => new Float32Array(v.dataSync() as Float32Array);
    return {
      shape: { ...this.shape },
      tokenEmbedding: read(this.wte),
      positionEmbedding: read(this.wpe),
      blocks: this.blocks.map((vars) => {
        const blk = {} as GptBlockWeights;
        for (const { key } of BLOCK_LAYOUT) blk[key] = read(vars[key]);
        return blk;
      }),
      lnFinalGain: read(this.lnFinalGain),
      lnFinalBias: read(this.lnFinalBias),
    };
  }

  /** Overwrites every parameter with `weights` (same shape required). */
  assignGptWeights(weights: GptWeights): void {
    const other = GptModel.flatten(weights);
    for (const p of this.parameters) {
      const data = other.get(p.name);
      if (!data || data.length !== p.variable.size) throw new Error(`weights do not match parameter ${p.name}`);
      tf.tidy(() => p.variable.assign(tf.tensor(data, p.variable.shape, 'float32')));
    }
  }

  /** Weights keyed by parameter name (views, not copies). */
  static flatten(weights: GptWeights): Map<string, Float32Array> {
    return flattenGptWeights(weights);
  }

  parameterCount(): number {
    return this.parameters.reduce((n, p) => n + p.variable.size, 0);
  }

  /** Final hidden states after ln_f, [B·T, D], for `ids` [B, T] int32. */
  hiddenStates(ids: tf.Tensor2D, options: ForwardOptions = {}): tf.Tensor2D {
    return tf.tidy(() => {
      const [B, T] = ids.shape;
      const { dim: D, heads: H, contextLength, layerNormEps: eps } = this.shape;
      if (T > contextLength) throw new Error(`sequence length ${T} exceeds contextLength ${contextLength}`);
      const hd = D / H;
      const N = B * T;
      let dropSeed = options.dropoutSeed ?? 0;
      const rate = options.training ? this.dropout : 0;
      const drop = (t: tf.Tensor): tf.Tensor => (rate > 0 ? tf.dropout(t, rate, undefined, dropSeed++) : t);

      const tok = embeddingLookup(this.wte as tf.Tensor2D, tf.reshape(tf.cast(ids, 'int32'), [N]) as tf.Tensor1D);
      const pos = tf.slice(this.wpe, [0, 0], [T, D]);
      let x = drop(tf.reshape(addPositions(tf.reshape(tok, [B, T, D]), pos), [N, D]));
      // Attention runs with the (batch, head) group axis G last, the layout groupedMatMul wants.
      const G = B * H;
      const mask = tf.reshape(causalMask(T), [T, 1, T]);
      const split4 = (t: tf.Tensor): tf.Tensor => tf.reshape(t, [B, T, H, hd]);

      for (const blk of this.blocks) {
        const h = layerNorm(x, blk.ln1Gain, blk.ln1Bias, eps);
        const [q, k, v] = tf.split(linear(h, blk.attnQkvW, blk.attnQkvB), 3, 1);
        // The 1/sqrt(hd) score scale is applied to q, the smaller tensor.
        const qA = tf.reshape(tf.transpose(split4(tf.mul(q, 1 / Math.sqrt(hd))), [1, 3, 0, 2]), [T, hd, G]);
        const kB = tf.reshape(tf.transpose(split4(k), [3, 0, 2, 1]), [hd, G, T]);
        const probs = drop(tf.softmax(tf.add(groupedMatMul(qA, kB), mask))); // [Tq, G, Tk]
        const vB = tf.reshape(tf.transpose(split4(v), [1, 0, 2, 3]), [T, G, hd]);
        const heads = groupedMatMul(tf.transpose(probs, [0, 2, 1]), vB); // [T, G, hd] = [T, B, H, hd]
        const merged = tf.reshape(tf.transpose(tf.reshape(heads, [T, B, H, hd]), [1, 0, 2, 3]), [N, D]);
        x = tf.add(x, drop(linear(merged, blk.attnProjW, blk.attnProjB)));
        const h2 = layerNorm(x, blk.ln2Gain, blk.ln2Bias, eps);
        const fc = geluNew(linear(h2, blk.mlpFcW, blk.mlpFcB));
        x = tf.add(x, drop(linear(fc, blk.mlpProjW, blk.mlpProjB)));
      }
      return layerNorm(x, this.lnFinalGain, this.lnFinalBias, eps) as tf.Tensor2D;
    });
  }

  /** Logits [B, T, V] for `ids` [B, T] int32. */
  logits(ids: tf.Tensor2D, options: ForwardOptions = {}): tf.Tensor3D {
    return tf.tidy(() => {
      const [B, T] = ids.shape;
      const flat = matMul2d(this.hiddenStates(ids, options), transpose2d(this.wte));
      return tf.reshape(flat, [B, T, this.shape.vocabSize]) as tf.Tensor3D;
    });
  }

  /** Mean next-token cross-entropy (nats) of `targets` [B, T] given `ids` [B, T]. */
  loss(ids: tf.Tensor2D, targets: tf.Tensor2D, options: ForwardOptions = {}): tf.Scalar {
    return tf.tidy(() => {
      const logits = matMul2d(this.hiddenStates(ids, options), transpose2d(this.wte));
      return softmaxCrossEntropy(logits, tf.reshape(tf.cast(targets, 'int32'), [-1]));
    });
  }

  dispose(): void {
    for (const p of this.parameters) p.variable.dispose();
  }
}
