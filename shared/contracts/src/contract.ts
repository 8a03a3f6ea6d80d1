import { z } from 'zod/v4';
import { HealthReplySchema, HealthRequestSchema } from './health';

/**
 * The shapes of Assay's typed registry (see registry.ts). Every NATS subject, durable job queue and HTTP route
 * is declared once, with the zod schemas that validate it; the NATS catalogue, the OpenAPI document and the
 * TypeScript types of callers and handlers are all derived from these declarations.
 */

/** A NATS request/reply subject `assay.<service>.<verb>`. Errors always reply with the ErrorEnvelope. */
export interface SubjectContract {
  request: z.ZodType;
  reply: z.ZodType;
  summary: string;
}

/** A durable JetStream job queue `<service>.<verb>`: what a submitter sends, what the handler returns. */
export interface QueueContract {
  payload: z.ZodType;
  result: z.ZodType;
  summary: string;
}

export type HttpMethod = 'get' | 'post';
/** application/json unless said otherwise; the others are documents served as they are. */
export type MediaType = 'application/json' | 'image/svg+xml' | 'text/html' | 'text/event-stream';

/** An HTTP route of one service; the key it is registered under is its OpenAPI operationId. */
export interface RouteContract {
  method: HttpMethod;
  /** OpenAPI style, `{name}` for path parameters: `/v1/audits/{id}`. */
  path: string;
  summary: string;
  description?: string;
  /** Success status: 200 unless given (202 for queued jobs). */
  status?: number;
  body?: z.ZodType;
  /** One schema per `{name}` of the path. */
  params?: Record<string, z.ZodType>;
  response?: z.ZodType;
  /** Media types of the success response (default application/json). */
  produces?: readonly MediaType[];
}

export interface ServiceDefinition<N extends string, S extends Record<string, SubjectContract>, Q extends Record<string, QueueContract>, R extends Record<string, RouteContract>, P extends string = N> {
  service: N;
  /**
   * The middle part of the service's subjects when it is not the service name (the reward-head service answers
   * `assay.reward.*`); its health subject stays `assay.<service>.health`. Default: the service name.
   */
  subjectPrefix?: P;
  /** One line for people: the OpenAPI tag of the service. */
  description: string;
  /** HTTP port = ASSAY_PORT_BASE + portOffset when ASSAY_<SERVICE>_PORT is unset; unique per service. */
  portOffset: number;
  /** Keys `assay.<service>.<verb>` (another prefix is a compile error). Leave out when there are none. */
  subjects?: { [K in keyof S]: K extends `assay.${N | P}.${string}` ? S[K] : never };
  /** Keys `<service>.<verb>`; leave out when the service runs no durable jobs. */
  queues?: { [K in keyof Q]: K extends `${N}.${string}` ? Q[K] : never };
  /** operationId → route. Leave out when there are none. */
  routes?: R;
}

export type HealthSubjects<N extends string> = { [K in `assay.${N}.health`]: { request: typeof HealthRequestSchema; reply: typeof HealthReplySchema; summary: string } };
export type ServiceRoutes<N extends string, R> = { [K in keyof R]: R[K] & { service: N } };

/**
 * Declares one service's contracts (leave out an empty table rather than writing `{}`, which would widen the
 * registry's key types to any string). Keys are checked against the naming rules at compile time: subjects must be
 * `assay.<service>.<verb>`, queues `<service>.<verb>`; every service also answers `assay.<service>.health`.
 */
export function defineService<
  const N extends string,
  const S extends Record<string, SubjectContract> = {},
  const Q extends Record<string, QueueContract> = {},
  const R extends Record<string, RouteContract> = {},
  const P extends string = N,
>(definition: ServiceDefinition<N, S, Q, R, P>) {
  const health = {
    [`assay.${definition.service}.health`]: { request: HealthRequestSchema, reply: HealthReplySchema, summary: `Liveness of the ${definition.service} service` },
  } as HealthSubjects<N>;
  const routes = Object.fromEntries(Object.entries(definition.routes ?? {}).map(([id, route]) => [id, { ...route, service: definition.service }])) as ServiceRoutes<N, R>;
  return { service: definition.service, description: definition.description, portOffset: definition.portOffset, subjectPrefix: (definition.subjectPrefix ?? definition.service) as string, subjects: { ...(definition.subjects ?? {}), ...health } as unknown as S & HealthSubjects<N>, queues: (definition.queues ?? {}) as Q, routes };
}

/** The durable job record as the status routes return it, with the queue's result schema. */
export function jobStatusSchema<R extends z.ZodType>(result: R, id: string, description: string) {
  return z
    .object({
      id: z.string(),
      queue: z.string(),
      status: z.enum(['queued', 'running', 'succeeded', 'failed', 'dead', 'cancelled']),
      attempts: z.number().int(),
      progress: z.object({ fraction: z.number(), message: z.string().optional(), metrics: z.record(z.string(), z.number()).optional() }),
      result: result.optional().meta({ description: 'Present once the job succeeded.' }),
      error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).default({}) }).optional().meta({ description: 'The last error: the envelope {code, message, details}.' }),
      createdAt: z.string(),
      updatedAt: z.string(),
      startedAt: z.string().optional(),
      finishedAt: z.string().optional(),
    })
    .meta({ id, description });
}
