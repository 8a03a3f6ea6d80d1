import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { NatsContext } from '@nestjs/microservices';
import { Observable, tap } from 'rxjs';
import { AssayError } from '@assay/contracts';
import { MetricsService } from './metrics.service';

/** Counts and times every HTTP request and NATS message, labelled with the outcome's error code. */
@Injectable()
export class MetricsInterceptor implements NestInterceptor {
  constructor(private readonly metrics: MetricsService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const transport = context.getType() === 'rpc' ? 'nats' : 'http';
    const route =
      transport === 'nats'
        ? (context.switchToRpc().getContext<NatsContext>().getSubject?.() ?? 'unknown')
        : `${context.switchToHttp().getRequest().method} ${context.switchToHttp().getRequest().route?.path ?? 'unknown'}`;
    const stop = this.metrics.latency.startTimer({ transport, route });
    const done = (code: string) => {
      stop();
      this.metrics.requests.inc({ transport, route, code });
    };
    return next.handle().pipe(
      tap({ complete: () => done('OK'), error: (error) => done(AssayError.from(error).code) }),
    );
  }
}
