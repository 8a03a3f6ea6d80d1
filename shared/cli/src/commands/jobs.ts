import { Command } from 'commander';
import { SingleBar } from 'cli-progress';
import { isTerminal, JobRecord } from '@assay/messaging';
import { connectPlatform } from '../connect';
import { EXIT, print } from '../output';

function summary(job: JobRecord): string {
  const pct = `${Math.round((job.progress?.fraction ?? 0) * 100)}%`.padStart(4);
  return `${job.id}  ${job.queue.padEnd(22)} ${job.status.padEnd(10)} ${pct}  ${job.progress?.message ?? ''}${job.error ? `  error: ${job.error.code} ${job.error.message}` : ''}`;
}

/** Follows a job until it ends: a live progress bar, or one JSON line per event with --json. */
export async function watchJob(jobId: string, json: boolean): Promise<JobRecord> {
  const clients = await connectPlatform();
  try {
    const bar = json ? undefined : new SingleBar({ format: ' {bar} {percentage}% | {status} | {message}', hideCursor: true });
    let current = await clients.jobs.status(jobId);
    bar?.start(100, Math.round(current.progress.fraction * 100), { status: current.status, message: current.progress.message ?? '' });
    if (!isTerminal(current.status)) {
      for await (const event of clients.jobs.watch(jobId)) {
        if (json) console.log(JSON.stringify(event));
        const metrics = event.progress.metrics ? Object.entries(event.progress.metrics).map(([k, v]) => `${k}=${Number(v.toPrecision(4))}`).join(' ') : '';
        bar?.update(Math.round(event.progress.fraction * 100), { status: event.status, message: `${event.progress.message ?? ''} ${metrics}`.trim() });
        if (isTerminal(event.status)) break;
      }
      current = await clients.jobs.status(jobId);
    }
    bar?.update(Math.round(current.progress.fraction * 100), { status: current.status, message: current.progress.message ?? '' });
    bar?.stop();
    return current;
  } finally {
    await clients.close();
  }
}

export function jobsCommand(): Command {
  const jobs = new Command('jobs');
  jobs
    .command('list')
    .description('recent jobs, newest first')
    .option('--queue <queue>', 'only this queue (e.g. guide-training.train)')
    .option('--status <status>', 'only this status (queued|running|succeeded|failed|dead|cancelled)')
    .option('--limit <n>', 'at most n jobs', '20')
    .option('--json', 'one JSON object')
    .action(async (options: { queue?: string; status?: string; limit: string; json?: boolean }) => {
      const clients = await connectPlatform();
      try {
        const list = await clients.jobs.list({ queue: options.queue, status: options.status as never, limit: Number(options.limit) });
        print({ jobs: list }, Boolean(options.json), (v) => (v.jobs.length ? v.jobs.map(summary).join('\n') : 'no jobs'));
      } finally {
        await clients.close();
      }
    });
  jobs
    .command('show <id>')
    .description('one job: status, progress, result or error')
    .option('--json', 'one JSON object')
    .action(async (id: string, options: { json?: boolean }) => {
      const clients = await connectPlatform();
      try {
        const job = await clients.jobs.status(id);
        print(job, Boolean(options.json), (j) => `${summary(j)}\n${JSON.stringify({ result: j.result, error: j.error, attempts: j.attempts, createdAt: j.createdAt, finishedAt: j.finishedAt }, null, 2)}`);
      } finally {
        await clients.close();
      }
    });
  jobs
    .command('watch <id>')
    .description('live progress bar until the job ends')
    .option('--json', 'one JSON event per line, then the final record')
    .action(async (id: string, options: { json?: boolean }) => {
      const job = await watchJob(id, Boolean(options.json));
      print(job, Boolean(options.json), summary);
      // The record, error included, is the last line; the exit code says the job did not succeed.
      if (job.status !== 'succeeded') process.exitCode = EXIT.jobFailed;
    });
  return jobs;
}
