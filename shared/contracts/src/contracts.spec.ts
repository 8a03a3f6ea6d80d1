import fs from 'node:fs';
import { z } from 'zod/v4';
import { defineService } from './contract';
import { AssayError } from './errors';
import { GenerateRequestSchema } from './generation';
import { CertifyRequestSchema } from './certifier';
import { pathParams } from './openapi';
import { JobPayload, JobQueue, JobResult, OperationId, PORT_OFFSETS, SERVICE_CONTRACTS, QUEUE_CONTRACTS, ROUTE_CONTRACTS, SERVICES, SUBJECT_CONTRACTS, SubjectReply, SubjectRequest } from './registry';
import { parseOrThrow } from './validate';
import { CATALOGUE_FILE, OPENAPI_FILE, renderCatalogue, renderOpenApi } from './write-generated';

// Compile-time checks (run by `npm run typecheck`): the registry types every subject, queue and service name.
export function registryTypeChecks(): void {
  const request: SubjectRequest<'assay.certifier.certify'> = { model: 'l', guide: 'g', prompt: 'x', k: 1 };
  // @ts-expect-error k is required
  const missing: SubjectRequest<'assay.certifier.certify'> = { model: 'l', guide: 'g', prompt: 'x' };
  // @ts-expect-error no such subject
  const unknown: SubjectRequest<'assay.certifier.nope'> = {};
  const reply = {} as SubjectReply<'assay.likelihood.score'>;
  const sum: number = reply.results[0].sumLogprob;
  const payload = {} as JobPayload<'auditor.audit'>;
  const alpha: number = payload.alpha; // a default: always present in the handler's payload
  const result = {} as JobResult<'certifier.evaluate'>;
  const rejection: number = result.oodRejection;
  // @ts-expect-error snake_case is gone from the wire
  void result.ood_rejection;
  // @ts-expect-error a subject of another service
  defineService({ service: 'x', portOffset: 99, subjects: { 'assay.y.do': { request: z.object({}), reply: z.object({}), summary: '' } } });
  // @ts-expect-error a queue of another service
  defineService({ service: 'x', portOffset: 99, queues: { 'y.do': { payload: z.object({}), result: z.object({}), summary: '' } } });
  // @ts-expect-error not a queue
  const queue: JobQueue = 'certifier.nope';
  // @ts-expect-error not an operation
  const operation: OperationId = 'nope';
  void [request, missing, unknown, sum, alpha, rejection, queue, operation];
}

describe('contracts registry', () => {
  it('the committed NATS catalogue and OpenAPI are up to date (run `npm run contracts`)', () => {
    expect(fs.readFileSync(CATALOGUE_FILE, 'utf8')).toBe(renderCatalogue());
    expect(fs.readFileSync(OPENAPI_FILE, 'utf8')).toBe(renderOpenApi());
  });

  it('names subjects assay.<service>.<verb> and queues <service>.<verb>, of registered services', () => {
    const prefixes = new Set(SERVICES.flatMap((s) => [s, SERVICE_CONTRACTS[s].subjectPrefix]));
    for (const subject of Object.keys(SUBJECT_CONTRACTS)) {
      expect(subject).toMatch(/^assay\.[a-z-]+\.[a-z_]+$/);
      expect([...prefixes]).toContain(subject.split('.')[1]);
    }
    for (const queue of Object.keys(QUEUE_CONTRACTS)) expect(SERVICES).toContain(queue.split('.')[0]);
    for (const service of SERVICES) expect(SUBJECT_CONTRACTS).toHaveProperty([`assay.${service}.health`]);
  });

  it('gives every service its own port and every route its declared path parameters', () => {
    expect(new Set(Object.values(PORT_OFFSETS)).size).toBe(SERVICES.length);
    for (const [operationId, route] of Object.entries(ROUTE_CONTRACTS)) {
      expect([operationId, pathParams(route.path)]).toEqual([operationId, Object.keys(('params' in route && route.params) || {})]);
      expect(route.path).toMatch(/^\/v1\//);
    }
  });

  it('the catalogue and OpenAPI are derived from the registry: a new subject or route shows up in them', () => {
    const catalogue = JSON.parse(renderCatalogue()) as { subjects: Array<{ subject: string }>; queues: Array<{ queue: string }> };
    expect(catalogue.subjects.map((s) => s.subject).sort()).toEqual(Object.keys(SUBJECT_CONTRACTS).sort());
    expect(catalogue.queues.map((q) => q.queue).sort()).toEqual(Object.keys(QUEUE_CONTRACTS).sort());
    const openapi = JSON.parse(renderOpenApi()) as { paths: Record<string, Record<string, { operationId?: string }>> };
    const operationIds = Object.values(openapi.paths).flatMap((item) => Object.values(item).map((op) => op.operationId).filter(Boolean));
    expect(operationIds.sort()).toEqual(Object.keys(ROUTE_CONTRACTS).sort());
  });

  it('rejects bad requests with BAD_REQUEST naming the field, applies defaults to good ones', () => {
    expect(() => parseOrThrow(CertifyRequestSchema, { model: 'l', guide: 'g', prompt: 'x', k: Number.NaN })).toThrow(/k/);
    try {
      parseOrThrow(GenerateRequestSchema, { model: 'M@1', prompts: [''] });
    } catch (error) {
      expect(error).toBeInstanceOf(AssayError);
      expect((error as AssayError).code).toBe('BAD_REQUEST');
      expect(JSON.stringify((error as AssayError).details)).toContain('prompts.0');
    }
    const parsed = parseOrThrow(GenerateRequestSchema, { model: 'tiny', prompts: ['hi'] });
    expect(parsed).toMatchObject({ n: 1, maxNewTokens: 64, temperature: 1, topK: 0, topP: 1, stop: [] });
    // Chat requests: messages instead of prompts (one conversation or several), never both, never neither.
    const chat = parseOrThrow(GenerateRequestSchema, { model: 'tiny', messages: [{ role: 'user', content: 'hi' }], variant: 'quantized' });
    expect(chat).toMatchObject({ prompts: [], messages: [{ role: 'user', content: 'hi' }], variant: 'quantized' });
    expect(() => parseOrThrow(GenerateRequestSchema, { model: 'tiny', prompts: ['hi'], messages: [{ role: 'user', content: 'hi' }] })).toThrow(/either prompts \(non-empty\) or messages/);
    expect(() => parseOrThrow(GenerateRequestSchema, { model: 'tiny' })).toThrow(/either prompts \(non-empty\) or messages/);
  });
});
