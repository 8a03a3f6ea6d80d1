import { AuditPrompt, AuditStartRequest } from '@assay/contracts';
import { GenerationClient, JOB_RPC_TIMEOUT_MS, BehaviourMetric } from '@assay/platform';

/**
 * Both models' completions of one batch (prompts at visit positions [position, position + items.length)), scored in
 * one metric call; unscorable generations are NaN. Each model answers with its own base seed, and every prompt
 * gets a draw of its own: `completeEach` never sends two copies of one prompt in one request, so a prompt file with
 * repeats yields independent pairs (two identical pairs in a batch would make the batch e-value f·f, whose
 * expectation under the null exceeds 1).
 */
export async function scoreAuditBatch(
  generation: GenerationClient,
  metric: BehaviourMetric,
  request: Pick<AuditStartRequest, 'reference' | 'candidate' | 'maxNewTokens' | 'temperature' | 'topP' | 'seeds'>,
  items: readonly AuditPrompt[],
  position: number,
): Promise<{ reference: number[]; candidate: number[] }> {
  const texts = items.map((p) => p.prompt);
  const sampling = { maxNewTokens: request.maxNewTokens, temperature: request.temperature, topP: request.topP };
  const options = { isolateRefusals: true, timeoutMs: JOB_RPC_TIMEOUT_MS };
  const [reference, candidate] = await Promise.all([
    generation.completeEach(request.reference, texts, position, { ...sampling, seed: request.seeds.reference }, options),
    generation.completeEach(request.candidate, texts, position, { ...sampling, seed: request.seeds.candidate }, options),
  ]);
  const generated = [...reference, ...candidate].map((completion, i) => ({ completion: completion?.text ?? null, item: items[i % items.length] }));
  const scorable = generated.filter((g): g is { completion: string; item: AuditPrompt } => g.completion !== null);
  const scored = await metric.score(scorable.map((g) => ({ prompt: g.item.prompt, completion: g.completion, reference: g.item.reference })));
  const all = generated.map(() => NaN);
  let next = 0;
  generated.forEach((g, i) => {
    if (g.completion !== null) all[i] = scored[next++];
  });
  return { reference: all.slice(0, items.length), candidate: all.slice(items.length) };
}
