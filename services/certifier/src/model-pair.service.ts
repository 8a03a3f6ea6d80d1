import { Injectable } from '@nestjs/common';
import { ModelFactsService } from './model-facts.service';

/**
 * Decides between VALID's two scoring paths: with one tokenizer, G rescores L's exact token ids; with two,
 * y is decoded to text and re-tokenized by G (spec §3B, `tokenizers_match=False`). Tokenizers are equal when
 * their tokenizer.json files have the same sha256 in the registry manifests.
 */
@Injectable()
export class ModelPairService {
  constructor(private readonly facts: ModelFactsService) {}

  async tokenizersMatch(modelRef: string, guideRef: string): Promise<boolean> {
    const [model, guide] = await Promise.all([this.facts.get(modelRef), this.facts.get(guideRef)]);
    return model.tokenizerDigest === guide.tokenizerDigest;
  }
}
