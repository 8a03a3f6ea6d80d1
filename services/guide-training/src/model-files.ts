import { Injectable } from '@nestjs/common';
import { ModelManifest, ModelRegistry, ObjectStore, versionPrefix } from '@assay/artifacts';
import { AssayError, splitModelRef } from '@assay/contracts';

export interface ResolvedModel {
  name: string;
  version: string;
  manifest: ModelManifest;
}

/**
 * Single files of registered models (tokenizer.json, config.json, weights.bin), read straight from the
 * object store with their sha256 checked, so reusing a large model's tokenizer never downloads its weights.
 */
@Injectable()
export class ModelFiles {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly store: ObjectStore,
  ) {}

  async resolve(ref: string): Promise<ResolvedModel> {
    const { name, version } = splitModelRef(ref);
    try {
      const manifest = await this.registry.show(name, version);
      return { name, version: manifest.version, manifest };
    } catch (error) {
      const failure = AssayError.from(error);
      throw failure.code === 'NOT_FOUND' ? AssayError.notFound(`unknown model "${ref}"`, { model: ref }) : failure;
    }
  }

  has(model: ResolvedModel, file: string): boolean {
    return model.manifest.files.some((f) => f.path === file);
  }

  async read(model: ResolvedModel, file: string): Promise<Buffer> {
    if (!this.has(model, file)) throw AssayError.notFound(`model ${model.name}@${model.version} has no ${file}`, { model: `${model.name}@${model.version}`, file });
    return this.store.getBuffer(versionPrefix(model.name, model.version) + file);
  }

  async readJson<T>(model: ResolvedModel, file: string): Promise<T> {
    return JSON.parse((await this.read(model, file)).toString('utf8')) as T;
  }
}
