import { ConsumerDeserializer, IncomingRequest } from '@nestjs/microservices';

/**
 * Marks a NATS message that could not be decoded. It reaches the handler's validation pipe, which turns
 * it into a BAD_REQUEST / PAYLOAD_TOO_LARGE envelope, so a hostile message gets an answer instead of
 * killing the subscription or timing the caller out.
 */
export class MalformedMessage {
  constructor(
    readonly code: 'BAD_REQUEST' | 'PAYLOAD_TOO_LARGE',
    readonly reason: string,
  ) {}
}

/**
 * Nest's JSON deserializer throws on bad JSON and treats a bare JSON body (without Nest's
 * `{pattern,data,id}` wrapper) as an event that gets no reply. This one accepts both shapes, so plain
 * `nats req assay.likelihood.score '{...}'` works, and converts undecodable input into MalformedMessage.
 */
export class SafeNatsDeserializer implements ConsumerDeserializer {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });

  constructor(private readonly maxMessageBytes: number) {}

  deserialize(value: Uint8Array, options?: { channel?: string; replyTo?: string }): IncomingRequest {
    const pattern = options?.channel ?? '';
    const id = options?.replyTo ? 'raw' : (undefined as unknown as string);
    if (value.byteLength > this.maxMessageBytes) {
      return { pattern, id, data: new MalformedMessage('PAYLOAD_TOO_LARGE', `message of ${value.byteLength} bytes exceeds the limit of ${this.maxMessageBytes}`) };
    }
    let decoded: unknown;
    try {
      decoded = JSON.parse(this.decoder.decode(value));
    } catch (error) {
      return { pattern, id, data: new MalformedMessage('BAD_REQUEST', `message is not valid UTF-8 JSON: ${(error as Error).message.slice(0, 120)}`) };
    }
    if (isNestPacket(decoded)) {
      return { pattern: decoded.pattern ?? pattern, id: decoded.id ?? id, data: decoded.data };
    }
    return { pattern, id, data: decoded };
  }
}

function isNestPacket(value: unknown): value is { pattern?: string; id?: string; data: unknown } {
  return typeof value === 'object' && value !== null && 'pattern' in value && 'data' in value;
}
