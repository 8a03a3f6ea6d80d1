import { SeededRng } from '../rng';
import type { LinearModule, LmArchitecture, ParamSpec } from './architecture';

/** LoRA (Hu et al. 2021) as PEFT stores it: A [r, in], B [out, r], output scale alpha / r. */
export interface LoraConfig {
  rank: number;
  alpha: number;
  /** Module name suffixes, as PEFT's target_modules (e.g. q_proj, v_proj; c_attn for GPT-2). */
  targets: string[];
}

/** PEFT's default targets: q_proj and v_proj for the llama family, c_attn for GPT-2. */
export function defaultLoraTargets(family: LmArchitecture['family']): string[] {
  return family === 'gpt2' ? ['c_attn'] : ['q_proj', 'v_proj'];
}

export const loraScale = (lora: LoraConfig): number => lora.alpha / lora.rank;

/** The linear modules a LoRA config adapts (matched by name suffix); throws when a target matches nothing. */
export function loraModules(arch: LmArchitecture, lora: LoraConfig): LinearModule[] {
  if (!Number.isInteger(lora.rank) || lora.rank < 1) throw new Error(`LoRA rank must be a positive integer, got ${lora.rank}`);
  if (!(lora.alpha > 0)) throw new Error(`LoRA alpha must be positive, got ${lora.alpha}`);
  if (lora.targets.length === 0) throw new Error('LoRA needs at least one target module');
  const matches = (m: LinearModule, target: string): boolean => m.module === target || m.module.endsWith(`.${target}`);
  for (const target of lora.targets) {
    if (!arch.linearModules.some((m) => matches(m, target))) {
      const names = [...new Set(arch.linearModules.map((m) => m.module.split('.').pop()))];
      throw new Error(`LoRA target ${target} matches no linear module of this ${arch.family} model (modules: ${names.join(', ')})`);
    }
  }
  return arch.linearModules.filter((m) => lora.targets.some((target) => matches(m, target)));
}

export function loraParamSpecs(arch: LmArchitecture, lora: LoraConfig): ParamSpec[] {
  return loraModules(arch, lora).flatMap((m) => [
    { name: `${m.module}.lora_A.weight`, shape: [lora.rank, m.inFeatures], decay: true },
    { name: `${m.module}.lora_B.weight`, shape: [m.outFeatures, lora.rank], decay: true },
  ]);
}

/** PEFT's initialisation: A ~ U(−1/√in, 1/√in) (kaiming-uniform with a = √5), B = 0, so the adapter starts as a no-op. */
export function initLoraAdapters(arch: LmArchitecture, lora: LoraConfig, seed: number): Map<string, Float32Array> {
  const rng = new SeededRng(seed ^ 0x10a5eed);
  const out = new Map<string, Float32Array>();
  for (const m of loraModules(arch, lora)) {
    const a = new Float32Array(lora.rank * m.inFeatures);
    const bound = 1 / Math.sqrt(m.inFeatures);
    for (let i = 0; i < a.length; i++) a[i] = (2 * rng.next() - 1) * bound;
    out.set(`${m.module}.lora_A.weight`, a);
    out.set(`${m.module}.lora_B.weight`, new Float32Array(m.outFeatures * lora.rank));
  }
  return out;
}

/**
 * Base weights with the adapters folded in: W + s·B·A for [out, in] weights, W + s·(B·A)ᵀ for GPT-2's [in, out].
 * Returns new arrays for adapted modules and the base arrays (shared) for the rest.
 */
export function mergeLora(arch: LmArchitecture, lora: LoraConfig, base: ReadonlyMap<string, Float32Array>, adapters: ReadonlyMap<string, Float32Array>): Map<string, Float32Array> {
  const out = new Map(base);
  const s = loraScale(lora);
  const r = lora.rank;
  for (const m of loraModules(arch, lora)) {
    const a = adapters.get(`${m.module}.lora_A.weight`);
    const b = adapters.get(`${m.module}.lora_B.weight`);
    const w = base.get(`${m.module}.weight`);
    if (!a || !b || !w) throw new Error(`missing LoRA adapter or base weight for ${m.module}`);
    const merged = new Float32Array(w);
    const { inFeatures: I, outFeatures: O } = m;
    for (let o = 0; o < O; o++) {
      for (let i = 0; i < I; i++) {
        let acc = 0;
        for (let k = 0; k < r; k++) acc += b[o * r + k] * a[k * I + i];
        merged[m.layout === 'out-in' ? o * I + i : i * O + o] += s * acc;
      }
    }
    out.set(`${m.module}.weight`, merged);
  }
  return out;
}
