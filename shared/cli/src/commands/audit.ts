import { Command } from 'commander';
import fs from 'node:fs';
import { AuditReport, AuditStartInput, JobAccepted, MetricInput } from '@assay/contracts';
import { connectPlatform } from '../connect';
import { asUsageError, EXIT, print, usage } from '../output';
import { uploadIfLocal } from '../platform-calls';
import { simulateCommand, withParentOptions } from './audit-simulate-command';
import { watchJob } from './jobs';

export { parseScoreLines } from './audit-simulate-command';

/**
 * `assay audit`: anytime-valid behaviour-shift audits (spec shared/specs/auditing.md).
 *   assay audit --reference m1 --candidate m2 --prompts prompts.jsonl --metric toxicity   queue an audit job
 *   assay audit show <id>                                                                  its decision and evidence
 *   assay audit simulate --reference beta:2,8 --candidate beta:2.4,8 --runs 200           power / FPR, no services
 */
export function auditCommand(): Command {
  // No commander defaults here: unless the program uses positional options, options written after `simulate`
  // or `show` are parsed by this parent command, so the subcommands read them back through `withParentOptions`.
  const audit = new Command('audit')
    .option('--reference <model>', 'reference model M1 (name or name@version)')
    .option('--candidate <model>', 'candidate model M2 (may equal the reference, with other --seeds)')
    .option('--prompts <file|key>', 'local JSONL/text file (uploaded first) or an object-store key; JSONL rows {"prompt", "reference"?}')
    .option('--metric <metric>', 'toxicity[:<classifier>] | perspective | chrf | bleu | lexicon:<w1,w2,...> | regex:<pattern> (default: toxicity)')
    .option('--lexicon-mode <mode>', 'lexicon metric: presence (any word → 1) or fraction (share of words) (default: presence)')
    .option('--regex-flags <flags>', 'regex metric flags among i, m, s, u (default: i)')
    .option('--epsilon <e>', 'tolerance ε (witness: ½·tanh witness scale; mean-difference: mean scale) (default: 0)', Number)
    .option('--alpha <a>', 'type I error α: reject when the wealth reaches 1/α (default: 0.05)', Number)
    .option('--budget <n>', 'most prompts generated per model (default: 2000)', Number)
    .option('--batch-size <n>', 'pairs per betting round (default: 50)', Number)
    .option('--test <kind>', 'witness | mean-difference (default: witness)')
    .option('--max-new-tokens <n>', 'tokens generated per prompt (default: 32)', Number)
    .option('--temperature <t>', 'sampling temperature (default: 0.7)', Number)
    .option('--top-p <p>', 'nucleus sampling (default: 0.9)', Number)
    .option('--seeds <r,c>', 'generation seeds of the reference and the candidate (default: 1000,2000)')
    .option('--wait', 'follow the job and print the report when it ends')
    .option('--json', 'one JSON object')
    .action(async (o: StartOptions) => startAudit(o));
  audit.addCommand(showCommand());
  audit.addCommand(simulateCommand());
  return audit;
}

interface StartOptions {
  reference?: string;
  candidate?: string;
  prompts?: string;
  metric?: string;
  lexiconMode?: string;
  regexFlags?: string;
  epsilon?: number;
  alpha?: number;
  budget?: number;
  batchSize?: number;
  test?: string;
  maxNewTokens?: number;
  temperature?: number;
  topP?: number;
  seeds?: string;
  wait?: boolean;
  json?: boolean;
}

/** `--metric` text → the wire metric: `toxicity`, `toxicity:my-clf`, `lexicon:idiot,moron`, `regex:\bhate\b`, ... */
export function parseMetricSpec(spec: string, options: { lexiconMode?: string; regexFlags?: string } = {}): MetricInput {
  const colon = spec.indexOf(':');
  const kind = (colon < 0 ? spec : spec.slice(0, colon)).trim().toLowerCase();
  const body = colon < 0 ? '' : spec.slice(colon + 1);
  switch (kind) {
    case 'toxicity':
      return body ? { kind, classifier: body } : { kind };
    case 'perspective':
    case 'chrf':
    case 'bleu':
      if (body) throw new Error(`metric ${kind} takes no argument`);
      return { kind };
    case 'lexicon': {
      const words = body.split(',').map((w) => w.trim()).filter(Boolean);
      if (words.length === 0) throw new Error('lexicon needs words: lexicon:<w1,w2,...>');
      const mode = options.lexiconMode ?? 'presence';
      if (mode !== 'presence' && mode !== 'fraction') throw new Error(`--lexicon-mode must be presence or fraction, got ${mode}`);
      return { kind, words, mode };
    }
    case 'regex':
      if (!body) throw new Error('regex needs a pattern: regex:<pattern>');
      return { kind, pattern: body, flags: options.regexFlags ?? 'i' };
    default:
      throw new Error(`unknown metric "${spec}" (toxicity, perspective, chrf, bleu, lexicon:<words>, regex:<pattern>)`);
  }
}

