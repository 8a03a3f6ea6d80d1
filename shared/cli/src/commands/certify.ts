import { Command } from 'commander';
import { CertifyBenchResult, CertifyEvalResult, CertifyResponse, SubjectRequest } from '@assay/contracts';
import { loadConfig } from '@assay/platform';
import { connectPlatform } from '../connect';
import { asUsageError, InvalidArgumentError, print, usage } from '../output';
import { submitJob, uploadIfLocal, waitForResult } from '../platform-calls';

const LOG10_2 = Math.log10(2);

/** A finite number, negative ones included (`--k -2`). */
const number = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`expected a number, got "${value}"`);
  return n;
};
const int = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a non-negative integer, got "${value}"`);
  return n;
};
const numbers = (value: string) => value.split(',').map((v) => number(v.trim()));

/** The certifier's HTTP base URL, for report links. */
function certifierUrl(): string {
  const { host, port } = loadConfig('certifier').http;
  return `http://${host}:${port}`;
}

const REJECTIONS: Record<string, string> = {
  ratio: 'ratio above k',
  'epsilon-cap': 'certificate above --max-log2-epsilon',
  empty: 'empty answer',
  'not-canonical': 'text re-encodes to other tokens',
  'guide-empty': 'G makes no tokens of it',
  'guide-context': "longer than G's context",
  'non-finite': 'log-probability not a finite number',
};

export function renderCertified(r: CertifyResponse): string {
  const lines = [`${r.status.toUpperCase()}: ${r.text}`];
  if (r.certificate) {
    const c = r.certificate;
    const log10 = (c.log2Epsilon * LOG10_2).toFixed(2);
    lines.push(
      c.vacuous
        ? `  certificate: VACUOUS, ε = 2^${c.log2Epsilon.toFixed(2)} ≥ 1 bounds nothing (usual for in-domain text, which G finds likely; the bound bites on out-of-domain text; --max-log2-epsilon 0 refuses such answers)`
        : `  certificate: M(y|x) ≤ ε = 2^${c.log2Epsilon.toFixed(2)} (log10 ε = ${log10}) for every prompt x, for this text`,
      `  N_y = ${c.nTokens} tokens (${c.tokenizersMatch ? 'shared tokenizer' : 'counted in G\'s tokens'}), log2 L(y|x) = ${c.log2L.toFixed(2)}, log2 G(y) = ${c.log2G.toFixed(2)}, k = ${c.k}, T = ${c.T}`,
    );
  }
  for (const a of r.attempts) {
    const ratio = a.normalizedLog2Ratio === null ? '' : `  ${a.normalizedLog2Ratio.toFixed(3)} bits/token`;
    const why = a.accepted ? 'accepted' : `rejected (${REJECTIONS[a.rejection ?? 'ratio'] ?? a.rejection})`;
    lines.push(`  draw ${a.index + 1}: ${why}${ratio} over ${a.nTokens} tokens (${a.finishReason})`);
  }
  return lines.join('\n');
}

/** `assay certify`: one certified answer (VALID) through the certifier service. */
export function certifyCommand(): Command {
  return new Command('certify')
    .argument('<prompt>', 'prompt text')
    .requiredOption('--model <L>', 'the large model L (name or name@version)')
    .requiredOption('--guide <G>', 'the guide G trained on in-domain responses')
    .requiredOption('--k <bits>', 'allowed log2 L/G ratio per token (bits/token; may be negative)', number)
    .option('--T <n>', 'draws before abstaining (default: 4)', int)
    .option('--mode <mode>', 'batched (T draws at once, one batch latency) or sequential (stop at the first acceptance) (default: batched)')
    .option('--max-new-tokens <n>', 'answer length cap (default: 64)', int)
    .option('--temperature <t>', 'sampling temperature of L (default: 1)', number)
    .option('--seed <n>', 'seed (same seed, same answer)', int)
    .option('--max-log2-epsilon <log2 e>', 'reject draws whose certificate log2 ε exceeds this (0: only non-vacuous answers)', number)
    .option('--json', 'the full CertifyResponse')
    .action(async (prompt: string, o: { model: string; guide: string; k: number; T?: number; mode?: string; maxNewTokens?: number; temperature?: number; seed?: number; maxLog2Epsilon?: number; json?: boolean }) => {
      const json = Boolean(o.json);
      if (o.mode && o.mode !== 'batched' && o.mode !== 'sequential') usage(`--mode must be batched or sequential, got ${o.mode}`);
      const clients = await connectPlatform();
      try {
        const response = await clients.rpc.call('assay.certifier.certify', {
          model: o.model,
          guide: o.guide,
          prompt,
          k: o.k,
          T: o.T,
          mode: o.mode as 'batched' | 'sequential' | undefined,
          maxNewTokens: o.maxNewTokens,
          temperature: o.temperature,
          seed: o.seed,
          maxLog2Epsilon: o.maxLog2Epsilon,
        });
        print(response, json, renderCertified);
      } finally {
        await clients.close();
      }
    });
}

