import { Injectable } from '@nestjs/common';
import { AssayError } from '@assay/contracts';
import { ModelHostService } from '../model-host.service';

/** Texts per runtime call: the engine micro-batches further, this only bounds one request. */
const CHUNK = 256;

/**
 * Positive-class probabilities (e.g. P(toxic)) of a registered text classifier (`model_type:
 * "assay-text-classifier"`), run in-process by the model host through the runtime's `classify`. The one place
 * the auditor touches the classifier API.
 */
@Injectable()
export class TextClassifierClient {
  constructor(private readonly models: ModelHostService) {}

  /** Resolves the reference (NOT_FOUND when unknown), loads the model once, and checks it is a classifier (BAD_REQUEST). */
  async ensureLoaded(ref: string): Promise<string> {
    const model = await this.models.acquire(ref);
    if (model.info.task !== 'text-classification') throw AssayError.badRequest(`model "${ref}" is a ${model.info.task} model, not a text classifier`, { model: ref });
    return model.key;
  }

  async positiveProbabilities(ref: string, texts: readonly string[]): Promise<number[]> {
    const model = await this.ensureLoaded(ref);
    const out: number[] = [];
    for (let from = 0; from < texts.length; from += CHUNK) {
      out.push(...(await this.models.engine.classify({ model, texts: texts.slice(from, from + CHUNK) })).probabilities);
    }
    return out;
  }
}
