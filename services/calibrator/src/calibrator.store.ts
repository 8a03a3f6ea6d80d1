import { Injectable } from '@nestjs/common';
import { compareVersions, ObjectStore } from '@assay/artifacts';
import { AssayError, splitModelRef } from '@assay/contracts';
import { CALIBRATOR_FILE, CALIBRATOR_MODEL_TYPE, CalibratorArtifact } from './calibrator-artifact';

export interface LoadedCalibrator {
  name: string;
  version: string;
  artifact: CalibratorArtifact;
}

interface StoredCalibrator {
  artifact: CalibratorArtifact;
  provenance: Record<string, unknown>;
  createdAt: string;
}

const CALIBRATORS_PREFIX = 'calibrators/';
const keyOf = (name: string, version: string) => `${CALIBRATORS_PREFIX}${name}/${version}/${CALIBRATOR_FILE}`;

/**
 * Versioned calibrators in the object store (signed like every artifact when the platform has a key):
 * `calibrators/<name>/<version>/calibrator.json` with the artifact, its provenance (L, dataset, job) and creation
 * time. A version never changes once written, so loaded versions are cached; `name` alone is the newest version.
 */
@Injectable()
export class CalibratorStore {
  private readonly cache = new Map<string, LoadedCalibrator>();

  constructor(private readonly store: ObjectStore) {}

  /** `name` (newest) or `name@version`; NOT_FOUND when there is no such calibrator. */
  async load(ref: string): Promise<LoadedCalibrator> {
    const { name, version: asked } = splitModelRef(ref);
    const version = asked ?? (await this.newest(name));
    const cacheKey = `${name}@${version}`;
    const cached = this.cache.get(cacheKey);
    if (cached) return cached;
    const key = keyOf(name, version);
    if (!(await this.store.exists(key))) throw AssayError.notFound(`no calibrator ${ref}`);
    const stored = await this.store.getJson<StoredCalibrator>(key);
    if (stored.artifact?.kind !== CALIBRATOR_MODEL_TYPE) throw AssayError.notFound(`${cacheKey} is not a calibrator`);
    const loaded = { name, version, artifact: stored.artifact };
    this.cache.set(cacheKey, loaded);
    return loaded;
  }

  async versions(name: string): Promise<string[]> {
    const listed = await this.store.list(`${CALIBRATORS_PREFIX}${name}/`);
    return listed.prefixes.map((p) => p.slice(`${CALIBRATORS_PREFIX}${name}/`.length).replace(/\/$/, '')).sort(compareVersions);
  }

  private async newest(name: string): Promise<string> {
    const versions = await this.versions(name);
    if (versions.length === 0) throw AssayError.notFound(`no calibrator ${name}`);
    return versions[versions.length - 1];
  }

  /** Writes a version (idempotent: a retried fit writes the same version again). */
  async save(name: string, version: string, artifact: CalibratorArtifact, provenance: Record<string, unknown>): Promise<LoadedCalibrator> {
    await this.store.putJson(keyOf(name, version), { artifact, provenance, createdAt: new Date().toISOString() } satisfies StoredCalibrator);
    return { name, version, artifact };
  }
}
