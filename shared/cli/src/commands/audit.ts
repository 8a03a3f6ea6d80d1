import { Command } from 'commander';
import fs from 'node:fs';
import { AuditReport, AuditStartInput, JobAccepted, MetricInput } from '@assay/contracts';
import { empiricalSampler, parseDistributionSpec, ScoreSampler, simulateAudit, SimulatedTestKind } from '@assay/stats';
import { connectPlatform } from '../connect';
import { fail, print } from '../output';
import { uploadIfLocal } from '../platform-calls';
import { watchJob } from './jobs';

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
    .description('audit a candidate model against a reference for a shift in behaviour (anytime-valid, by betting)')
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

/** This command's options over its parent's (see auditCommand). */
function withParentOptions<T>(command: Command): T {
  const own = Object.fromEntries(Object.entries(command.opts()).filter(([, v]) => v !== undefined));
  return { ...(command.parent?.opts() ?? {}), ...own } as T;
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
  if (!o.reference || !o.candidate || !o.prompts) fail('--reference, --candidate and --prompts are required (see assay audit --help)', json);
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
    fail((error as Error).message, json);
  }
  const clients = await connectPlatform();
  let accepted: JobAccepted;
  try {
    accepted = await clients.rpc.call('assay.auditor.start', request);
  } catch (error) {
    await clients.close();
    const e = error as { code?: string; message: string };
    fail(e.message, json, e.code);
  }
  if (!o.wait) {
    await clients.close();
    print(accepted, json, (a: JobAccepted) => `audit ${a.jobId} ${a.status}\n  follow: assay jobs watch ${a.jobId}\n  report: assay audit show ${a.jobId}`);
    return;
  }
  await clients.close();
  await watchJob(accepted.jobId, false);
  await showAudit(accepted.jobId, json);
}

async function showAudit(id: string, json: boolean): Promise<void> {
  const clients = await connectPlatform();
  try {
    const report = await clients.rpc.call('assay.auditor.get', { id });
    print(report, json, humanReport);
    if (report.decision === 'failed') process.exitCode = 1;
  } catch (error) {
    const e = error as { code?: string; message: string };
    fail(e.message, json, e.code);
  } finally {
    await clients.close();
  }
}

function humanReport(r: AuditReport): string {
  const mean = (m: AuditReport['means']['reference']) => (m.mean === null ? 'n/a' : `${m.mean.toFixed(4)}  95% CI [${m.low?.toFixed(4) ?? '-inf'}, ${m.high?.toFixed(4) ?? 'inf'}]  (n=${m.n})`);
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
    .description('decision, samples to decision, per-model means with 95% CIs, plot URL')
    .argument('<id>', 'audit job id')
    .option('--json', 'the full AuditReport')
    .action(async (id: string, _o: unknown, command: Command) => showAudit(id, Boolean(withParentOptions<{ json?: boolean }>(command).json)));
}

/** Scores from a file: one number or one {"score": x} per line (blank lines skipped). */
export function parseScoreLines(text: string, source: string): number[] {
  return text
    .split(/\r?\n/)
    .map((line, i) => ({ line: line.trim(), n: i + 1 }))
    .filter(({ line }) => line !== '')
    .map(({ line, n }) => {
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        throw new Error(`${source}:${n}: not a number or JSON`);
      }
      const score = typeof value === 'number' ? value : (value as { score?: unknown } | null)?.score;
      if (typeof score !== 'number' || !Number.isFinite(score)) throw new Error(`${source}:${n}: expected a number or {"score": number}`);
      return score;
    });
}

/** A distribution spec (beta:2,8, bernoulli:0.1, uniform:0,1, normal:m,s) or file:<scores.jsonl>, read here. */
export function samplerFor(spec: string): ScoreSampler {
  const parsed = parseDistributionSpec(spec);
  if (parsed.kind === 'sampler') return parsed.sampler;
  return empiricalSampler(parseScoreLines(fs.readFileSync(parsed.path, 'utf8'), parsed.path), spec);
}

interface SimulateOptions {
  reference?: string;
  candidate?: string;
  epsilon?: number;
  alpha?: number;
  runs: number;
  batchSize?: number;
  budget?: number;
  test?: string;
  seed: number;
  json?: boolean;
}

function simulateCommand(): Command {
  return new Command('simulate')
    .description('Monte Carlo rejection rate and samples to reject of the audit test on simulated scores (no services)')
    .option('--reference <dist>', 'reference scores: beta:a,b | bernoulli:p | uniform:lo,hi | normal:m,s | file:<scores.jsonl> (required)')
    .option('--candidate <dist>', 'candidate scores, same forms (required)')
    .option('--epsilon <e>', 'tolerance ε (default: 0)', Number)
    .option('--alpha <a>', 'type I error α (default: 0.05)', Number)
    .option('--runs <n>', 'independent audits', Number, 100)
    .option('--batch-size <n>', 'pairs per betting round (default: 50)', Number)
    .option('--budget <n>', 'most pairs per audit (default: 2000)', Number)
    .option('--test <kind>', 'witness | mean-difference | naive-t (the invalid peeking baseline) (default: witness)')
    .option('--seed <n>', 'simulation seed', Number, 0)
    .option('--json', 'one JSON object')
    .action((_o: unknown, command: Command) => {
      const o = withParentOptions<SimulateOptions>(command);
      const json = Boolean(o.json);
      try {
        if (!o.reference || !o.candidate) throw new Error('--reference and --candidate distributions are required (see assay audit simulate --help)');
        const test = o.test ?? 'witness';
        if (!['witness', 'mean-difference', 'naive-t'].includes(test)) throw new Error(`--test must be witness, mean-difference or naive-t, got ${test}`);
        const result = simulateAudit({
          reference: samplerFor(o.reference),
          candidate: samplerFor(o.candidate),
          epsilon: o.epsilon ?? 0,
          alpha: o.alpha ?? 0.05,
          runs: o.runs,
          batchSize: o.batchSize ?? 50,
          budget: o.budget ?? 2000,
          test: test as SimulatedTestKind,
          seed: o.seed,
        });
        const { samples_to_reject: _all, ...summary } = result;
        print(summary, json, (r: typeof summary) =>
          `${r.test}: rejected ${r.rejections}/${r.runs} runs (rate ${r.rejection_rate.toFixed(3)} ± ${r.rejection_rate_se.toFixed(3)}); median samples to reject ${r.median_samples_to_reject ?? '-'}`,
        );
      } catch (error) {
        fail((error as Error).message, json);
      }
    });
}
