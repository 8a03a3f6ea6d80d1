import type { NatsOptions } from '@nestjs/microservices';
import { ServerNats } from '@nestjs/microservices';
import type { NatsContext } from '@nestjs/microservices';
import { Empty, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from 'nats';
import { headersSize } from '../codec';
import { DEFAULT_MAX_PAYLOAD } from '../config';
import { AssayError } from '../errors';
import { keepaliveHeaders, requestedKeepalive } from '../keepalive';
import { replyTooLarge } from '../reply-limit';
import { registrySubject, requestSubject } from '../subjects';

/** What Nest's Server.send hands the publisher: one reply packet of a stream (see rpc-client.ts NestReply). */
interface ReplyPacket {
  id?: string;
  response?: unknown;
  err?: unknown;
  isDisposed?: boolean;
}

type EncodedReply = { data: Uint8Array; headers?: MsgHdrs };
type NatsServerOptions = Required<NatsOptions>['options'] & {
  /** Platform namespace: each `@MessagePattern(subject)` is subscribed on requestSubject(namespace, subject). */
  namespace?: string;
};
type NatsClient = Parameters<ServerNats['bindEvents']>[0];

/** A responder that never answers still stops beating after this long. */
const MAX_KEEPALIVE_SPAN_MS = 30 * 60_000;

/**
 * Nest's NATS server with the one reply path every Assay service uses, hardened so that no message can end the
 * process. Nest publishes replies with `msg.respond()` from a detached promise: a reply over the server's
 * max_payload makes nats.js throw MAX_PAYLOAD_EXCEEDED there, the rejection is unhandled, and Node exits (issue 16
 * F1: 64 prompts × 90 tokens with hidden states, a 398-byte request, a ~4.4 MB reply). Here
 *  - a reply over max_payload is not sent; the caller gets PAYLOAD_TOO_LARGE saying how to get the data instead
 *    (a smaller batch, the HTTP route of the same request, or the object store): see reply-limit.ts;
 *  - a reply that cannot be encoded (a cycle, a BigInt) becomes an INTERNAL envelope;
 *  - a publish that still fails (connection closed while draining) and anything thrown while handling a message
 *    are logged, never rethrown into the event loop.
 * The work behind a refused reply is done and discarded: the size of a reply is known only once it exists.
 *
 * It also sends keep-alives (keepalive.ts) to callers that ask for them: one as soon as the message arrives,
 * before it is decoded, then one per interval until the last reply (or error) is published, so a caller whose
 * responder is killed mid-request fails in about one liveness window instead of its full timeout.
 */
export class AssayNatsServer extends ServerNats {
  /** Stops the beat of a request, by reply subject (an inbox of its own per request). */
  private readonly beating = new Map<string, () => void>();

  private readonly namespace: string | undefined;
  private readonly queue: string | undefined;
  private readonly namespaced: Subscription[] = [];

  constructor(options: NatsServerOptions) {
    const { namespace, ...natsOptions } = options;
    super(natsOptions);
    this.namespace = namespace;
    this.queue = natsOptions.queue;
    requestSubject(namespace, 'assay.check'); // a bad namespace fails at boot
  }

  /**
   * Nest subscribes each handler's pattern as its subject; here the subject is the namespaced one (subjects.ts),
   * the same mapping RpcClient applies, while routing inside stays by the registry's subject.
   */
  override bindEvents(client: NatsClient): void {
    const defaultQueue = this.queue;
    for (const [channel, handlerRef] of this.messageHandlers) {
      const queue = (handlerRef.extras?.queue as string | undefined) ?? defaultQueue;
      const subscription = client.subscribe(requestSubject(this.namespace, channel), { queue, callback: this.getMessageHandler(channel).bind(this) });
      this.namespaced.push(subscription);
    }
  }

  override async handleMessage(channel: string, natsMsg: Msg): Promise<unknown> {
    const stopBeat = this.keepAlive(natsMsg);
    try {
      const result = await super.handleMessage(channel, natsMsg);
      // Handled as an event (nothing will be published through getPublisher): nothing to keep alive.
      if (natsMsg.reply && !this.answering.has(natsMsg.reply)) stopBeat();
      return result;
    } catch (error) {
      stopBeat();
      this.logger.error(`message on ${channel} failed outside its handler: ${(error as Error)?.stack ?? String(error)}`);
      if (natsMsg.reply) this.respondSafely(natsMsg, { err: AssayError.internal(`${channel}: the message could not be handled`).toEnvelope(), isDisposed: true });
      return undefined;
    } finally {
      if (natsMsg.reply) this.answering.delete(natsMsg.reply);
    }
  }

  /** Requests whose answer goes through getPublisher: their last packet stops the beat. */
  private readonly answering = new Set<string>();

  override getPublisher(natsMsg: Msg, id: string, ctx: NatsContext): (response: ReplyPacket) => void {
    const reply = natsMsg.reply;
    if (!reply) return () => undefined;
    this.answering.add(reply);
    return (response: ReplyPacket) => {
      Object.assign(response, { id });
      if (response.isDisposed || (response.err !== undefined && response.err !== null)) this.beating.get(reply)?.();
      this.onProcessingEndHook?.(this.transportId, ctx);
      this.respondSafely(natsMsg, response);
    };
  }

  override async close(): Promise<void> {
    for (const stop of [...this.beating.values()]) stop();
    for (const subscription of this.namespaced.splice(0)) subscription.unsubscribe();
    await super.close();
  }

  /** Starts the keep-alives a request asked for (none when it did not); returns what stops them. */
  private keepAlive(natsMsg: Msg): () => void {
    const interval = requestedKeepalive(natsMsg.headers);
    const reply = natsMsg.reply;
    if (!interval || !reply) return () => undefined;
    const beat = () => {
      try {
        natsMsg.respond(Empty, { headers: keepaliveHeaders() });
      } catch {
        // connection closing: the caller learns from the silence
      }
    };
    const timer = setInterval(beat, interval);
    const cap = setTimeout(() => stop(), MAX_KEEPALIVE_SPAN_MS);
    const stop = () => {
      clearInterval(timer);
      clearTimeout(cap);
      this.beating.delete(reply);
    };
    this.beating.set(reply, stop);
    beat();
    return stop;
  }

  /** Encodes, checks the size against the connected server's max_payload, and publishes; never throws. */
  private respondSafely(natsMsg: Msg, packet: ReplyPacket): void {
    const subject = registrySubject(this.namespace, natsMsg.subject);
    const encoded = this.encode(subject, packet);
    try {
      natsMsg.respond(encoded.data, { headers: encoded.headers });
    } catch (error) {
      this.logger.error(`reply to ${subject} could not be published: ${(error as Error)?.message ?? String(error)}`);
    }
  }

  private encode(subject: string, packet: ReplyPacket): EncodedReply {
    const replace = (error: AssayError) => this.serialize({ id: packet.id, err: error.toEnvelope(), isDisposed: true });
    let encoded: EncodedReply;
    try {
      encoded = this.serialize(packet);
    } catch (error) {
      this.logger.error(`reply to ${subject} could not be encoded: ${(error as Error)?.message ?? String(error)}`);
      return replace(AssayError.internal(`the reply to ${subject} could not be encoded as JSON`, { subject }));
    }
    const size = encoded.data.length + headersSize(encoded.headers);
    const limit = this.maxPayload();
    if (size <= limit) return encoded;
    const refusal = replyTooLarge(subject, size, limit);
    this.logger.warn(`${refusal.message}`);
    return replace(refusal);
  }

  /** Nest's NATS record serializer (JSON, optional headers); the packet id is absent only when the request's is unknown. */
  private serialize(packet: ReplyPacket): EncodedReply {
    return (this.serializer.serialize as (value: unknown) => EncodedReply)(packet);
  }

  /** The connected server's max_payload; it can change after a reconnect to another server. */
  private maxPayload(): number {
    try {
      return this.unwrap<NatsConnection>().info?.max_payload ?? DEFAULT_MAX_PAYLOAD;
    } catch {
      return DEFAULT_MAX_PAYLOAD;
    }
  }
}
