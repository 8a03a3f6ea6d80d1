import { assertQueueName, consumerName, jobIdFor, jobIdFromSubject, jobNames, jobSubject, newJobId, queueFilter } from './names';

describe('job names', () => {
  const names = jobNames('assay');

  it('derives every stream, bucket and subject from the namespace', () => {
    expect(names).toMatchObject({
      stream: 'ASSAY_JOBS',
      dlqStream: 'ASSAY_JOBS_DLQ',
      recordsBucket: 'assay_jobs',
      checkpointsBucket: 'assay_job_checkpoints',
      completedSubject: 'assay.events.jobs.completed',
    });
    expect(jobSubject(names, 'guide-training.train', 'abc')).toBe('assay.jobs.guide-training.train.abc');
    expect(queueFilter(names, 'guide-training.train')).toBe('assay.jobs.guide-training.train.*');
    expect(jobIdFromSubject('assay.jobs.guide-training.train.abc')).toBe('abc');
  });

  it('maps queue names to distinct durable consumer names', () => {
    expect(consumerName('guide-training.train')).toBe('guide-training_train');
    expect(consumerName('a.b-c')).not.toBe(consumerName('a-b.c'));
  });

  it('makes job ids deterministic per (queue, clientKey) and random otherwise', () => {
    expect(jobIdFor('q.a', 'k1')).toBe(jobIdFor('q.a', 'k1'));
    expect(jobIdFor('q.a', 'k1')).toMatch(/^[0-9a-f]{32}$/);
    expect(jobIdFor('q.a', 'k1')).not.toBe(jobIdFor('q.b', 'k1'));
    expect(jobIdFor('q.a', 'k1')).not.toBe(jobIdFor('q.a', 'k2'));
    expect(jobIdFor('q', 'a\nb')).not.toBe(jobIdFor('q\na', 'b'));
    expect(newJobId()).toMatch(/^[0-9a-f]{32}$/);
    expect(newJobId()).not.toBe(newJobId());
  });

  it('accepts dot-separated lowercase queue names only', () => {
    expect(() => assertQueueName('guide-training.train')).not.toThrow();
    expect(() => assertQueueName('auditor.audit')).not.toThrow();
    for (const bad of ['', 'Upper.case', 'under_score', 'a..b', '.a', 'a.', 'a.*', 'a.>', 'a b']) {
      expect(() => assertQueueName(bad)).toThrow(/invalid job queue name/);
    }
  });
});
