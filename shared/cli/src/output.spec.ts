import { CommanderError } from 'commander';
import { AssayError } from '@assay/contracts';
import { classify, EXIT, JobFailedError, UsageError, asUsageError } from './output';

describe('CLI error classification (exit codes of README "The assay command")', () => {
  it('maps usage, unreachable platform and failed jobs to 2, 3 and 4, other errors to 1', () => {
    expect(classify(new CommanderError(1, 'commander.unknownOption', "error: unknown option '--x'"))).toEqual({
      exitCode: EXIT.usage,
      envelope: { code: 'BAD_REQUEST', message: "unknown option '--x'", details: { reason: 'commander.unknownOption' } },
    });
    expect(classify(new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)')).exitCode).toBe(EXIT.ok);
    expect(classify(new UsageError('--mode must be batched or sequential')).exitCode).toBe(EXIT.usage);
    expect(classify(AssayError.unavailable('cannot reach NATS')).exitCode).toBe(EXIT.unreachable);
    expect(classify(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8104'), { code: 'ECONNREFUSED' }))).toMatchObject({ exitCode: EXIT.unreachable, envelope: { code: 'UNAVAILABLE' } });
    expect(classify(Object.assign(new Error("ENOENT: no such file or directory, open 'x.jsonl'"), { code: 'ENOENT' }))).toMatchObject({ exitCode: EXIT.usage, envelope: { code: 'BAD_REQUEST' } });
    expect(classify(AssayError.notFound('no job x'))).toEqual({ exitCode: EXIT.error, envelope: { code: 'NOT_FOUND', message: 'no job x', details: {} } });
    expect(classify(AssayError.timeout('no reply')).exitCode).toBe(EXIT.error);
    expect(classify(new TypeError('x is undefined'))).toEqual({ exitCode: EXIT.error, envelope: { code: 'INTERNAL', message: 'x is undefined', details: {} } });
  });

  it('reports a failed job with its own code and details, plus the job id and status', () => {
    const failed = new JobFailedError('j1', 'dead', { code: 'TIMEOUT', message: 'no ack', details: { deliveries: 5 } });
    expect(classify(failed)).toEqual({ exitCode: EXIT.jobFailed, envelope: { code: 'TIMEOUT', message: 'job j1 dead: no ack', details: { deliveries: 5, jobId: 'j1', status: 'dead' } } });
    expect(classify(new JobFailedError('j2', 'cancelled')).envelope).toEqual({ code: 'INTERNAL', message: 'job j2 cancelled', details: { jobId: 'j2', status: 'cancelled' } });
  });

  it('turns input errors met while building a request into usage errors, leaving platform errors alone', () => {
    expect(asUsageError(new Error('metric bleu takes no argument'))).toBeInstanceOf(UsageError);
    const down = AssayError.unavailable('object store unavailable');
    expect(asUsageError(down)).toBe(down);
  });
});
