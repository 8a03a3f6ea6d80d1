import { Injectable } from '@nestjs/common';
import { CertifyRequest } from '@assay/contracts';
import { CalibratorClient, RewardHeadClient } from '@assay/platform';
import { ATTR, withSpan } from '@assay/telemetry';
import { AcceptedDraw, DrawsVerdict, rerankAccepted } from './certify-attempts';

/** The question the calibrator is asked: the prompt, or the last user turn of a conversation. */
export function questionOf(request: Pick<CertifyRequest, 'prompt' | 'messages'>): string {
  if (request.prompt !== undefined) return request.prompt;
  const turns = request.messages ?? [];
  return [...turns].reverse().find((m) => m.role === 'user')?.content || turns[turns.length - 1]?.content || '';
}

/**
 * The optional stages of a composed certification after VALID has judged the draws (README "Composed certification"):
 * `rerank` asks the reward head for the rewards of the **accepted** draws only and returns the highest (rejected draws
 * are never candidates, so the certificate holds); `confidence` asks the calibrator for P(correct) of the returned
 * answer, which labels it and changes nothing else.
 */
@Injectable()
export class CertifyStagesService {
  constructor(
    private readonly rewards: RewardHeadClient,
    private readonly calibrator: CalibratorClient,
  ) {}

  /** The draw to return and its reward (null without the stage, or when nothing was accepted). */
  async choose(request: CertifyRequest, verdict: DrawsVerdict): Promise<{ chosen: AcceptedDraw | null; reward: number | null }> {
    if (!request.rerank || verdict.accepted.length === 0) return { chosen: verdict.chosen, reward: null };
    const head = request.rerank.head;
    return withSpan('certify.rerank', { attributes: { [ATTR.assayOperation]: 'rerank', 'assay.reward.head': head, 'assay.reward.candidates': verdict.accepted.length } }, async (span) => {
      const context = request.messages ? { messages: request.messages } : { prompt: request.prompt ?? '' };
      const { rewards } = await this.rewards.score({ head, model: request.model, ...context, candidates: verdict.accepted.map((a) => a.draw.completion.text) });
      const chosen = rerankAccepted(verdict, rewards);
      const reward = chosen ? rewards[verdict.accepted.indexOf(chosen)] : null;
      span.setAttribute('assay.reward.value', reward ?? NaN);
      return { chosen, reward: reward !== null && Number.isFinite(reward) ? reward : null };
    });
  }

  /** P(correct) of the returned answer (null without the stage). */
  async confidence(request: CertifyRequest, text: string): Promise<number | null> {
    if (!request.confidence) return null;
    const calibrator = request.confidence.calibrator;
    return withSpan('certify.confidence', { attributes: { [ATTR.assayOperation]: 'confidence', 'assay.calibrator': calibrator } }, async (span) => {
      const { results } = await this.calibrator.confidence({ calibrator, model: request.model, question: questionOf(request), answers: [text] });
      span.setAttribute('assay.confidence.p_correct', results[0].pCorrect);
      return results[0].pCorrect;
    });
  }
}