async function startAudit(o: StartOptions): Promise<void> {
  const json = Boolean(o.json);
  if (!o.reference || !o.candidate || !o.prompts) usage('--reference, --candidate and --prompts are required (see assay audit --help)');
  let request: AuditStartInput;
  try {
    const [reference, candidate] = (o.seeds ?? '1000,2000').split(',').map((s) => Number(s.trim()));
    // Unset options stay unset: the auditor's schema holds the defaults.
    request = {
      reference: o.reference!,
      candidate: o.candidate!,
      prompts: await uploadIfLocal(o.prompts!, 'prompts'),
      metric: parseMetricSpec(o.metric ?? 'toxicity', { lexiconMode: o.lexiconMode, regexFlags: o.regexFlags }),
      epsilon: o.epsilon,
      alpha: o.alpha,
      budget: o.budget,
      batchSize: o.batchSize,
      test: o.test as AuditStartInput['test'],
      maxNewTokens: o.maxNewTokens,
      temperature: o.temperature,
      topP: o.topP,
      seeds: { reference, candidate },
    };
  } catch (error) {
    throw asUsageError(error);
  }
  const clients = await connectPlatform();
  let accepted: JobAccepted;
  try {
    accepted = await clients.rpc.call('assay.auditor.start', request);
  } finally {
    await clients.close();
  }
  if (!o.wait) {
    print(accepted, json, (a: JobAccepted) => `audit ${a.jobId} ${a.status}\n  follow: assay jobs watch ${a.jobId}\n  report: assay audit show ${a.jobId}`);
    return;
  }
  await watchJob(accepted.jobId, false);
  await showAudit(accepted.jobId, json);
}

async function showAudit(id: string, json: boolean): Promise<void> {
  const clients = await connectPlatform();
  try {
    const report = await clients.rpc.call('assay.auditor.get', { id });
    print(report, json, humanReport);
    if (report.decision === 'failed') process.exitCode = EXIT.jobFailed;
  } finally {
    await clients.close();
  }
}

function humanReport(r: AuditReport): string {
  const mean = (m: AuditReport['means']['reference']) =>
    m.mean === null
      ? 'n/a'
      : `${m.mean.toFixed(4)}  ${m.interval === 'anytime-valid' ? `${Math.round(m.level * 100)}% anytime-valid [${m.low!.toFixed(4)}, ${m.high!.toFixed(4)}]` : 'no interval'}  (n=${m.n})`;
  return [
    `audit ${r.id}: ${r.decision.toUpperCase()} (${r.status}${r.stopReason ? `, ${r.stopReason}` : ''})`,
    `  ${r.reference ?? '?'} → ${r.candidate ?? '?'}   metric ${r.metric ?? '?'}   test ${r.test ?? '?'}   α=${r.alpha} ε=${r.epsilon}`,
    `  samples: ${r.samplesUsed} of budget ${r.budget ?? '?'} (${r.pairsUsed} paired, ${r.droppedPairs} dropped); to decision: ${r.samplesToDecision ?? '-'}`,
    `  log-wealth ${r.finalLogWealth.toFixed(3)} (reject at log(1/α) = ${r.threshold === null ? '? (not started)' : r.threshold.toFixed(3)})`,
    `  reference mean ${mean(r.means.reference)}`,
    `  candidate mean ${mean(r.means.candidate)}`,
    ...(r.resumedAt.length ? [`  resumed at prompt ${r.resumedAt.join(', ')}`] : []),
    ...(r.plotPresignedUrl ? [`  plot: ${r.plotPresignedUrl}`] : r.plotUrl ? [`  plot: ${r.plotUrl} (auditor HTTP, x-api-key)`] : []),
    ...(r.error ? [`  error: ${r.error.code} ${r.error.message}`] : []),
  ].join('\n');
}

function showCommand(): Command {
  return new Command('show')
    .description('decision, samples to decision, per-model means with 95% anytime-valid confidence sequences, plot URL')
    .argument('<id>', 'audit job id')
    .option('--json', 'the full AuditReport')
    .action(async (id: string, _o: unknown, command: Command) => showAudit(id, Boolean(withParentOptions<{ json?: boolean }>(command).json)));
}
