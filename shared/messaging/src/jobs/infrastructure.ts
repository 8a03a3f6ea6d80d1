import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  nanos,
  type JetStreamManager,
  type KV,
  type NatsConnection,
  type StreamConfig,
} from 'nats';
import { maxPayload } from '../connection';
import type { ResolvedJobsConfig } from './config';
import { Checkpoints } from './checkpoints';
import { JobRecords } from './job-records';
import { consumerName, queueFilter, type JobNames } from './names';

export interface JobStores {
  jsm: JetStreamManager;
  records: JobRecords;
  checkpoints: Checkpoints;
}

/** Room left in a message for the KV subject and headers. */
const KV_OVERHEAD_BYTES = 8 * 1024;

/**
 * Creates (or finds) the job streams and buckets; idempotent, run by every client and worker at start.
 *
 * The jobs stream uses WORK-QUEUE retention: a job message exists only while the job waits or runs, and is
 * removed when acked or termed. Status, progress and results live in the KV record, dead payloads in the DLQ
 * stream, so nothing else needs the message afterwards, and the stream never has to be trimmed. Work-queue
 * streams also refuse overlapping consumers, which guards against two consumer configs running one job twice.
 */
export async function ensureJobStores(nc: NatsConnection, names: JobNames, config: ResolvedJobsConfig): Promise<JobStores> {
  const jsm = await nc.jetstreamManager();
  await ensureStream(jsm, {
    name: names.stream,
    subjects: [`${names.jobsSubjectRoot}.>`],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    discard: DiscardPolicy.New,
    duplicate_window: nanos(config.duplicateWindowMs),
    num_replicas: config.replicas,
  });
  await ensureStream(jsm, {
    name: names.dlqStream,
    subjects: [`${names.dlqSubjectRoot}.>`],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: nanos(config.recordTtlMs),
    duplicate_window: nanos(config.duplicateWindowMs),
    num_replicas: config.replicas,
  });
  const js = nc.jetstream();
  const bucket = (name: string): Promise<KV> =>
    js.views.kv(name, { history: 1, ttl: config.recordTtlMs, replicas: config.replicas, storage: StorageType.File });
  const limit = maxPayload(nc) - KV_OVERHEAD_BYTES;
  return {
    jsm,
    records: new JobRecords(await bucket(names.recordsBucket), limit),
    checkpoints: new Checkpoints(await bucket(names.checkpointsBucket), Math.min(config.checkpointMaxBytes, limit)),
  };
}

async function ensureStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }): Promise<void> {
  try {
    await jsm.streams.info(config.name);
  } catch (error) {
    if (!isNotFound(error)) throw error;
    try {
      await jsm.streams.add(config);
    } catch (addError) {
      // Another process created it between our info and add.
      if (!/already in use|already exists/i.test((addError as Error).message)) throw addError;
    }
  }
}

/** One durable pull consumer per queue; ack_wait and max_deliver follow the config (updated when they changed). */
export async function ensureQueueConsumer(jsm: JetStreamManager, names: JobNames, queue: string, config: ResolvedJobsConfig): Promise<string> {
  const durable = consumerName(queue);
  const wanted = { ack_wait: nanos(config.ackWaitMs), max_deliver: config.maxDeliver };
  try {
    const info = await jsm.consumers.info(names.stream, durable);
    if (info.config.ack_wait !== wanted.ack_wait || info.config.max_deliver !== wanted.max_deliver) {
      await jsm.consumers.update(names.stream, durable, wanted);
    }
  } catch (error) {
    if (!isNotFound(error)) throw error;
    await jsm.consumers.add(names.stream, {
      durable_name: durable,
      filter_subject: queueFilter(names, queue),
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      max_ack_pending: 1_000,
      ...wanted,
    });
  }
  return durable;
}

function isNotFound(error: unknown): boolean {
  const e = error as { api_error?: { code?: number }; code?: string | number; message?: string };
  return e?.api_error?.code === 404 || e?.code === '404' || e?.code === 404 || /not found/i.test(e?.message ?? '');
}
