import 'reflect-metadata';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, MessagePattern, NatsContext, Payload, RpcException } from '@nestjs/microservices';
import { SpanKind, context, trace } from '@opentelemetry/api';
import type { NatsConnection } from 'nats';
import { AssayError, NatsTraceInterceptor, RpcClient, maxPayload, natsServerOptions, serviceQueue } from '../src';
import { NATS_URL, connectTest, rejection, sleep, uniqueNamespace, waitFor } from './support/nats';
import { setupTracing } from './support/tracing';

// Nest patterns are fixed at class definition: a run-unique prefix keeps parallel runs apart.
const NS = uniqueNamespace();
const S = {
  echo: `${NS}.rpctest.echo`,
  slow: `${NS}.rpctest.slow`,
  notFound: `${NS}.rpctest.not-found`,
  crash: `${NS}.rpctest.crash`,
  event: `${NS}.rpctest.happened`,
  nobody: `${NS}.rpctest.nobody`,
};

const received: { data: unknown; traceId?: string; headers: string[] }[] = [];

@Controller()
class TestController {
  @MessagePattern(S.echo)
  async echo(@Payload() data: unknown, @Ctx() ctx: NatsContext) {
    await sleep(5); // the span must survive an await
    return { echo: data, subject: ctx.getSubject(), traceId: trace.getActiveSpan()?.spanContext().traceId };
  }

  @MessagePattern(S.slow)
  async slow(@Payload() data: { ms: number }) {
    await sleep(data.ms);
    return 'late';
  }

  @MessagePattern(S.notFound)
  notFound(@Payload() data: { id: string }) {
    throw new RpcException(new AssayError('NOT_FOUND', `no model ${data.id}`, { id: data.id }).toEnvelope());
  }

  @MessagePattern(S.crash)
  crash() {
    throw new Error('boom');
  }

  @EventPattern(S.event)
  happened(@Payload() data: unknown, @Ctx() ctx: NatsContext) {
    received.push({ data, traceId: trace.getActiveSpan()?.spanContext().traceId, headers: ctx.getHeaders()?.keys() ?? [] });
  }
}

@Module({ controllers: [TestController] })
class TestModule {}

