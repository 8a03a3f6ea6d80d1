import type { z } from 'zod/v4';
import { AUDITOR_CONTRACT } from './auditor';
import { CALIBRATOR_CONTRACT } from './calibrator';
import { CERTIFIER_CONTRACT } from './certifier';
import type { QueueContract, RouteContract, SubjectContract } from './contract';
import { GATEWAY_CONTRACT } from './gateway';
import { GENERATION_CONTRACT } from './generation';
import { GUIDE_TRAINING_CONTRACT } from './guide-training';
import { LIKELIHOOD_CONTRACT } from './likelihood';
import { REWARD_HEAD_CONTRACT } from './reward-head';
import { RECTIFIER_CONTRACT } from './rectifier';
import { PORT_OFFSETS, SERVICES, type ServiceName } from './services';

/**
 * The typed registry: every Assay service with its NATS subjects, durable job queues and HTTP routes, each
 * declared once (with its zod schemas) in the service's contract file. Everything else is derived from here:
 * the committed NATS catalogue and OpenAPI document (`npm run contracts`), `rpc.call(subject, request)`,
 * the typed jobs client and `@HandlesJob(queue)`, the service list and HTTP ports. See README "Adding a service".
 */
export const SERVICE_CONTRACTS = {
  generation: GENERATION_CONTRACT,
  likelihood: LIKELIHOOD_CONTRACT,
  'guide-training': GUIDE_TRAINING_CONTRACT,
  certifier: CERTIFIER_CONTRACT,
  auditor: AUDITOR_CONTRACT,
  calibrator: CALIBRATOR_CONTRACT,
  'reward-head': REWARD_HEAD_CONTRACT,
  rectifier: RECTIFIER_CONTRACT,
  gateway: GATEWAY_CONTRACT,
} as const;

export { SERVICES, PORT_OFFSETS } from './services';
export type { ServiceName } from './services';
if (Object.keys(SERVICE_CONTRACTS).join() !== SERVICES.join()) throw new Error(`contract registry: the services are ${Object.keys(SERVICE_CONTRACTS).join(', ')} but services.ts lists ${SERVICES.join(', ')}`);

type Contracts = (typeof SERVICE_CONTRACTS)[ServiceName];
type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;

export type SubjectContracts = UnionToIntersection<Contracts['subjects']>;
export type QueueContracts = UnionToIntersection<Contracts['queues']>;
export type RouteContracts = UnionToIntersection<Contracts['routes']>;

function merged<T>(part: (contract: Contracts) => object, what: string): T {
  const out: Record<string, unknown> = {};
  for (const contract of Object.values(SERVICE_CONTRACTS)) {
    for (const [key, value] of Object.entries(part(contract))) {
      if (key in out) throw new Error(`contract registry: ${what} "${key}" is declared twice`);
      out[key] = value;
    }
  }
  return out as T;
}

/** Subject → {request, reply}. */
export const SUBJECT_CONTRACTS = merged<SubjectContracts>((c) => c.subjects, 'subject');
/** Job queue → {payload, result}. */
export const QUEUE_CONTRACTS = merged<QueueContracts>((c) => c.queues, 'queue');
/** operationId → HTTP route of one service. */
export const ROUTE_CONTRACTS = merged<RouteContracts>((c) => c.routes, 'operationId');

for (const service of SERVICES) {
  if (SERVICE_CONTRACTS[service].portOffset !== PORT_OFFSETS[service]) throw new Error(`contract registry: ${service} must take its port offset from services.ts`);
}

export type Subject = keyof SubjectContracts & string;
export type JobQueue = keyof QueueContracts & string;
export type OperationId = keyof RouteContracts & string;

/** What a caller may send on `S` (defaults optional). */
export type SubjectRequest<S extends Subject> = z.input<SubjectContracts[S]['request']>;
/** What the handler of `S` receives (defaults applied). */
export type SubjectRequestParsed<S extends Subject> = z.output<SubjectContracts[S]['request']>;
/** What `S` replies. */
export type SubjectReply<S extends Subject> = z.output<SubjectContracts[S]['reply']>;

/** What a submitter may send to queue `Q`. */
export type JobPayloadInput<Q extends JobQueue> = z.input<QueueContracts[Q]['payload']>;
/** What the handler of `Q` receives. */
export type JobPayload<Q extends JobQueue> = z.output<QueueContracts[Q]['payload']>;
export type JobResult<Q extends JobQueue> = z.output<QueueContracts[Q]['result']>;

/** The registry as the job system's queue map (see @assay/messaging QueueSpec). */
export type AssayJobQueues = { [Q in JobQueue]: { payload: JobPayload<Q>; result: JobResult<Q>; input: JobPayloadInput<Q> } };

export function subjectContract<S extends Subject>(subject: S): SubjectContract & SubjectContracts[S] {
  return SUBJECT_CONTRACTS[subject] as SubjectContract & SubjectContracts[S];
}

export function queueContract<Q extends JobQueue>(queue: Q): QueueContract & QueueContracts[Q] {
  return QUEUE_CONTRACTS[queue] as QueueContract & QueueContracts[Q];
}

export function routeContract<O extends OperationId>(operationId: O): RouteContract & RouteContracts[O] & { service: ServiceName } {
  return ROUTE_CONTRACTS[operationId] as RouteContract & RouteContracts[O] & { service: ServiceName };
}

export function isSubject(value: string): value is Subject {
  return Object.prototype.hasOwnProperty.call(SUBJECT_CONTRACTS, value);
}

export function isJobQueue(value: string): value is JobQueue {
  return Object.prototype.hasOwnProperty.call(QUEUE_CONTRACTS, value);
}

/** NATS queue group of a service's subscribers. */
export function queueGroup(service: ServiceName): string {
  return `assay.${service}`;
}

/** Facts published without a reply, `assay.events.<...>` (job events live in @assay/messaging). */
export const EVENT_SUBJECTS = { runCompleted: 'assay.events.run.completed' } as const;
