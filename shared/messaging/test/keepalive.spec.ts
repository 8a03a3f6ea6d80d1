import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { NatsConnection } from 'nats';
import { KEEPALIVE_HEADER, RpcClient } from '../src';
import { NATS_URL, connectTest, rejection, waitFor } from './support/nats';

/**
 * A caller that asks for keep-alives notices within its liveness window that the responder died
 * mid-request (a real process, SIGKILLed), instead of waiting for the request's whole timeout.
 */
describe('keep-alives: in-flight requests fail fast when their responder dies', () => {
  const subject = `assay.keepalive-test.${randomBytes(4).toString('hex')}`;
  const children: ChildProcess[] = [];
  let nc: NatsConnection;

  async function responder(): Promise<ChildProcess> {
    const child = fork(path.join(__dirname, 'fixtures/slow-responder.ts'), [], {
      execArgv: ['-r', require.resolve('@swc-node/register')],
      env: { ...process.env, NATS_URL, SUBJECT: subject },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.push(child);
    const events: string[] = [];
    child.on('message', (m) => events.push((m as { type: string }).type));
    await waitFor(() => events.includes('ready'), 30_000, 'responder ready');
    (child as ChildProcess & { events: string[] }).events = events;
    return child;
  }

  beforeAll(async () => {
    nc = await connectTest('keepalive-spec');
  });
  afterEach(() => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
  });
  afterAll(() => nc?.close());

  it('a request longer than the liveness window succeeds: keep-alives prove the responder lives', async () => {
    await responder();
    const rpc = new RpcClient(nc, { defaultTimeoutMs: 20_000, livenessMs: 600 });
    const reply = await rpc.request<{ done: boolean }>(subject, { ms: 2_000 });
    expect(reply.done).toBe(true);
  });

  it('SIGKILL of the responder mid-request fails the call as UNAVAILABLE within the liveness window, not at the timeout', async () => {
    const child = await responder();
    const rpc = new RpcClient(nc, { defaultTimeoutMs: 30_000, livenessMs: 1_500 });
    const started = Date.now();
    const pending = rejection(rpc.request(subject, { ms: 20_000 }));
    await waitFor(() => (child as ChildProcess & { events: string[] }).events.includes('working'), 10_000, 'request in the handler');
    const killedAt = Date.now();
    child.kill('SIGKILL');
    const error = await pending;
    const afterKill = Date.now() - killedAt;
    console.log(`in-flight request failed ${afterKill} ms after SIGKILL (liveness window 1500 ms, timeout 30000 ms)`);
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toMatch(/went silent/);
    expect(afterKill).toBeLessThan(1_500 + 500);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('a new request to a subject nobody serves fails at once (no responders)', async () => {
    const rpc = new RpcClient(nc, { defaultTimeoutMs: 30_000, livenessMs: 1_500 });
    const started = Date.now();
    const error = await rejection(rpc.request(`${subject}.nobody`, {}));
    expect(error.code).toBe('UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('callers that do not ask (plain nats clients) get only the answer, no keep-alive', async () => {
    await responder();
    const seen: Array<{ keepalive: boolean; body: string }> = [];
    const inbox = `_INBOX.${randomBytes(6).toString('hex')}`;
    const sub = nc.subscribe(inbox, { callback: (_e, m) => seen.push({ keepalive: Boolean(m.headers?.get(KEEPALIVE_HEADER)), body: new TextDecoder().decode(m.data) }) });
    nc.publish(subject, new TextEncoder().encode(JSON.stringify({ pattern: subject, data: { ms: 1_200 }, id: 'plain-1' })), { reply: inbox });
    await waitFor(() => seen.some((s) => s.body.includes('done')), 10_000, 'the answer');
    sub.unsubscribe();
    expect(seen.filter((s) => s.keepalive)).toEqual([]);
  });
});
