import * as path from 'path';

/**
 * transformers.js (the peer a Node user would pick) on the same model directory, fed token ids directly so
 * tokenization never enters a comparison. Loaded lazily: it is a dev dependency of the tests and benchmarks.
 */
type Transformers = typeof import('@huggingface/transformers');
let loaded: Transformers | undefined;

async function transformers(): Promise<Transformers> {
  if (!loaded) {
    loaded = await import('@huggingface/transformers');
    loaded.env.allowRemoteModels = false;
    loaded.env.allowLocalModels = true;
  }
  return loaded;
}

export interface PeerModel {
  /** Greedy continuation of `ids` (new tokens only), stopping at EOS like generate() does. */
  greedy(ids: number[], maxNewTokens: number): Promise<number[]>;
  /** log p(ids[t] | ids[< t]) for t ≥ 1, float64 log-softmax of the peer's logits. */
  logprobs(ids: number[]): Promise<number[]>;
  dispose(): Promise<void>;
}

export interface PeerOptions {
  /** transformers.js dtype: fp32 → model.onnx, fp16 → model_fp16.onnx, q8 → model_quantized.onnx. */
  dtype?: 'fp32' | 'fp16' | 'q8';
  /** '' for the Optimum layout (graph at the root); default 'onnx' (transformers.js layout). */
  subfolder?: string;
  /** Threads for onnxruntime (default 1, as the tests' engines). */
  threads?: number;
}

export async function loadPeer(dir: string, options: PeerOptions = {}): Promise<PeerModel> {
  const tjs = await transformers();
  const model = await tjs.AutoModelForCausalLM.from_pretrained(path.resolve(dir), {
    dtype: options.dtype ?? 'fp32',
    local_files_only: true,
    subfolder: options.subfolder ?? 'onnx',
    session_options: { intraOpNumThreads: options.threads ?? 1, interOpNumThreads: 1 },
  } as never);
  const tensors = (ids: number[]) => ({
    input_ids: new tjs.Tensor('int64', BigInt64Array.from(ids, (i) => BigInt(i)), [1, ids.length]),
    attention_mask: new tjs.Tensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length]),
  });
  const callable = model as unknown as {
    generate(args: object): Promise<{ tolist(): bigint[][] }>;
    (args: object): Promise<{ logits: { data: Float32Array; dims: number[] } }>;
    dispose(): Promise<unknown>;
  };
  return {
    async greedy(ids, maxNewTokens) {
      const out = await callable.generate({ ...tensors(ids), max_new_tokens: maxNewTokens, do_sample: false });
      return out.tolist()[0].slice(ids.length).map(Number);
    },
    async logprobs(ids) {
      const { logits } = await callable(tensors(ids));
      const vocab = logits.dims[2];
      const out: number[] = [];
      for (let t = 1; t < ids.length; t++) {
        const row = (t - 1) * vocab;
        let max = -Infinity;
        for (let v = 0; v < vocab; v++) max = Math.max(max, logits.data[row + v]);
        let sum = 0;
        for (let v = 0; v < vocab; v++) sum += Math.exp(logits.data[row + v] - max);
        out.push(logits.data[row + ids[t]] - max - Math.log(sum));
      }
      return out;
    },
    async dispose() {
      await callable.dispose();
    },
  };
}
