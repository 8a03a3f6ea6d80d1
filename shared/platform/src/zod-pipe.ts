import { ArgumentMetadata, PipeTransform } from '@nestjs/common';
import { z } from 'zod/v4';
import { AssayError, parseOrThrow } from '@assay/contracts';
import { MalformedMessage } from './nats-deserializer';

/**
 * Validates one handler argument against its contract schema, for HTTP bodies and NATS payloads alike
 * (`@Body(new ZodPipe(Schema))`, `@Payload(new ZodPipe(Schema))`).
 */
export class ZodPipe<S extends z.ZodType> implements PipeTransform<unknown, z.output<S>> {
  constructor(
    private readonly schema: S,
    private readonly what = 'request',
  ) {}

  transform(value: unknown, _metadata?: ArgumentMetadata): z.output<S> {
    if (value instanceof MalformedMessage) throw new AssayError(value.code, value.reason);
    return parseOrThrow(this.schema, value, this.what);
  }
}
