import { Controller, createParamDecorator, ExecutionContext, Module, Type } from '@nestjs/common';
import { AssayError, OperationId, SERVICE_CONTRACTS, SERVICES, ServiceName, Subject } from '@assay/contracts';
import { maxPayload } from '@assay/messaging';
import { PlatformHarness } from '@assay/testing';
import { AnswersSubject, PlatformModule, ServesRoute } from '../src';

/** What the stand-in handlers reply, chosen by the (unvalidated) request: too large for NATS by default. */
type Ask = { small?: boolean; bigint?: boolean } | undefined;
/** The raw request, as a custom parameter: the subject's request pipe validates only the payload parameter. */
const RawRequest = createParamDecorator((_data: unknown, context: ExecutionContext) => context.switchToRpc().getData());

/**
 * A stand-in for one service of the registry, built from its contract: every subject it declares (its health
 * subject is the platform's) is answered through the real `@AnswersSubject` with a reply over NATS's max_payload,
 * and every route is served so the boot-time contract check passes. The handlers take the raw request, not the
 * validated `@Payload()`, so any request reaches them: the reply path, not validation, is under test.
 */
function oversizedRepliesModule(service: ServiceName, replyBytes: number): Type<unknown> {
  class OversizedReplies {}
  const contract = SERVICE_CONTRACTS[service];
  const define = (key: string, method: (ask: Ask) => unknown) => {
    Object.defineProperty(OversizedReplies.prototype, key, { value: method, writable: true, configurable: true, enumerable: false });
    return Object.getOwnPropertyDescriptor(OversizedReplies.prototype, key)!;
  };
  for (const subject of Object.keys(contract.subjects)) {
    if (subject === `assay.${service}.health`) continue;
    const key = `answer ${subject}`;
    const descriptor = define(key, (ask: Ask) => (ask?.small ? { small: true } : ask?.bigint ? { count: BigInt(1) } : { padding: 'x'.repeat(replyBytes) }));
    RawRequest()(OversizedReplies.prototype, key, 0);
    AnswersSubject(subject as Subject)(OversizedReplies.prototype, key, descriptor as never);
  }
  for (const operationId of Object.keys(contract.routes)) {
    const key = `serve ${operationId}`;
    const descriptor = define(key, () => ({}));
    ServesRoute(operationId as OperationId)(OversizedReplies.prototype, key, descriptor);
  }
  Controller()(OversizedReplies);
  @Module({ imports: [PlatformModule.forRoot({ service })], controllers: [OversizedReplies] })
  class OversizedRepliesModule {}
  return OversizedRepliesModule;
}

const subjectsOf = (service: ServiceName) => Object.keys(SERVICE_CONTRACTS[service].subjects).filter((s) => s !== `assay.${service}.health`);

/**
 * Issue 16 F1 for every reply-producing subject of the registry (new services are covered as they are added): a
 * reply over NATS's max_payload comes back as PAYLOAD_TOO_LARGE, one that cannot be encoded as INTERNAL, and the
 * service answers the next request. Before the fix the publish threw inside Nest and the caller timed out.
 */
describe('replies over the NATS limit, for every subject in the registry (real nats-server)', () => {
  const harness = new PlatformHarness('reply-limit');
  let limit: number;

  beforeAll(async () => {
    await harness.start();
    limit = maxPayload(harness.nc);
    for (const service of SERVICES) await harness.startService(oversizedRepliesModule(service, limit + 1024), service);
  }, 120_000);
  afterAll(() => harness.close());

  it('covers every service of the registry and at least one subject of each that does work', () => {
    expect([...harness.apps.keys()].sort()).toEqual([...SERVICES].sort());
    expect(SERVICES.flatMap(subjectsOf).length).toBeGreaterThanOrEqual(SERVICES.length);
  });

  it.each(SERVICES.flatMap((service) => subjectsOf(service).map((subject) => [subject, service] as const)))(
    '%s: an oversized reply answers PAYLOAD_TOO_LARGE and the service keeps answering',
    async (subject, service) => {
      const error = await harness.rpc.request(subject, {}, { timeoutMs: 10_000 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(AssayError);
      const refusal = error as AssayError;
      expect(refusal.code).toBe('PAYLOAD_TOO_LARGE');
      expect(refusal.message).toContain(subject);
      expect(refusal.message).toMatch(/smaller batch/);
      expect(refusal.details).toMatchObject({ subject, limit });
      expect((refusal.details as { size: number }).size).toBeGreaterThan(limit);

      const unencodable = await harness.rpc.request(subject, { bigint: true }, { timeoutMs: 10_000 }).catch((e: unknown) => e);
      expect(unencodable).toMatchObject({ code: 'INTERNAL', message: expect.stringContaining('could not be encoded') });

      await expect(harness.rpc.request(subject, { small: true }, { timeoutMs: 10_000 })).resolves.toEqual({ small: true });
      await expect(harness.rpc.call(`assay.${service}.health` as 'assay.generation.health', {}, { timeoutMs: 10_000 })).resolves.toMatchObject({ status: 'ok' });
    },
  );

  it('names the HTTP route that carries the same request without a size limit, when there is one', async () => {
    const error = (await harness.rpc.request('assay.generation.generate', {}, { timeoutMs: 10_000 }).catch((e: unknown) => e)) as AssayError;
    expect(error.details).toMatchObject({ http: 'POST /v1/generate' });
    expect(error.message).toContain('POST /v1/generate over HTTP');
  });
});
