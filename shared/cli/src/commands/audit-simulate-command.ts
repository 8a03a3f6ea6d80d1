/**
 * `assay audit simulate`: Monte Carlo rejection rate and samples to reject of an audit test on simulated scores,
 * on every core (audit-simulate.ts), with a progress bar on a terminal and progress lines otherwise.
 */
import { Command } from 'commander';
import { SingleBar } from 'cli-progress';
import fs from 'node:fs';
import { parseDistributionSpec, SimulatedTestKind } from '@assay/stats';
import { asUsageError, print, usage } from '../output';
import { defaultWorkers, runAuditSimulation, SamplerSource } from './audit-simulate';

/** This command's options over its parent's (see auditCommand). */
export function withParentOptions<T>(command: Command): T {
  const own = Object.fromEntries(Object.entries(command.opts()).filter(([, v]) => v !== undefined));
  return { ...(command.parent?.opts() ?? {}), ...own } as T;
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

/** A distribution spec (beta:2,8, bernoulli:0.1, uniform:0,1, normal:m,s), or file:<scores.jsonl> read here. */
export function samplerSourceFor(spec: string): SamplerSource {
  const parsed = parseDistributionSpec(spec);
  if (parsed.kind === 'sampler') return spec;
  return { values: parseScoreLines(fs.readFileSync(parsed.path, 'utf8'), parsed.path), description: spec };
}

/** A bar on a terminal; on a pipe, a line at every tenth of the runs (and the last); nothing with --json. */
function progressReporter(json: boolean): { onRun: (done: number, total: number, rejections: number) => void; stop: () => void } {
  if (json) return { onRun: () => undefined, stop: () => undefined };
  const started = Date.now();
  if (process.stderr.isTTY) {
    const bar = new SingleBar({ format: ' simulate {bar} {value}/{total} runs | {rejections} rejected | ETA {eta_formatted}', hideCursor: true });
    let begun = false;
    return {
      onRun: (done, total, rejections) => {
        if (!begun) bar.start(total, 0, { rejections: 0 });
        begun = true;
        bar.update(done, { rejections });
      },
      stop: () => begun && bar.stop(),
    };
  }
  let nextTenth = 1;
  return {
    onRun: (done, total, rejections) => {
      if (done < (nextTenth * total) / 10 && done < total) return;
      while (nextTenth * total <= done * 10) nextTenth++;
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      process.stderr.write(`audit simulate: ${done}/${total} runs, ${rejections} rejected, ${seconds} s\n`);
    },
    stop: () => undefined,
  };
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
  workers?: number;
  json?: boolean;
}

/** A distribution spec or score file the user gave that does not parse is a usage error (exit 2). */
function usageOf<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw asUsageError(error);
  }
}

export function simulateCommand(): Command {
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
    .option('--workers <n>', `worker threads for the witness test (default: the available cores, here ${defaultWorkers()}); results do not depend on it`, Number)
    .option('--json', 'one JSON object')
    .action(async (_o: unknown, command: Command) => {
      const o = withParentOptions<SimulateOptions>(command);
      const json = Boolean(o.json);
      const progress = progressReporter(json);
      try {
        if (!o.reference || !o.candidate) usage('--reference and --candidate distributions are required (see assay audit simulate --help)');
        const test = o.test ?? 'witness';
        if (!['witness', 'mean-difference', 'naive-t'].includes(test)) usage(`--test must be witness, mean-difference or naive-t, got ${test}`);
        if (o.workers !== undefined && !(Number.isInteger(o.workers) && o.workers >= 1)) usage(`--workers must be an integer >= 1, got ${o.workers}`);
        // The other tests take microseconds per run: starting threads would cost more than it saves.
        const workers = test === 'witness' ? (o.workers ?? defaultWorkers()) : 1;
        const started = performance.now();
        const result = await runAuditSimulation(
          {
            reference: usageOf(() => samplerSourceFor(o.reference!)),
            candidate: usageOf(() => samplerSourceFor(o.candidate!)),
            epsilon: o.epsilon ?? 0,
            alpha: o.alpha ?? 0.05,
            runs: o.runs,
            batchSize: o.batchSize ?? 50,
            budget: o.budget ?? 2000,
            test: test as SimulatedTestKind,
            seed: o.seed,
          },
          { workers, onRun: progress.onRun },
        );
        progress.stop();
        const { samples_to_reject: _all, ...summary } = result;
        const seconds = Number(((performance.now() - started) / 1000).toFixed(2));
        print({ ...summary, seconds, workers: Math.min(workers, result.runs) }, json, (r: typeof summary & { seconds: number; workers: number }) =>
          `${r.test}: rejected ${r.rejections}/${r.runs} runs (rate ${r.rejection_rate.toFixed(3)} ± ${r.rejection_rate_se.toFixed(3)}); median samples to reject ${r.median_samples_to_reject ?? '-'}\n  ${r.seconds} s on ${r.workers} worker${r.workers === 1 ? '' : 's'}`,
        );
      } catch (error) {
        progress.stop();
        throw error;
      }
    });
}
