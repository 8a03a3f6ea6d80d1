export * from './types';
export * from './config';
export { jobNames, jobIdFor, jobSubject, queueFilter, consumerName, dlqSubject, eventsSubject, assertQueueName, type JobNames } from './names';
export type { ListFilter } from './job-records';
export { JOB_ID_HEADER, QUEUE_HEADER, type JobLogger } from './dead-letters';
export { ensureJobStores } from './infrastructure';
export { JobsClient, type SubmitOptions, type SubmitResult, type WatchOptions } from './jobs-client';
export { JobWorker, type JobWorkerOptions, type StopOptions } from './job-worker';
export type { AbortReason } from './job-run';
