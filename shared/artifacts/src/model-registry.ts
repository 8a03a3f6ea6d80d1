import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Readable } from 'stream';
import { AssayError, splitModelRef } from '@assay/contracts';
import type { LocalArtifactCache } from './cache';
import { ConflictError, IntegrityError, InvalidKeyError, NotFoundError } from './errors';
import { readAll, sha256Hex } from './integrity';
import { assertValidName, keyProblem } from './keys';
import {
  LATEST,
  MANIFEST_FILE,
  MODELS_PREFIX,
  ModelFile,
  ModelManifest,
  ModelManifestSchema,
  Provenance,
  ProvenanceSchema,
  REQUIRED_MODEL_FILES,
  isModelGraphFile,
  compareVersions,
  manifestKey,
  parseManifestKey,
  timestampVersion,
  versionPrefix,
} from './manifest';
import type { ObjectStore } from './object-store';

export interface PushOptions {
  name: string;
  /** Default: a timestamp id that sorts after earlier pushes (see timestampVersion). */
  version?: string;
  provenance: Provenance;
  metadata?: Record<string, unknown>;
}

/** A model reference resolved to a published version. */
export interface ModelVersionRef {
  name: string;
  version: string;
  /** `name@version`. */
  ref: string;
}

/** A resolved model with its manifest (the files it has, their digests, provenance). */
export interface ResolvedModel extends ModelVersionRef {
  manifest: ModelManifest;
}

export interface RegistryOptions {
  /**
   * How long the newest version of a name, once listed, answers `name` / `name@latest` without listing again
   * (0: list on every resolution). Resolving "latest" is an object-store LIST: on a serving path that is one
   * round trip per request to a store every replica shares (with the embedded S3 server it cost more CPU than
   * the request's own decoding). A version pushed by another process is therefore seen within this time; one
   * pushed or deleted through this registry at once. Concurrent resolutions of a name share one listing.
   */
  latestTtlMs?: number;
}

export interface ModelSummary {
  name: string;
  latestVersion: string;
  versionCount: number;
}

/**
 * Models in the object store, as `models/<name>/<version>/` holding the Optimum ONNX export files
 * plus our `manifest.json` (sizes and sha256 of every file, provenance, metadata).
 *
 * The manifest is written last and deleted first: a version exists exactly when its manifest does,
 * so a push that died half-way is invisible (and may be retried under the same version). There is
 * no conditional PUT on s3rver, so two pushes racing for one version both succeed and the last
 * manifest wins; versions from the default generator never collide.
 */
export class ModelRegistry {
  /** `name` → its newest version as last listed, and until when that answer may be reused (see latestTtlMs). */
  private readonly latest = new Map<string, { version: Promise<string>; expiresAt: number }>();

  constructor(
    private readonly store: ObjectStore,
    private readonly cache: LocalArtifactCache,
    private readonly options: RegistryOptions = {},
  ) {}

  /** Uploads a model directory as a new version; refuses an existing version. */
  async push(dir: string, options: PushOptions): Promise<ModelManifest> {
    const name = assertValidName(options.name, 'model name');
    const version = assertValidName(options.version ?? timestampVersion(new Date(), randomBytes(2).toString('hex')), 'version');
    if (version === LATEST) throw new InvalidKeyError(`"${LATEST}" is reserved and cannot be a version`);
    const provenance = parse(ProvenanceSchema, options.provenance, 'provenance');
    const files = await listModelFiles(dir);
    await checkModelFiles(dir, files);
    if (await this.store.exists(manifestKey(name, version))) {
      throw new ConflictError(`model ${name}@${version} already exists`);
    }
    const prefix = versionPrefix(name, version);
    const uploaded: ModelFile[] = [];
    for (const file of files) {
      const { size, sha256 } = await this.store.putFile(prefix + file, path.join(dir, ...file.split('/')), {
        contentType: file.endsWith('.json') ? 'application/json' : 'application/octet-stream',
      });
      uploaded.push({ path: file, size, sha256 });
    }
    const manifest: ModelManifest = {
      schemaVersion: 1,
      name,
      version,
      createdAt: new Date().toISOString(),
      files: uploaded,
      provenance,
      metadata: options.metadata ?? {},
    };
    return this.publish(manifest);
  }

  /**
   * Signs an existing version with the platform key (the migration of models pushed before signing, or
   * under a retired key): every file is read, checked against the manifest's size and sha256 and written
   * again signed, then the manifest is signed. Only for versions you trust as they are now: a wrongly signed
   * manifest or object is refused, not re-signed. Returns the signed manifest.
   */
  async sign(name: string, version: string): Promise<ModelManifest> {
    const signer = this.store.signer;
    if (!signer) throw new InvalidKeyError('no signing key is configured (ASSAY_SIGNING_KEY)');
    const resolved = await this.resolve(name, version);
    const { manifest } = await this.readManifest(name, resolved, { allowUnsigned: true });
    const prefix = versionPrefix(name, resolved);
    for (const file of manifest.files) {
      const { size, sha256 } = await this.store.resign(prefix + file.path);
      if (size !== file.size || sha256 !== file.sha256) {
        throw this.store.untrusted(prefix + file.path, `its size ${size} and sha256 ${sha256} differ from the manifest's (${file.size}, ${file.sha256})`);
      }
    }
    const { signature: _old, ...unsigned } = manifest;
    return this.publish(unsigned);
  }

