import type { LmEngine } from './engine/engine-types';
import { OrtLmEngine } from './engine/ort-engine';
import type { ModelFamily } from './model-family';
import type { LmArchitecture, ParamSpec } from './models/architecture';
import { initLoraAdapters, loraParamSpecs, loraScale } from './models/lora';
import type { TrainLmOptions } from './train-types';

/** Builds the engine for a model's graph parameters (all of them) and the trainable subset. */
export type EngineFactory = (arch: LmArchitecture, specs: ParamSpec[], trainable: Set<string>, values: Map<string, Float32Array>) => LmEngine;

export interface TrainingSetup<W> {
  /** The base weights the run starts from (fresh or given). */
  weights: W;
  arch: LmArchitecture;
  /** Base parameters, then LoRA adapters. */
  specs: ParamSpec[];
  /** Copies of every parameter's values, by name (the trainer updates them in place). */
  values: Map<string, Float32Array>;
  trainable: Set<string>;
  adapterNames: string[];
  engine: LmEngine;
}

function trainableNames(base: readonly ParamSpec[], options: TrainLmOptions<unknown, unknown>): Set<string> {
  const { trainable, lora } = options;
  if (trainable === undefined) return new Set(lora ? [] : base.map((p) => p.name));
  const chosen = typeof trainable === 'function' ? base.filter((p) => trainable(p.name)).map((p) => p.name) : [...trainable];
  const known = new Set(base.map((p) => p.name));
  const unknown = chosen.filter((n) => !known.has(n));
  if (unknown.length) throw new Error(`trainable names no parameter: ${unknown.slice(0, 5).join(', ')}`);
  return new Set(chosen);
}

/** Initial weights, architecture, LoRA adapters, the trainable set and the engine for a run. */
export async function prepareTraining<W, S>(family: ModelFamily<W, S>, options: TrainLmOptions<W, S>, makeEngine?: EngineFactory): Promise<TrainingSetup<W>> {
  let weights: W;
  if (options.initialWeights) {
    weights = options.initialWeights;
    if (options.model) family.checkSpec(options.model, weights);
  } else if (options.model) {
    weights = family.init(options.model, options.seed ?? 0);
  } else {
    throw new Error('training needs options.model or options.initialWeights');
  }
  const arch = family.architecture(weights);
  const flat = family.flatten(weights);
  const values = new Map<string, Float32Array>(arch.params.map((p) => [p.name, new Float32Array(flat.get(p.name)!)]));
  const trainable = trainableNames(arch.params, options as TrainLmOptions<unknown, unknown>);
  const specs = [...arch.params];
  const adapterNames: string[] = [];
  if (options.lora) {
    for (const [name, data] of initLoraAdapters(arch, options.lora, options.seed ?? 0)) {
      values.set(name, data);
      adapterNames.push(name);
      trainable.add(name);
    }
    specs.push(...loraParamSpecs(arch, options.lora));
  }
  if (trainable.size === 0) throw new Error('no parameter is trainable');
  const dropout = options.dropout ?? 0;
  if (dropout < 0 || dropout >= 1) throw new Error(`dropout must be in [0, 1), got ${dropout}`);
  const engine = makeEngine
    ? makeEngine(arch, specs, trainable, values)
    : new OrtLmEngine({ arch, params: specs, trainable, dropout, threads: options.threads ?? 1, loraScale: options.lora ? loraScale(options.lora) : 1 });
  return { weights, arch, specs, values, trainable, adapterNames, engine };
}
