import { sentenceBleu01, sentenceChrf01 } from '@assay/stats';
import { BehaviourMetric, ScoreItem, toUnitScore } from './behaviour-metric';

/**
 * Translation-quality scores against the prompt's reference (sacreBLEU-compatible, from @assay/stats, on the
 * 0–1 scale). A prompt without a reference cannot be scored: NaN, so its pair is dropped.
 */
abstract class ReferenceMetric implements BehaviourMetric {
  abstract readonly name: string;
  protected abstract scoreOne(hypothesis: string, reference: string): number;

  async score(items: readonly ScoreItem[]): Promise<number[]> {
    return items.map((item) => (item.reference === undefined ? NaN : toUnitScore(this.scoreOne(item.completion, item.reference))));
  }
}

export class ChrfMetric extends ReferenceMetric {
  readonly name = 'chrf';
  protected scoreOne(hypothesis: string, reference: string): number {
    return sentenceChrf01(hypothesis, reference);
  }
}

/** Per-sentence BLEU is often exactly 0 (spec pitfall 7): expect many ties. */
export class BleuMetric extends ReferenceMetric {
  readonly name = 'bleu';
  protected scoreOne(hypothesis: string, reference: string): number {
    return sentenceBleu01(hypothesis, reference);
  }
}