  /** Every model with its newest version, by name. */
  async list(): Promise<ModelSummary[]> {
    const { objects } = await this.store.list(MODELS_PREFIX, { recursive: true });
    const versionsByName = new Map<string, string[]>();
    for (const { key } of objects) {
      const parsed = parseManifestKey(key);
      if (!parsed) continue;
      versionsByName.set(parsed.name, [...(versionsByName.get(parsed.name) ?? []), parsed.version]);
    }
    return [...versionsByName.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([name, versions]) => ({
        name,
        latestVersion: versions.sort(compareVersions)[versions.length - 1],
        versionCount: versions.length,
      }));
  }

  /** Published versions of `name`, oldest first (see compareVersions); [] for an unknown model. */
  async versions(name: string): Promise<string[]> {
    assertValidName(name, 'model name');
    const { objects } = await this.store.list(`${MODELS_PREFIX}${name}/`, { recursive: true });
    return objects
      .map(({ key }) => parseManifestKey(key))
      .filter((parsed): parsed is { name: string; version: string } => parsed?.name === name)
      .map((parsed) => parsed.version)
      .sort(compareVersions);
  }

  /** The concrete version for `version` (undefined or 'latest' → newest); NotFoundError if none. */
  async resolve(name: string, version?: string): Promise<string> {
    assertValidName(name, 'model name');
    if (version === undefined || version === LATEST) return this.newest(name);
    assertValidName(version, 'version');
    if (!(await this.store.exists(manifestKey(name, version)))) {
      throw new NotFoundError(`model ${name}@${version} not found`);
    }
    return version;
  }

  private newest(name: string): Promise<string> {
    const ttl = this.options.latestTtlMs ?? 0;
    const cached = this.latest.get(name);
    if (ttl > 0 && cached && cached.expiresAt > Date.now()) return cached.version;
    const version = this.versions(name).then((versions) => {
      if (versions.length === 0) throw new NotFoundError(`model ${name} not found`);
      return versions[versions.length - 1];
    });
    if (ttl > 0) {
      const entry = { version, expiresAt: Date.now() + ttl };
      this.latest.set(name, entry);
      // An unknown name (or a failed listing) is not remembered: the first push is visible at once.
      version.catch(() => this.latest.get(name) === entry && this.latest.delete(name));
    }
    return version;
  }

  async show(name: string, version?: string): Promise<ModelManifest> {
    return (await this.readManifest(name, await this.resolve(name, version))).manifest;
  }

  /**
   * A reference as callers write it (`name`, `name@latest`, `name@version`) resolved to its published version; an
   * unknown model is NOT_FOUND `unknown model "<ref>"`, a malformed name BAD_REQUEST. The one place services turn a
   * model reference into a version.
   */
  async resolveRef(ref: string): Promise<ModelVersionRef> {
    const { name, version } = splitModelRef(ref);
    const resolved = await unknownModel(ref, () => this.resolve(name, version));
    return { name, version: resolved, ref: `${name}@${resolved}` };
  }

  /** resolveRef, with the version's manifest. */
  async resolveModel(ref: string): Promise<ResolvedModel> {
    const { name, version } = splitModelRef(ref);
    const manifest = await unknownModel(ref, () => this.show(name, version));
    return { name, version: manifest.version, ref: `${name}@${manifest.version}`, manifest };
  }

  /** Whether a resolved model has `file` (a path of its manifest, e.g. `tokenizer.json`, `weights.bin`). */
  hasFile(model: ResolvedModel, file: string): boolean {
    return model.manifest.files.some((f) => f.path === file);
  }

  /**
   * One file of a resolved model, read from the object store (sha256 checked) without fetching the rest: a tokenizer
   * or config without the weights. NOT_FOUND when the model has no such file.
   */
  async readFile(model: ResolvedModel, file: string): Promise<Buffer> {
    if (!this.hasFile(model, file)) throw new NotFoundError(`model ${model.ref} has no ${file}`);
    return this.store.getBuffer(versionPrefix(model.name, model.version) + file);
  }

  async readJson<T>(model: ResolvedModel, file: string): Promise<T> {
    const raw = await this.readFile(model, file);
    try {
      return JSON.parse(raw.toString('utf8')) as T;
    } catch (error) {
      throw new IntegrityError(`model ${model.ref}: ${file} is not valid JSON`, { cause: error });
    }
  }

