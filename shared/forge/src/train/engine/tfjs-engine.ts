import { gptWeightsFromFlat } from '../../gpt/gpt-weights';
import { GptModel } from '../gpt-model';
import type { Gpt2Architecture } from '../models/gpt2-graph';
import type { LmArchitecture, ParamSpec } from '../models/architecture';
import { ensureTfBackend, tf } from '../tf-backend';
import type { LmBatch, LmEngine, ParamValues, StepResult } from './engine-types';

/**
 * The forge's former engine: the tfjs GptModel on the wasm backend (XNNPACK, one thread). Kept so that the
 * forge benchmark can measure the onnxruntime engine against it in the same run; GPT-2 only, cross-entropy only.
 */
export class TfjsGptEngine implements LmEngine {
  readonly name = 'tfjs-wasm';
  private model?: GptModel;

  constructor(private readonly arch: LmArchitecture, private readonly specs: readonly ParamSpec[], private readonly trainable: ReadonlySet<string>, private readonly dropout: number) {
    if (arch.family !== 'gpt2') throw new Error('the tfjs engine trains GPT-2 models only');
    if (specs.length !== arch.params.length) throw new Error('the tfjs engine does not train LoRA adapters');
  }

  private async sync(values: ParamValues): Promise<GptModel> {
    await ensureTfBackend();
    if (!this.model) {
      const shape = (this.arch as Gpt2Architecture).shape;
      this.model = GptModel.fromGptWeights(gptWeightsFromFlat(shape, values), { dropout: this.dropout });
    } else {
      for (const p of this.model.parameters) tf.tidy(() => p.variable.assign(tf.tensor(values.get(p.name)!, p.variable.shape, 'float32')));
    }
    return this.model;
  }

  async lossAndGrads(values: ParamValues, batch: LmBatch, dropoutSeed: number): Promise<StepResult> {
    const model = await this.sync(values);
    const params = model.parameters.filter((p) => this.trainable.has(p.name));
    const grads = new Map<string, Float32Array>();
    const loss = tf.tidy(() => {
      const ids = tf.tensor2d(batch.inputs, [batch.count, batch.length], 'int32');
      const targets = tf.tensor2d(batch.targets!, [batch.count, batch.length], 'int32');
      const result = tf.variableGrads(() => model.loss(ids, targets, { training: true, dropoutSeed }), params.map((p) => p.variable));
      for (const p of params) grads.set(p.name, new Float32Array(result.grads[p.variable.name].dataSync() as Float32Array));
      return result.value.dataSync()[0];
    });
    return { loss, grads };
  }

  customStep(): Promise<StepResult> {
    return Promise.reject(new Error('the tfjs engine supports the built-in cross-entropy only'));
  }

  async logits(values: ParamValues, batch: LmBatch): Promise<Float32Array> {
    const model = await this.sync(values);
    return tf.tidy(() => new Float32Array(model.logits(tf.tensor2d(batch.inputs, [batch.count, batch.length], 'int32')).dataSync() as Float32Array));
  }

  async tokenLosses(values: ParamValues, batch: LmBatch): Promise<Float32Array> {
    const logits = await this.logits(values, batch);
    const V = this.arch.vocabSize;
    const out = new Float32Array(batch.count * batch.length);
    for (let r = 0; r < out.length; r++) {
      let max = -Infinity;
      for (let v = 0; v < V; v++) max = Math.max(max, logits[r * V + v]);
      let sum = 0;
      for (let v = 0; v < V; v++) sum += Math.exp(logits[r * V + v] - max);
      out[r] = Math.log(sum) + max - logits[r * V + batch.targets![r]];
    }
    return out;
  }

  async dispose(): Promise<void> {
    this.model?.dispose();
    this.model = undefined;
  }
}
