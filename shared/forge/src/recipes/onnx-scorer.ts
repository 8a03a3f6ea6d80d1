import { readFile } from 'fs/promises';
import type * as Ort from 'onnxruntime-node';
import * as path from 'path';
import { GPT_ONNX_NAMES } from '../onnx/gpt-export';

/** One sequence to score: the model conditions on `context` and scores every token of `continuation`. */
export interface ScoreRequest {
  /** BOS + prompt tokens (at least BOS). */
  context: readonly number[];
  continuation: readonly number[];
}

/**
 * Teacher-forced scoring of a GPT model directory (forge's ONNX export) with onnxruntime-node: one full
 * forward pass per batch, rows right-padded (causal attention means padding after a row's last token cannot
 * change that row's logits), past inputs fed as empty [B, H, 0, hd] tensors when the export has a KV cache.
 * Returns natural-log probabilities per continuation token, log-softmax in float64.
 * (@assay/runtime offers batched scoring for services; this is the recipe's self-contained yardstick.)
 * onnxruntime-node is loaded on first use, so importing @assay/forge does not load the native binding.
 */
export class OnnxSequenceScorer {
  private constructor(
    private readonly ort: typeof Ort,
    private readonly session: Ort.InferenceSession,
    readonly vocabSize: number,
    readonly contextLength: number,
    private readonly pastShape: { layers: number; heads: number; headDim: number } | null,
    readonly padTokenId: number,
  ) {}

  static async open(modelDir: string, options: { threads?: number } = {}): Promise<OnnxSequenceScorer> {
    const ort = (await import('onnxruntime-node')) as typeof Ort;
    const config = JSON.parse(await readFile(path.join(modelDir, 'config.json'), 'utf8')) as Record<string, unknown>;
    const session = await ort.InferenceSession.create(path.join(modelDir, 'model.onnx'), {
      graphOptimizationLevel: 'all',
      ...(options.threads ? { intraOpNumThreads: options.threads } : {}),
    });
    const layers = Number(config.n_layer);
    const heads = Number(config.n_head);
    const withPast = session.inputNames.includes(GPT_ONNX_NAMES.pastKey(0));
    return new OnnxSequenceScorer(
      ort,
      session,
      Number(config.vocab_size),
      Number(config.n_positions),
      withPast ? { layers, heads, headDim: Number(config.n_embd) / heads } : null,
      Number(config.pad_token_id ?? config.eos_token_id ?? 0),
    );
  }

  /** Per-token ln p of each request's continuation, in request order; batches group similar lengths. */
  async score(requests: readonly ScoreRequest[], batchSize = 16): Promise<Float64Array[]> {
    const out: Float64Array[] = new Array(requests.length);
    const order = requests.map((_, i) => i).sort((a, b) => length(requests[a]) - length(requests[b]));
    for (let start = 0; start < order.length; start += batchSize) {
      const ids = order.slice(start, start + batchSize);
      const scored = await this.scoreBatch(ids.map((i) => requests[i]));
      ids.forEach((i, b) => (out[i] = scored[b]));
    }
    return out;
  }

  private async scoreBatch(batch: readonly ScoreRequest[]): Promise<Float64Array[]> {
    const B = batch.length;
    const S = Math.max(...batch.map(length));
    if (S > this.contextLength) throw new Error(`sequence of ${S} tokens exceeds the model's context of ${this.contextLength}`);
    const inputIds = new BigInt64Array(B * S).fill(BigInt(this.padTokenId));
    const mask = new BigInt64Array(B * S);
    const positions = new BigInt64Array(B * S);
    batch.forEach((r, b) => {
      if (r.context.length < 1) throw new Error('a score request needs at least one context token (BOS)');
      const seq = [...r.context, ...r.continuation];
      seq.forEach((id, t) => {
        inputIds[b * S + t] = BigInt(id);
        mask[b * S + t] = 1n;
        positions[b * S + t] = BigInt(t);
      });
    });
    const { Tensor } = this.ort;
    const feeds: Record<string, Ort.Tensor> = {
      [GPT_ONNX_NAMES.inputIds]: new Tensor('int64', inputIds, [B, S]),
      [GPT_ONNX_NAMES.attentionMask]: new Tensor('int64', mask, [B, S]),
      [GPT_ONNX_NAMES.positionIds]: new Tensor('int64', positions, [B, S]),
    };
    if (this.pastShape) {
      const { layers, heads, headDim } = this.pastShape;
      const empty = new Tensor('float32', new Float32Array(0), [B, heads, 0, headDim]);
      for (let l = 0; l < layers; l++) {
        feeds[GPT_ONNX_NAMES.pastKey(l)] = empty;
        feeds[GPT_ONNX_NAMES.pastValue(l)] = empty;
      }
    }
    const result = await this.session.run(feeds, [GPT_ONNX_NAMES.logits]);
    const logits = result[GPT_ONNX_NAMES.logits].data as Float32Array;
    const V = this.vocabSize;
    return batch.map((r, b) => {
      const lp = new Float64Array(r.continuation.length);
      for (let j = 0; j < r.continuation.length; j++) {
        // Logits at position t − 1 predict token t.
        const row = (b * S + r.context.length + j - 1) * V;
        lp[j] = logits[row + r.continuation[j]] - logSumExp(logits, row, V);
      }
      return lp;
    });
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

function length(r: ScoreRequest): number {
  return r.context.length + r.continuation.length;
}

function logSumExp(values: Float32Array, offset: number, n: number): number {
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (values[offset + i] > max) max = values[offset + i];
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.exp(values[offset + i] - max);
  return max + Math.log(sum);
}
