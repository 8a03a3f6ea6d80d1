import { Injectable } from '@nestjs/common';
import { ModelRegistry, Provenance } from '@assay/artifacts';
import { AssayError } from '@assay/contracts';
import { HostedModel } from '@assay/platform';
import { decodeQArtifact, QArtifact, QBase } from './q-artifact';

export interface LoadedQ extends QArtifact {
  name: string;
  version: string;
  /** name@version */
  ref: string;
}

/**
 * Q_D artifacts in the model registry: loaded (sha256-checked, decoded) once per version, and checked against the
 * L they are used with. The one place the rectifier reads or writes them.
 */
@Injectable()
export class QHeadStore {
  private readonly loaded = new Map<string, Promise<LoadedQ>>();

  constructor(private readonly registry: ModelRegistry) {}

  /** The artifact of a reference (NOT_FOUND when unknown, BAD_REQUEST when it is no Q head). */
  async load(ref: string): Promise<LoadedQ> {
    const resolved = await this.registry.resolveModel(ref);
    let pending = this.loaded.get(resolved.ref);
    if (!pending) {
      pending = (async () => {
        if (!this.registry.hasFile(resolved, 'q-head.bin')) throw AssayError.badRequest(`model ${resolved.ref} is not a Q_D artifact (it has no q-head.bin)`, { rectifier: ref });
        const [config, weights] = await Promise.all([this.registry.readJson<unknown>(resolved, 'config.json'), this.registry.readFile(resolved, 'q-head.bin')]);
        try {
          return { ...decodeQArtifact(config, weights), name: resolved.name, version: resolved.version, ref: resolved.ref };
        } catch (error) {
          throw AssayError.badRequest(`model ${resolved.ref} is not a usable Q_D artifact: ${(error as Error).message}`, { rectifier: ref });
        }
      })();
      this.loaded.set(resolved.ref, pending);
      pending.catch(() => this.loaded.delete(resolved.ref));
    }
    return pending;
  }

  /**
   * The head reads L's final hidden states, so it only means something on the exact L it was trained on: same
   * name and version, and (checked again, for a clear message) the same vocabulary and hidden size.
   */
  checkBase(q: LoadedQ, model: HostedModel): void {
    const base = q.config.base;
    if (model.info.vocabSize !== q.layout.vocab) {
      throw AssayError.badRequest(`Q artifact ${q.ref} covers a vocabulary of ${q.layout.vocab} tokens, ${model.name}@${model.version} has ${model.info.vocabSize}: the vocabularies differ`, {
        rectifier: q.ref,
        model: `${model.name}@${model.version}`,
      });
    }
    if (base.name !== model.name || base.version !== model.version) {
      throw AssayError.badRequest(`Q artifact ${q.ref} was trained on ${base.name}@${base.version}, not ${model.name}@${model.version} (it reads that model's hidden states)`, {
        rectifier: q.ref,
        base: `${base.name}@${base.version}`,
      });
    }
    if (model.info.hiddenSize !== q.layout.inDim) throw AssayError.badRequest(`Q artifact ${q.ref} reads hidden states of size ${q.layout.inDim}, ${model.name} has ${model.info.hiddenSize}`);
  }

  /** What a new artifact records about its L: name, version, tokenizer digest, sizes. */
  async describeBase(model: HostedModel): Promise<QBase> {
    const resolved = await this.registry.resolveModel(`${model.name}@${model.version}`);
    const tokenizer = resolved.manifest.files.find((f) => f.path === 'tokenizer.json' || f.path.endsWith('/tokenizer.json'));
    return { name: model.name, version: model.version, tokenizerSha256: tokenizer?.sha256 ?? '', vocabSize: model.info.vocabSize, hiddenSize: model.info.hiddenSize };
  }

  async push(dir: string, name: string, provenance: Provenance, metadata: Record<string, unknown>): Promise<{ name: string; version: string }> {
    const manifest = await this.registry.push(dir, { name, provenance, metadata });
    return { name: manifest.name, version: manifest.version };
  }
}
