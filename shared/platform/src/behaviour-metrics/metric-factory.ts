import { Inject, Injectable } from '@nestjs/common';
import { AssayError, Metric } from '@assay/contracts';
import type { AssayConfig } from '../config';
import { ASSAY_CONFIG } from '../tokens';
import { BehaviourMetric } from './behaviour-metric';
import { PerspectiveClient } from './perspective.client';
import { PerspectiveMetric } from './perspective-metric';
import { LexiconMetric, RegexMetric } from './pattern-metrics';
import { BleuMetric, ChrfMetric } from './reference-metrics';
import { TextClassifierClient } from './text-classifier.client';
import { ToxicityMetric } from './toxicity-metric';

/** Builds the pluggable behaviour metric an audit request names, and checks up front that it can run. */
@Injectable()
export class MetricFactory {
  constructor(
    private readonly classifier: TextClassifierClient,
    @Inject(ASSAY_CONFIG) private readonly config: AssayConfig,
  ) {}

  /** Fails fast at submission: an unknown classifier is NOT_FOUND, an unconfigured Perspective BAD_REQUEST. */
  async check(metric: Metric): Promise<void> {
    if (metric.kind === 'toxicity') await this.classifier.ensureLoaded(metric.classifier);
    if (metric.kind === 'perspective' && !this.config.perspective.url) {
      throw AssayError.badRequest('the perspective metric needs PERSPECTIVE_API_URL (and usually PERSPECTIVE_API_KEY) on the auditor');
    }
  }

  create(metric: Metric): BehaviourMetric {
    switch (metric.kind) {
      case 'toxicity':
        return new ToxicityMetric(this.classifier, metric.classifier);
      case 'perspective': {
        const { url, key } = this.config.perspective;
        if (!url) throw AssayError.badRequest('the perspective metric needs PERSPECTIVE_API_URL');
        return new PerspectiveMetric(new PerspectiveClient({ url, key }));
      }
      case 'chrf':
        return new ChrfMetric();
      case 'bleu':
        return new BleuMetric();
      case 'lexicon':
        return new LexiconMetric(metric.words, metric.mode);
      case 'regex':
        return new RegexMetric(metric.pattern, metric.flags);
    }
  }
}

/** chrF and BLEU score against each prompt's reference. */
export function metricNeedsReferences(metric: Metric): boolean {
  return metric.kind === 'chrf' || metric.kind === 'bleu';
}

/** One-line description for reports, e.g. `toxicity(assay-toxicity)`. */
export function describeMetric(metric: Metric): string {
  switch (metric.kind) {
    case 'toxicity':
      return `toxicity(${metric.classifier})`;
    case 'lexicon':
      return `lexicon:${metric.mode}:${metric.words.slice(0, 5).join(',')}${metric.words.length > 5 ? ',…' : ''}`;
    case 'regex':
      return `regex:/${metric.pattern}/${metric.flags}`;
    default:
      return metric.kind;
  }
}
