import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { JobAccepted, Subject, SubjectReply, SubjectRequest } from '@assay/contracts';
import { connectPlatform, objectStoreFromEnv } from './connect';
import { JobFailedError } from './output';
import { watchJob } from './commands/jobs';

/**
 * A local file is uploaded under a content-addressed key (`uploads/<folder>/<sha256 prefix>/<name>`: the same file
 * always gets the same key); anything that is not a local file is taken as an object key.
 */
export async function uploadIfLocal(value: string, folder: string): Promise<string> {
  if (!fs.existsSync(value) || !fs.statSync(value).isFile()) return value;
  const body = fs.readFileSync(value);
  const digest = createHash('sha256').update(body).digest('hex').slice(0, 16);
  const name = path.basename(value).replace(/[^A-Za-z0-9._-]/g, '_') || 'data';
  const key = `uploads/${folder}/${digest}/${name}`;
  const { store } = objectStoreFromEnv();
  if (!(await store.exists(key))) await store.put(key, body, { contentType: name.endsWith('.jsonl') ? 'application/x-ndjson' : 'text/plain' });
  return key;
}

type SubmitSubject = { [S in Subject]: SubjectReply<S> extends JobAccepted ? S : never }[Subject];

/**
 * Submits a job request over NATS (typed and validated by the contract registry); a refusal (BAD_REQUEST,
 * NOT_FOUND, ...) ends the command with its code (main.ts reports it).
 */
export async function submitJob<S extends SubmitSubject>(subject: S, request: SubjectRequest<S>): Promise<JobAccepted> {
  const clients = await connectPlatform();
  try {
    return (await clients.rpc.call(subject, request)) as JobAccepted;
  } finally {
    await clients.close();
  }
}

/** Follows a job with a live progress bar (JSON events with --json) and returns its result, or throws JobFailedError (exit 4). */
export async function waitForResult<R>(jobId: string, json: boolean): Promise<R> {
  const record = await watchJob(jobId, json);
  if (record.status !== 'succeeded') throw new JobFailedError(jobId, record.status, record.error);
  return record.result as R;
}

