import { Controller, Type } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { HealthReply, ServiceName, Subject } from '@assay/contracts';
import { AnswersSubject } from './contract-handlers';

/**
 * `assay.<service>.health` over NATS: liveness for callers that only speak NATS (and the messaging
 * benchmark's service path: the full Nest pipeline with validation, tracing and metrics, no model work).
 */
export function healthRpcController(service: ServiceName): Type<unknown> {
  const started = Date.now();
  const subject = `assay.${service}.health` as Subject;
  @Controller()
  class HealthRpcController {
    @AnswersSubject(subject)
    health(@Payload() _request: unknown): HealthReply {
      return { service, status: 'ok', uptimeSec: Math.round((Date.now() - started) / 1000) };
    }
  }
  return HealthRpcController;
}
