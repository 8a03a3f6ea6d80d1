import { createHash, randomUUID } from 'node:crypto';

/** Every stream, bucket and subject of the job system, derived from one namespace. */
export interface JobNames {
  namespace: string;
  /** Work-queue stream holding pending job messages. */
  stream: string;
  /** Limits stream keeping dead-lettered payloads with their error, for inspection and replay. */
  dlqStream: string;
  /** `<ns>.jobs`: job messages go to `<ns>.jobs.<queue>.<jobId>`. */
  jobsSubjectRoot: string;
  dlqSubjectRoot: string;
  recordsBucket: string;
  checkpointsBucket: string;
  /** `<ns>.events.jobs`: live events on `<ns>.events.jobs.<jobId>`. */
  eventsRoot: string;
  completedSubject: string;
  /** Core subject every worker listens on to abort a running job. */
  cancelSubject: string;
}

export function jobNames(namespace: string): JobNames {
  const upper = namespace.toUpperCase();
  return {
    namespace,
    stream: `${upper}_JOBS`,
    dlqStream: `${upper}_JOBS_DLQ`,
    jobsSubjectRoot: `${namespace}.jobs`,
    dlqSubjectRoot: `${namespace}.dlq.jobs`,
    recordsBucket: `${namespace}_jobs`,
    checkpointsBucket: `${namespace}_job_checkpoints`,
    eventsRoot: `${namespace}.events.jobs`,
    completedSubject: `${namespace}.events.jobs.completed`,
    cancelSubject: `${namespace}.control.jobs.cancel`,
  };
}

/** Queue names are dot-separated lowercase words, `<service>.<verb>`, e.g. `guide-training.train`. */
const QUEUE_NAME = /^[a-z0-9][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)*$/;

export function assertQueueName(queue: string): void {
  if (!QUEUE_NAME.test(queue)) {
    throw new Error(`invalid job queue name "${queue}": use dot-separated lowercase words like "guide-training.train"`);
  }
}

/** One subject per job, so a pending message can be found (and purged) by subject. */
export function jobSubject(names: JobNames, queue: string, jobId: string): string {
  return `${names.jobsSubjectRoot}.${queue}.${jobId}`;
}

/** A queue's consumer filter; `a.*` and `a.b.*` never overlap (token counts differ), as a work-queue stream requires. */
export function queueFilter(names: JobNames, queue: string): string {
  return `${names.jobsSubjectRoot}.${queue}.*`;
}

/** Durable consumer names cannot contain dots. Queue names have no underscores, so the mapping is one-to-one. */
export function consumerName(queue: string): string {
  return queue.replace(/\./g, '_');
}

export function dlqSubject(names: JobNames, queue: string): string {
  return `${names.dlqSubjectRoot}.${queue}`;
}

export function eventsSubject(names: JobNames, jobId: string): string {
  return `${names.eventsRoot}.${jobId}`;
}

/** Job id from a job message subject `<ns>.jobs.<queue>.<jobId>`. */
export function jobIdFromSubject(subject: string): string {
  return subject.slice(subject.lastIndexOf('.') + 1);
}

/** Idempotent submission: the same (queue, clientKey) always names the same job. */
export function jobIdFor(queue: string, clientKey: string): string {
  return createHash('sha256').update(JSON.stringify([queue, clientKey])).digest('hex').slice(0, 32);
}

export function newJobId(): string {
  return randomUUID().replace(/-/g, '');
}
