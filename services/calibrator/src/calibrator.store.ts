import { Injectable } from '@nestjs/common';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ModelRegistry, Provenance } from '@assay/artifacts';
import { AssayError } from '@assay/contracts';
import { CALIBRATOR_FILE, CALIBRATOR_MODEL_TYPE, CalibratorArtifact } from './calibrator-artifact';

export interface LoadedCalibrator {
  name: string;
  version: string;
  artifact: CalibratorArtifact;
}

/**
 * Calibrators in the model registry (versioned, checksummed, signed like every artifact): a directory with a
 * config.json of model_type `assay-calibrator` and calibrator.json. Loaded versions are cached (a version never
 * changes).
 */
@Injectable()
export class CalibratorStore {
  private readonly cache = new Map<string, LoadedCalibrator>();

  constructor(private readonly registry: ModelRegistry) {}

  /** NOT_FOUND when no such calibrator (or the name is a model that is not a calibrator). */
  async load(ref: string): Promise<LoadedCalibrator> {
    const cached = this.cache.get(ref);
    if (cached) return cached;
    const resolved = await this.registry.resolveModel(ref);
    if (!this.registry.hasFile(resolved, CALIBRATOR_FILE)) throw AssayError.notFound(`${resolved.ref} is a model, not a calibrator`);
    const artifact = await this.registry.readJson<CalibratorArtifact>(resolved, CALIBRATOR_FILE);
    if (artifact.kind !== CALIBRATOR_MODEL_TYPE) throw AssayError.notFound(`${resolved.ref} is not a calibrator`);
    const loaded = { name: resolved.name, version: resolved.version, artifact };
    this.cache.set(`${resolved.name}@${resolved.version}`, loaded);
    return loaded;
  }

  async save(name: string, version: string, artifact: CalibratorArtifact, provenance: Provenance): Promise<LoadedCalibrator> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'assay-calibrator-'));
    try {
      fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ model_type: CALIBRATOR_MODEL_TYPE, assay: { model: artifact.model, serve: artifact.serve } }, null, 2));
      fs.writeFileSync(path.join(dir, CALIBRATOR_FILE), JSON.stringify(artifact));
      const existing = await this.registry.versions(name).catch(() => [] as string[]);
      if (!existing.includes(version)) await this.registry.push(dir, { name, version, provenance, metadata: { kind: 'calibrator', model: artifact.model, serve: artifact.serve } });
      return { name, version, artifact };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}
