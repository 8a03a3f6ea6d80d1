import type { NatsConnection } from 'nats';
import { encodeNestEvent } from '../codec';
import { injectTraceHeaders } from '../tracing';
import { eventsSubject, type JobNames } from './names';
import { completedEvent, statusEvent } from './record';
import { isTerminal, type JobEvent, type JobRecord } from './types';

/**
 * Live job events are core NATS (at most once): watchers that miss one re-read the KV record, which always
 * holds the latest state. Bodies use Nest's event format so services can consume them with @EventPattern.
 */
export class JobEvents {
  constructor(
    private readonly nc: NatsConnection,
    private readonly names: JobNames,
  ) {}

  publish(event: JobEvent): void {
    this.send(eventsSubject(this.names, event.jobId), event);
  }

  /** A status change; a terminal one also emits the `completed` fact event. */
  status(record: JobRecord): void {
    this.publish(statusEvent(record));
    if (isTerminal(record.status)) this.send(this.names.completedSubject, completedEvent(record));
  }

  private send(subject: string, data: unknown): void {
    if (this.nc.isClosed()) return;
    this.nc.publish(subject, encodeNestEvent(subject, data), { headers: injectTraceHeaders() });
  }
}