  /**
   * A local directory with every file of the version (and its manifest), each verified against
   * the manifest's sha256 (IntegrityError otherwise), served through the cache.
   */
  async fetch(name: string, version?: string): Promise<string> {
    const resolved = await this.resolve(name, version);
    const { manifest, raw } = await this.readManifest(name, resolved);
    const prefix = versionPrefix(name, resolved);
    const keys = [...manifest.files.map((file) => prefix + file.path), prefix + MANIFEST_FILE];
    const release = this.cache.pin(keys);
    try {
      for (const file of manifest.files) {
        await this.cache.get(prefix + file.path, file, () => this.store.get(prefix + file.path));
      }
      await this.cache.get(prefix + MANIFEST_FILE, { sha256: sha256Hex(raw), size: raw.length }, async () =>
        Readable.from([raw]),
      );
      // Files of an earlier push of this same name@version (deleted, then pushed again) must go.
      await this.cache.removePrefix(prefix, keys);
    } finally {
      release();
    }
    return this.cache.directoryOf(prefix);
  }

  /** Unpublishes (manifest first) and deletes a version. */
  async delete(name: string, version: string): Promise<void> {
    const resolved = await this.resolve(name, assertValidName(version, 'version'));
    await this.store.delete(manifestKey(name, resolved));
    this.latest.delete(name);
    await this.store.deletePrefix(versionPrefix(name, resolved));
    await this.cache.removePrefix(versionPrefix(name, resolved));
  }

  /** Writes the manifest, signed when the store has a signing key: the version exists from this moment. */
  private async publish(manifest: ModelManifest): Promise<ModelManifest> {
    const signed = this.store.signer ? { ...manifest, signature: this.store.signer.signManifest(manifest) } : manifest;
    await this.store.putJson(manifestKey(manifest.name, manifest.version), signed);
    this.latest.delete(manifest.name);
    return signed;
  }

  private async readManifest(name: string, version: string, options: { allowUnsigned?: boolean } = {}): Promise<{ manifest: ModelManifest; raw: Buffer }> {
    const key = manifestKey(name, version);
    const raw = await readAll(await this.store.get(key, options));
    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch (err) {
      throw new IntegrityError(`${key}: not valid JSON`, { cause: err });
    }
    const result = ModelManifestSchema.safeParse(json);
    if (!result.success) throw new IntegrityError(`${key}: malformed manifest: ${result.error.message}`);
    if (result.data.name !== name || result.data.version !== version) {
      throw new IntegrityError(`${key}: manifest names ${result.data.name}@${result.data.version}`);
    }
    const problem = this.store.signer?.manifestProblem(result.data);
    if (problem && !(options.allowUnsigned && !result.data.signature)) throw this.store.untrusted(key, problem);
    return { manifest: result.data, raw };
  }
}

async function unknownModel<T>(ref: string, lookup: () => Promise<T>): Promise<T> {
  try {
    return await lookup();
  } catch (error) {
    if (error instanceof NotFoundError) throw AssayError.notFound(`unknown model "${ref}"`, { model: ref });
    throw error;
  }
}

/** Regular files under `dir` as `/`-separated relative paths, sorted; a top-level manifest.json is ours to write. */
async function listModelFiles(dir: string): Promise<string[]> {
  const stat = await fs.promises.stat(dir).catch(() => undefined);
  if (!stat?.isDirectory()) throw new InvalidKeyError(`model directory ${dir} does not exist`);
  const files: string[] = [];
  for (const entry of (await fs.promises.readdir(dir, { recursive: true })) as string[]) {
    const relative = entry.split(path.sep).join('/');
    const entryStat = await fs.promises.stat(path.join(dir, entry));
    if (entryStat.isDirectory()) continue;
    if (!entryStat.isFile()) throw new InvalidKeyError(`model file ${relative} is not a regular file`);
    if (relative === MANIFEST_FILE) continue;
    const problem = keyProblem(relative);
    if (problem) throw new InvalidKeyError(`model file name ${JSON.stringify(relative)}: ${problem}`);
    files.push(relative);
  }
  return files.sort();
}

async function checkModelFiles(dir: string, files: string[]): Promise<void> {
  const missing = REQUIRED_MODEL_FILES.filter((required) => !files.includes(required));
  if (missing.length > 0) throw new InvalidKeyError(`model directory ${dir} lacks ${missing.join(', ')}`);
  if (!files.some(isModelGraphFile)) throw new InvalidKeyError(`model directory ${dir} lacks a model graph (model.onnx, or onnx/model.onnx as transformers.js lays it out)`);
  try {
    const config = JSON.parse(await fs.promises.readFile(path.join(dir, 'config.json'), 'utf8')) as unknown;
    if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new Error('not an object');
  } catch (err) {
    throw new InvalidKeyError(`config.json in ${dir} is not a JSON object: ${(err as Error).message}`);
  }
}

function parse<T>(schema: { safeParse(value: unknown): { success: true; data: T } | { success: false; error: Error } }, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new InvalidKeyError(`invalid ${what}: ${result.error.message}`);
  return result.data;
}