describe('RpcClient against a Nest NATS microservice', () => {
  const tracing = setupTracing();
  let app: INestMicroservice;
  let nc: NatsConnection;
  let rpc: RpcClient;

  beforeAll(async () => {
    const options = natsServerOptions({ servers: NATS_URL }, 'rpctest');
    options.options!.gracefulShutdown = false; // no 5 s drain in tests
    app = await NestFactory.createMicroservice(TestModule, { ...options, logger: false });
    app.useGlobalInterceptors(new NatsTraceInterceptor());
    await app.listen();
    nc = await connectTest('rpc-spec');
    rpc = new RpcClient(nc, { defaultTimeoutMs: 2_000 });
  });

  afterAll(async () => {
    await app?.close();
    await nc?.close();
    await tracing.shutdown();
  });

  beforeEach(() => tracing.exporter.reset());

  it('builds Nest transport options with a queue group per service', () => {
    const options = natsServerOptions({ servers: 'nats://a:4222', user: 'u', pass: 'p' }, 'certifier');
    expect(options.options).toMatchObject({ servers: 'nats://a:4222', queue: 'assay.certifier', user: 'u', pass: 'p', maxReconnectAttempts: -1 });
    expect(serviceQueue('certifier')).toBe('assay.certifier');
    expect(natsServerOptions({ servers: 'x', token: 't' }, 'a').options).toMatchObject({ token: 't' });
  });

  it('round-trips a request in Nest wire format', async () => {
    const reply = await rpc.request<{ echo: unknown; subject: string }>(S.echo, { n: 42, s: 'é' });
    expect(reply.echo).toEqual({ n: 42, s: 'é' });
    expect(reply.subject).toBe(S.echo);
  });

  it('client and server spans share one trace; the server span is the client span’s child', async () => {
    const reply = await trace.getTracer('test').startActiveSpan('caller', async (root) => {
      try {
        return await rpc.request<{ traceId: string }>(S.echo, { hello: 1 });
      } finally {
        root.end();
      }
    });
    const spans = tracing.exporter.getFinishedSpans();
    const caller = spans.find((s) => s.name === 'caller')!;
    const client = spans.find((s) => s.name === `${S.echo} send`)!;
    const server = spans.find((s) => s.name === `${S.echo} process`)!;
    expect(client.kind).toBe(SpanKind.CLIENT);
    expect(server.kind).toBe(SpanKind.SERVER);
    expect(client.spanContext().traceId).toBe(caller.spanContext().traceId);
    expect(server.spanContext().traceId).toBe(client.spanContext().traceId);
    expect(server.parentSpanContext?.spanId).toBe(client.spanContext().spanId);
    expect(reply.traceId).toBe(client.spanContext().traceId); // the handler ran inside the server span
    for (const span of [client, server]) {
      expect(span.attributes['messaging.system']).toBe('nats');
      expect(span.attributes['messaging.destination.name']).toBe(S.echo);
    }
    expect(client.attributes['messaging.operation']).toBe('publish');
    expect(server.attributes['messaging.operation']).toBe('process');
  });

  it('maps a slow handler to TIMEOUT after the given timeout', async () => {
    const started = Date.now();
    const error = await rejection(rpc.request(S.slow, { ms: 1_000 }, { timeoutMs: 150 }));
    expect(error).toBeInstanceOf(AssayError);
    expect(error.code).toBe('TIMEOUT');
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(Date.now() - started).toBeLessThan(900);
    const client = tracing.exporter.getFinishedSpans().find((s) => s.name === `${S.slow} send`)!;
    expect(client.attributes['error.type']).toBe('TIMEOUT');
  });

  it('maps a subject without subscribers to UNAVAILABLE at once', async () => {
    const started = Date.now();
    const error = await rejection(rpc.request(S.nobody, {}));
    expect(error).toBeInstanceOf(AssayError);
    expect(error.code).toBe('UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(1_000); // the 503 status, not the 2 s timeout
  });

  it('refuses a payload over max_payload before sending', async () => {
    const limit = maxPayload(nc);
    expect(limit).toBeGreaterThan(0);
    const outBefore = nc.stats().outMsgs;
    const error = await rejection(rpc.request(S.echo, { blob: 'x'.repeat(limit) }));
    expect(error).toBeInstanceOf(AssayError);
    expect(error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(error.details).toMatchObject({ limit });
    expect(nc.stats().outMsgs).toBe(outBefore);
    expect(() => rpc.emit(S.event, { blob: 'x'.repeat(limit) })).toThrow(AssayError);
  });

  it('turns an error envelope reply into the same AssayError', async () => {
    const error = await rejection(rpc.request(S.notFound, { id: 'gpt-x' }));
    expect(error).toBeInstanceOf(AssayError);
    expect(error.toEnvelope()).toEqual({ code: 'NOT_FOUND', message: 'no model gpt-x', details: { id: 'gpt-x' } });
  });

  it('turns other remote failures into INTERNAL', async () => {
    const error = await rejection(rpc.request(S.crash, {}));
    expect(error).toBeInstanceOf(AssayError);
    expect(error.code).toBe('INTERNAL');
  });

  it('requires a positive timeout', async () => {
    await expect(rpc.request(S.echo, {}, { timeoutMs: 0 })).rejects.toThrow(/timeout/);
  });

  it('emits Nest events carrying the trace context to a CONSUMER span', async () => {
    const root = trace.getTracer('test').startSpan('emitter');
    context.with(trace.setSpan(context.active(), root), () => rpc.emit(S.event, { fact: 'done' }));
    root.end();
    const got = await waitFor(() => received.find((r) => (r.data as { fact?: string }).fact === 'done'), 3_000, 'event');
    expect(got.headers).toContain('traceparent');
    expect(got.traceId).toBe(root.spanContext().traceId);
    const consumer = await waitFor(() => tracing.exporter.getFinishedSpans().find((s) => s.name === `${S.event} process`), 2_000, 'consumer span');
    expect(consumer.kind).toBe(SpanKind.CONSUMER);
  });
});