interface EvalOptions {
  model: string;
  guide: string;
  inDomain: string;
  outOfDomain: string;
  inDomainKind?: string;
  outOfDomainKind?: string;
  targetFrr?: number;
  targetEpsilon?: number;
  T?: number;
  calibrationFraction?: number;
  maxItems?: number;
  minTokens?: number;
  maxResponseTokens?: number;
  json?: boolean;
}

const kind = (value: string | undefined) => {
  if (value !== undefined && value !== 'responses' && value !== 'prompts') throw new Error(`a set kind is responses or prompts, got ${value}`);
  return value as 'responses' | 'prompts' | undefined;
};

/** `assay certify-eval`: the offline VALID evaluation job (FRR, OOD rejection, AUROC, ε-DC) with an HTML report. */
export function certifyEvalCommand(): Command {
  return new Command('certify-eval')
    .requiredOption('--model <L>', 'the large model L')
    .requiredOption('--guide <G>', 'the guide G')
    .requiredOption('--in-domain <file|key>', 'in-domain responses (JSONL response/text/answer + optional prompt, or one per line); local files are uploaded')
    .requiredOption('--out-of-domain <file|key>', 'out-of-domain responses, same formats')
    .option('--in-domain-kind <kind>', 'responses, or prompts for L to answer first (default: responses)')
    .option('--out-of-domain-kind <kind>', 'responses or prompts (default: responses)')
    .option('--target-frr <f>', 'in-domain false-rejection rate that fixes k (default: 0.1)', number)
    .option('--target-epsilon <log2 e>', 'also find k whose domain certificate is this log2 ε', number)
    .option('--T <n>', 'VALID rounds the certificate charges for (default: 1)', int)
    .option('--calibration-fraction <f>', 'share of each set that chooses k; the rest is held out for the figures (default: 0.5)', number)
    .option('--max-items <n>', 'items per set (default: 2000)', int)
    .option('--min-tokens <n>', 'drop responses shorter than this (default: 1)', int)
    .option('--max-response-tokens <n>', 'cut responses to this many tokens (default: 128)', int)
    .option('--json', 'the result as one JSON object (progress events as JSON lines before it)')
    .action(async (o: EvalOptions) => {
      const json = Boolean(o.json);
      let request: SubjectRequest<'assay.certifier.evaluate'>;
      try {
        const [inDomain, outOfDomain] = [await uploadIfLocal(o.inDomain, 'certify-eval'), await uploadIfLocal(o.outOfDomain, 'certify-eval')];
        request = {
          model: o.model,
          guide: o.guide,
          inDomain: { key: inDomain, kind: kind(o.inDomainKind) },
          outOfDomain: { key: outOfDomain, kind: kind(o.outOfDomainKind) },
          targetFrr: o.targetFrr,
          targetEpsilonLog2: o.targetEpsilon,
          T: o.T,
          calibrationFraction: o.calibrationFraction,
          maxItems: o.maxItems,
          minTokens: o.minTokens,
          maxResponseTokens: o.maxResponseTokens,
        };
      } catch (error) {
        throw asUsageError(error);
      }
      const accepted = await submitJob('assay.certifier.evaluate', request);
      const result = await waitForResult<CertifyEvalResult>(accepted.jobId, json);
      const withUrl = { ...result, reportHttpUrl: `${certifierUrl()}${result.reportPath}` };
      print(withUrl, json, (r: typeof withUrl) =>
        [
          `held out (k chosen on ${r.split.calibration.inDomain} + ${r.split.calibration.outOfDomain} items, measured on the other ${r.split.heldOut.inDomain} + ${r.split.heldOut.outOfDomain}):`,
          JSON.stringify({ auroc: r.auroc, k: r.k, frr: r.frr, oodRejection: r.oodRejection, youdenJ: r.youden.j, domainCertificateLog2: r.domainCertificateLog2 }, null, 2),
          `in sample (k chosen and measured on all items; optimistic): ${JSON.stringify({ auroc: r.inSample.auroc, ...r.inSample.operatingPoint })}`,
          `report: ${r.reportHttpUrl} (x-api-key)${r.reportUrl ? `\n        ${r.reportUrl}` : ''}`,
        ].join('\n'),
      );
    });
}

