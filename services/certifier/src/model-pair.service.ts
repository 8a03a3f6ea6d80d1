import { Injectable } from '@nestjs/common';
import { ModelRegistry } from '@assay/artifacts';

/**
 * Decides between VALID's two scoring paths: with one tokenizer, G rescores L's exact token ids; with two,
 * y is decoded to text and re-tokenized by G (spec §3B, `tokenizers_match=False`). Tokenizers are equal when
 * their tokenizer.json files have the same sha256 in the registry manifests.
 */
@Injectable()
export class ModelPairService {
  /** Digests per resolved `name@version`: versions are immutable, so entries never go stale. */
  private readonly digests = new Map<string, string>();

  constructor(private readonly registry: ModelRegistry) {}

  async tokenizersMatch(modelRef: string, guideRef: string): Promise<boolean> {
    const [model, guide] = await Promise.all([this.tokenizerDigest(modelRef), this.tokenizerDigest(guideRef)]);
    return model === guide;
  }

  private async tokenizerDigest(ref: string): Promise<string> {
    const { ref: resolved } = await this.registry.resolveRef(ref);
    const cached = this.digests.get(resolved);
    if (cached) return cached;
    const { manifest } = await this.registry.resolveModel(resolved);
    const digest = manifest.files.find((f) => f.path === 'tokenizer.json')?.sha256 ?? `missing:${resolved}`;
    if (this.digests.size > 256) this.digests.clear();
    this.digests.set(resolved, digest);
    return digest;
  }
}
