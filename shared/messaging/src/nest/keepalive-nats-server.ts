import { ServerNats } from '@nestjs/microservices';
import type { NatsContext } from '@nestjs/microservices';
import { Empty, type Msg } from 'nats';
import { keepaliveHeaders, requestedKeepalive } from '../keepalive';

/** A responder that never answers still stops beating after this long. */
const MAX_KEEPALIVE_SPAN_MS = 30 * 60_000;

/**
 * Nest's NATS transport, plus keep-alives (see keepalive.ts) for requests that ask for them: the first one
 * goes out as soon as the message arrives, before it is decoded, then one per interval until the handler's
 * last reply (or error) is published. A caller whose responder is killed mid-request hears nothing more and
 * fails in about one liveness window instead of its full timeout.
 */
export class KeepaliveNatsServer extends ServerNats {
  /** Stops the beat of a request, by reply subject (an inbox of its own per request). */
  private readonly beating = new Map<string, () => void>();
  /** Requests whose answer goes through getPublisher: their last packet stops the beat. */
  private readonly answering = new Set<string>();

  override async handleMessage(channel: string, natsMsg: Msg): Promise<unknown> {
    const interval = requestedKeepalive(natsMsg.headers);
    const reply = natsMsg.reply;
    if (!interval || !reply) return super.handleMessage(channel, natsMsg);
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
    try {
      const result = await super.handleMessage(channel, natsMsg);
      // Handled as an event (no answer will be published): nothing to keep alive.
      if (!this.answering.has(reply)) stop();
      return result;
    } catch (error) {
      stop();
      throw error;
    } finally {
      this.answering.delete(reply);
    }
  }

  override getPublisher(natsMsg: Msg, id: string, ctx: NatsContext): (response: unknown) => unknown {
    const publish = super.getPublisher(natsMsg, id, ctx);
    const reply = natsMsg.reply;
    if (!reply || !this.beating.has(reply)) return publish;
    this.answering.add(reply);
    return (response: unknown) => {
      const packet = response as { err?: unknown; isDisposed?: boolean };
      if (packet.isDisposed || (packet.err !== undefined && packet.err !== null)) this.beating.get(reply)?.();
      return publish(response);
    };
  }

  override async close(): Promise<void> {
    for (const stop of [...this.beating.values()]) stop();
    await super.close();
  }
}
