import { Injectable } from '@nestjs/common';
import { AssayError, ConfidenceRequest, ConfidenceResponse, splitModelRef } from '@assay/contracts';
import { pFromMargin, splitMethod } from './calibrator-artifact';
import { CalibratorStore } from './calibrator.store';
import { MethodScorer } from './method-scorer.service';
import { sanitizeAnswer } from './qa-format';

/** Whether a requested model reference names the calibrator's L (`name` matches any version, `name@version` that one). */
export function namesModel(requested: string, calibratorModel: string): boolean {
  const want = splitModelRef(requested);
  const have = splitModelRef(calibratorModel);
  return want.name === have.name && (want.version === undefined || want.version === have.version);
}

/**
 * The confidence route: P(correct) of each answer under the calibrator's served method, one forward pass per answer
 * (the query scores its two option tokens in one pass over the query text; the probe reads one hidden state).
 */
@Injectable()
export class ConfidenceService {
  constructor(
    private readonly calibrators: CalibratorStore,
    private readonly scorer: MethodScorer,
  ) {}

  async score(request: ConfidenceRequest): Promise<ConfidenceResponse> {
    const { name, version, artifact } = await this.calibrators.load(request.calibrator);
    if (request.model !== undefined && !namesModel(request.model, artifact.model)) {
      throw AssayError.badRequest(`calibrator ${name}@${version} was fitted for ${artifact.model}, not ${request.model}`, { calibratorModel: artifact.model, model: request.model });
    }
    const { base, scaled } = splitMethod(artifact.serve);
    const fitted = artifact.methods[base];
    const answers = request.answers.map((answer) => ({ question: request.question, answer: sanitizeAnswer(answer) }));
    const margins = await this.scorer.margins(base, artifact, fitted, answers);
    const temperature = scaled ? (fitted?.temperature ?? 1) : 1;
    return {
      calibrator: { name, version },
      model: artifact.model,
      results: margins.map((m) => ({ pCorrect: pFromMargin(m, temperature), method: artifact.serve, calibratorVersion: version })),
    };
  }
}
