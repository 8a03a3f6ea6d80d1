import { Injectable } from '@nestjs/common';
import { ModelRegistry } from '@assay/artifacts';
import { AssayError, splitModelRef } from '@assay/contracts';
import { TextTokenizer } from '@assay/runtime';
import type { ModelLimits } from './item-fitting';

/** What the certifier needs to know of a model to cut items for it, without loading (or downloading) its weights. */
export interface ModelFacts extends ModelLimits {
  /** `name@version`, resolved. */
  ref: string;
  tokenizer: TextTokenizer;
  /** sha256 of tokenizer.json in the registry manifest: equal digests, equal tokenizers. */
  tokenizerDigest: string;
}

const CACHE_LIMIT = 32;

/**
 * Tokenizer and context length of registered models, read as single files (tokenizer.json, config.json) through the
 * model registry and kept per `name@version` (immutable, so the cache never goes stale).
 */
@Injectable()
export class ModelFactsService {
  private readonly cache = new Map<string, Promise<ModelFacts>>();

  constructor(private readonly registry: ModelRegistry) {}

  /** `name@version` for a reference; unknown models → NOT_FOUND. */
  async resolve(ref: string): Promise<string> {
    return (await this.registry.resolveRef(ref)).ref;
  }

  async get(ref: string): Promise<ModelFacts> {
    // A version is immutable: an explicit `name@version` already loaded needs no registry round trip.
    const known = splitModelRef(ref).version === undefined ? undefined : this.cache.get(ref);
    if (known) return known;
    const resolved = await this.resolve(ref);
    let pending = this.cache.get(resolved);
    if (!pending) {
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      pending = this.load(resolved);
      this.cache.set(resolved, pending);
      pending.catch(() => this.cache.delete(resolved));
    }
    return pending;
  }

  private async load(resolved: string): Promise<ModelFacts> {
    const model = await this.registry.resolveModel(resolved);
    if (!this.registry.hasFile(model, 'tokenizer.json')) throw AssayError.badRequest(`model ${resolved} has no tokenizer.json`);
    const [tokenizerJson, config] = await Promise.all([this.registry.readJson<object>(model, 'tokenizer.json'), this.registry.readJson<Record<string, unknown>>(model, 'config.json')]);
    const contextLength = Number(config.n_positions ?? config.n_ctx ?? config.max_position_embeddings);
    if (!Number.isInteger(contextLength) || contextLength < 2) throw AssayError.badRequest(`model ${resolved}: config.json has no usable context length`);
    const tokenizer = TextTokenizer.fromJson(tokenizerJson);
    const tokenizerDigest = model.manifest.files.find((f) => f.path === 'tokenizer.json')!.sha256;
    return { ref: resolved, tokenizer, tokenizerDigest, contextLength, encode: (text) => tokenizer.encode(text), decode: (ids) => tokenizer.decode(ids) };
  }
}
