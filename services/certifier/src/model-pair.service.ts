import { Injectable } from '@nestjs/common';
import { splitModelRef } from '@assay/contracts';
import { ModelRegistry } from '@assay/artifacts';

/**
 * Decides between VALID's two scoring paths: with one tokenizer, G rescores L's exact token ids; with two,
 * y is decoded to text and re-tokenized by G (spec §3B, `tokenizers_match=False`). Tokenizers are equal when
 * their tokenizer.json files have the same sha256 in the registry manifests.
 */
@Injectable()
export class ModelPairService {
  constructor(private readonly registry: ModelRegistry) {}

  async tokenizersMatch(modelRef: string, guideRef: string): Promise<boolean> {
    const [model, guide] = await Promise.all([this.tokenizerDigest(modelRef), this.tokenizerDigest(guideRef)]);
    return model === guide;
  }

  private async tokenizerDigest(ref: string): Promise<string> {
    const { name, version } = splitModelRef(ref);
    const manifest = await this.registry.show(name, version);
    const file = manifest.files.find((f) => f.path === 'tokenizer.json');
    return file?.sha256 ?? `missing:${name}@${manifest.version}`;
  }
}