interface BenchOptions {
  model: string;
  guide: string;
  data: string;
  outOfDomain?: string;
  outOfDomainKind?: string;
  epsilons?: number[];
  ks?: number[];
  T?: number;
  maxItems?: number;
  json?: boolean;
}

/** `assay certify-bench`: certified accuracy on multiple choice (MedQA/MMLU style JSONL). */
export function certifyBenchCommand(): Command {
  return new Command('certify-bench')
    .requiredOption('--model <L>', 'the large model L')
    .requiredOption('--guide <G>', 'the guide G')
    .requiredOption('--data <file|key>', 'JSONL with question, options {"A": ...}, answer_idx (e.g. ../shared/data/medqa_usmle/test.jsonl)')
    .option('--out-of-domain <file|key>', 'OOD set that calibrates k for each ε (needed with --epsilons)')
    .option('--out-of-domain-kind <kind>', 'responses or prompts (default: responses)')
    .option('--epsilons <log2 e,...>', 'comma-separated log2 ε values', numbers)
    .option('--ks <k,...>', 'comma-separated k values (bits/token)', numbers)
    .option('--T <n>', 'VALID rounds the certificate charges for (default: 1)', int)
    .option('--max-items <n>', 'questions (default: 200)', int)
    .option('--json', 'the result as one JSON object')
    .action(async (o: BenchOptions) => {
      const json = Boolean(o.json);
      let request: SubjectRequest<'assay.certifier.benchmark'>;
      try {
        const data = await uploadIfLocal(o.data, 'certify-bench');
        const ood = o.outOfDomain ? await uploadIfLocal(o.outOfDomain, 'certify-bench') : undefined;
        request = {
          model: o.model,
          guide: o.guide,
          data,
          ...(ood ? { outOfDomain: { key: ood, kind: kind(o.outOfDomainKind) } } : {}),
          epsilonsLog2: o.epsilons,
          ks: o.ks,
          T: o.T,
          maxItems: o.maxItems,
        };
      } catch (error) {
        throw asUsageError(error);
      }
      const accepted = await submitJob('assay.certifier.benchmark', request);
      const result = await waitForResult<CertifyBenchResult>(accepted.jobId, json);
      print(result, json, (r: CertifyBenchResult) =>
        [
          `accuracy ${r.accuracy.toFixed(3)} on ${r.n} questions (chance ${r.chance.toFixed(3)})`,
          ...r.points.map((p) => `  ${p.log2Epsilon === null ? `k = ${p.k}` : `log2 ε = ${p.log2Epsilon} → k = ${p.k === null ? 'none' : p.k.toFixed(3)}`}: certified accuracy ${p.certifiedAccuracy.toFixed(3)}, FRR ${p.frr.toFixed(3)}`),
          `report: ${certifierUrl()}${r.reportPath} (x-api-key)`,
        ].join('\n'),
      );
    });
}
