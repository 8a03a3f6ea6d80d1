import * as ort from 'onnxruntime-node';
import { SessionConfig } from '../config';
import { RuntimeError } from '../errors';
import { FeedTensor, InferenceBackend, ModelSignature, StoredTensor, TensorInfo } from '../model-runner/model-runner';

export interface OpenedSession {
  session: OnnxSession;
  /** The providers the session was created with, after fallbacks. */
  executionProviders: string[];
  /** Human-readable fallbacks taken (e.g. CUDA unavailable → CPU), for the caller to log. */
  warnings: string[];
}

function toTensorInfo(meta: ort.InferenceSession.ValueMetadata): TensorInfo {
  return meta.isTensor ? { name: meta.name, type: meta.type, shape: [...meta.shape] } : { name: meta.name, type: 'non-tensor', shape: [] };
}

/** float16 data as raw bits (onnxruntime hands out a Float16Array where the platform has one). */
function float16Bits(data: unknown): Uint16Array {
  const view = data as ArrayBufferView;
  return data instanceof Uint16Array ? data : new Uint16Array(view.buffer, view.byteOffset, view.byteLength / 2);
}

/**
 * The one place onnxruntime-node is touched. `run` blocks the calling thread for the duration of the
 * forward pass, so the engine only ever calls it inside an executor worker (or in-process for benchmarks).
 */
export class OnnxSession implements InferenceBackend {
  readonly signature: ModelSignature;

  private constructor(private readonly session: ort.InferenceSession) {
    this.signature = { inputs: session.inputMetadata.map(toTensorInfo), outputs: session.outputMetadata.map(toTensorInfo) };
  }

  /**
   * Creates a session trying the configured execution providers in order. A provider that is not
   * compiled into this onnxruntime build, or that fails to initialise (CUDA libraries missing), is
   * dropped with a warning; CPU is always the last resort. Failing on CPU alone means the model file
   * itself is bad.
   */
  static async open(modelPath: string, config: SessionConfig, graph?: Uint8Array): Promise<OpenedSession> {
    const warnings: string[] = [];
    const known = new Set(ort.listSupportedBackends().map((b) => b.name));
    let providers = [...new Set([...config.executionProviders.map((p) => p.toLowerCase()), 'cpu'])];
    for (const provider of providers) {
      if (!known.has(provider)) warnings.push(`execution provider "${provider}" is not available in this onnxruntime-node build; skipped`);
    }
    providers = providers.filter((p) => known.has(p));
    const options: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: config.graphOptimizationLevel };
    if (config.intraOpNumThreads !== undefined) options.intraOpNumThreads = config.intraOpNumThreads;
    if (config.interOpNumThreads !== undefined) options.interOpNumThreads = config.interOpNumThreads;
    for (;;) {
      try {
        // `graph`: an in-memory rewrite of the file at modelPath (named after it in errors).
        const options_ = { ...options, executionProviders: providers };
        const session = graph ? await ort.InferenceSession.create(graph, options_) : await ort.InferenceSession.create(modelPath, options_);
        return { session: new OnnxSession(session), executionProviders: providers, warnings };
      } catch (error) {
        const message = (error as Error).message ?? String(error);
        const accelerator = providers.find((p) => p !== 'cpu');
        if (accelerator === undefined) {
          throw new RuntimeError('MODEL_FILE_INVALID', `onnxruntime cannot load ${modelPath}: ${message.split('\n')[0]}`, { modelPath });
        }
        warnings.push(`execution provider "${accelerator}" failed to initialise (${message.split('\n')[0]}); falling back to ${providers.filter((p) => p !== accelerator).join(', ')}`);
        providers = providers.filter((p) => p !== accelerator);
      }
    }
  }

  async run(feeds: Record<string, FeedTensor>, fetches: string[]): Promise<Record<string, StoredTensor>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, feed] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor(feed.type, feed.data, feed.dims);
    const results = await this.session.run(ortFeeds, fetches);
    const out: Record<string, StoredTensor> = {};
    for (const name of fetches) {
      const tensor = results[name] as ort.Tensor;
      const dims = [...tensor.dims];
      if (tensor.type === 'float32') out[name] = { type: 'float32', data: tensor.data as Float32Array, dims };
      else if (tensor.type === 'float16') out[name] = { type: 'float16', data: float16Bits(tensor.data), dims };
      else throw new RuntimeError('MODEL_SIGNATURE_INVALID', `output "${name}" is ${tensor.type}, expected float32 or float16`);
    }
    return out;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
