import { z } from 'zod/v4';
import { isValidName, keyProblem } from './keys';
import { ManifestSignatureSchema } from './signing';

/** Files every model version must have, besides one graph file (see {@link isModelGraphFile}). */
export const REQUIRED_MODEL_FILES = ['config.json'] as const;

/**
 * A model's ONNX graph, in either export layout: `model.onnx` at the root (Optimum), or under `onnx/`
 * (transformers.js), in any weight variant (`model_fp16.onnx`, `model_quantized.onnx`, ...), or an older
 * Optimum merged decoder (`decoder_model_merged.onnx`).
 */
export function isModelGraphFile(relativePath: string): boolean {
  return /^(onnx\/)?(model|decoder_model_merged)(_[a-z0-9]+)?\.onnx$/.test(relativePath);
}
/** Usual companions; optional because heads (probe, Q_D, DPH) have no tokenizer of their own. */
export const CONVENTIONAL_MODEL_FILES = ['tokenizer.json', 'generation_config.json'] as const;
export const MANIFEST_FILE = 'manifest.json';
export const MODELS_PREFIX = 'models/';
/** Reserved: resolves to the newest version, so no version may be called that. */
export const LATEST = 'latest';

const name = z.string().refine(isValidName, { message: 'must match ^[a-z0-9][a-z0-9._-]{0,63}$' });
const sha256 = z.string().regex(/^[0-9a-f]{64}$/);

export const ModelFileSchema = z.object({
  /** Path inside the version directory, `/`-separated (e.g. `model.onnx`, `onnx/model_data`). */
  path: z.string().refine((p) => keyProblem(p) === null, { message: 'must be a valid relative key' }),
  size: z.number().int().nonnegative(),
  sha256,
});

/** Known kinds; others are allowed so new pipelines need no change here. */
export type ProvenanceKind = 'forged' | 'fine-tuned' | 'uploaded' | 'trained-guide' | 'trained-head' | (string & {});

/** Extra fields (dataset keys, seeds, ...) are kept as they are. */
export const ProvenanceSchema = z.looseObject({
  kind: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/) as z.ZodType<ProvenanceKind>,
  parent: z.object({ name, version: name }).optional(),
  trainingReport: z.record(z.string(), z.unknown()).optional(),
});

export const ModelManifestSchema = z.object({
  schemaVersion: z.literal(1),
  name,
  version: name,
  createdAt: z.iso.datetime(),
  files: z.array(ModelFileSchema).min(1),
  provenance: ProvenanceSchema,
  metadata: z.record(z.string(), z.unknown()),
  /** HMAC of everything else (signing.ts); required whenever the platform has a signing key. */
  signature: ManifestSignatureSchema.optional(),
});

export type ModelFile = z.infer<typeof ModelFileSchema>;
export type Provenance = z.infer<typeof ProvenanceSchema>;
export type ModelManifest = z.infer<typeof ModelManifestSchema>;

export function versionPrefix(modelName: string, version: string): string {
  return `${MODELS_PREFIX}${modelName}/${version}/`;
}

export function manifestKey(modelName: string, version: string): string {
  return `${versionPrefix(modelName, version)}${MANIFEST_FILE}`;
}

/** `{name, version}` when `key` is a published manifest (`models/<name>/<version>/manifest.json`). */
export function parseManifestKey(key: string): { name: string; version: string } | null {
  const parts = key.split('/');
  if (parts.length !== 4 || `${parts[0]}/` !== MODELS_PREFIX || parts[3] !== MANIFEST_FILE) return null;
  const [, modelName, version] = parts;
  return isValidName(modelName) && isValidName(version) ? { name: modelName, version } : null;
}

/**
 * Orders versions so that numbers compare as numbers (`1.9.0` < `1.10.0`, and the default
 * timestamp ids sort by time); the newest is last. Non-digit runs compare as plain strings.
 */
export function compareVersions(a: string, b: string): number {
  const runsA = a.match(/\d+|\D+/g) ?? [];
  const runsB = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(runsA.length, runsB.length); i++) {
    const x = runsA[i];
    const y = runsB[i];
    if (x === y) continue;
    const digits = /^\d/.test(x) && /^\d/.test(y);
    if (digits) {
      const xs = x.replace(/^0+(?=\d)/, '');
      const ys = y.replace(/^0+(?=\d)/, '');
      if (xs.length !== ys.length) return xs.length - ys.length;
      if (xs !== ys) return xs < ys ? -1 : 1;
      return x.length - y.length;
    }
    return x < y ? -1 : 1;
  }
  return runsA.length - runsB.length;
}

/** A version id that sorts by creation time: `YYYYMMDD-HHMMSS-mmm-<4 hex>` (UTC). */
export function timestampVersion(now: Date, suffix: string): string {
  if (!/^[0-9a-f]{4}$/.test(suffix)) throw new Error('timestampVersion suffix must be 4 lowercase hex digits');
  const iso = now.toISOString(); // 2025-03-14T15:30:12.123Z
  const date = iso.slice(0, 10).replace(/-/g, '');
  const time = iso.slice(11, 19).replace(/:/g, '');
  return `${date}-${time}-${iso.slice(20, 23)}-${suffix}`;
}
