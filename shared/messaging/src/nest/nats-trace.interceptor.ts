import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { NatsContext } from '@nestjs/microservices';
import { PATTERN_HANDLER_METADATA } from '@nestjs/microservices/constants';
import { PatternHandler } from '@nestjs/microservices/enums/pattern-handler.enum';
import { SpanKind, context, trace } from '@opentelemetry/api';
import { Observable } from 'rxjs';
import { extractTraceContext, messagingAttributes, recordSpanError, tracer } from '../tracing';

/**
 * Joins the caller's trace: Nest's ServerNats builds `NatsContext([subject, msg.headers])`, so the W3C
 * `traceparent` the RpcClient injected is in `getHeaders()`. The handler runs inside a SERVER span
 * (`@MessagePattern`) or CONSUMER span (`@EventPattern`) named `<subject> process`.
 */
@Injectable()
export class NatsTraceInterceptor implements NestInterceptor {
  intercept(execution: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (execution.getType() !== 'rpc') return next.handle();
    const nats = execution.switchToRpc().getContext();
    if (!(nats instanceof NatsContext)) return next.handle();

    const subject = nats.getSubject();
    const isEvent = Reflect.getMetadata(PATTERN_HANDLER_METADATA, execution.getHandler()) === PatternHandler.EVENT;
    const parent = extractTraceContext(nats.getHeaders());
    const span = tracer.startSpan(
      `${subject} process`,
      { kind: isEvent ? SpanKind.CONSUMER : SpanKind.SERVER, attributes: messagingAttributes(subject, 'process') },
      parent,
    );
    const active = trace.setSpan(parent, span);
    // Nest binds the handler's async context when handle() is called (AsyncResource.bind), so call and
    // subscribe inside the span's context.
    return new Observable((subscriber) =>
      context.with(active, () =>
        next.handle().subscribe({
          next: (value) => subscriber.next(value),
          error: (error) => {
            recordSpanError(span, error);
            span.end();
            subscriber.error(error);
          },
          complete: () => {
            span.end();
            subscriber.complete();
          },
        }),
      ),
    );
  }
}
