import { randomBytes } from 'node:crypto';
import { connect, type NatsConnection } from 'nats';
import { AssayError } from '../../src/errors';
import { jobNames } from '../../src/jobs/names';

export const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

export function connectTest(name: string): Promise<NatsConnection> {
  return connect({ servers: NATS_URL, name });
}

/** A namespace of our own, so tests never meet each other or a running platform. */
export function uniqueNamespace(): string {
  return `t${randomBytes(5).toString('hex')}`;
}

/** Removes the namespace's streams and buckets. */
export async function dropNamespace(nc: NatsConnection, namespace: string): Promise<void> {
  const names = jobNames(namespace);
  const jsm = await nc.jetstreamManager();
  for (const stream of [names.stream, names.dlqStream, `KV_${names.recordsBucket}`, `KV_${names.checkpointsBucket}`]) {
    await jsm.streams.delete(stream).catch(() => undefined);
  }
}

export async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The AssayError a promise rejects with (fails the test when it resolves or rejects with something else). */
export async function rejection(promise: Promise<unknown>): Promise<AssayError> {
  const outcome = await promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in outcome)) throw new Error(`expected a rejection, got ${JSON.stringify(outcome.value)}`);
  if (!(outcome.error instanceof AssayError)) throw new Error(`expected an AssayError, got ${String(outcome.error)}`);
  return outcome.error;
}
