import { Controller, Type } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { z } from 'zod/v4';
import { ServiceName } from '@assay/contracts';
import { ZodPipe } from './zod-pipe';

const HealthRequestSchema = z.object({}).passthrough().optional();

/**
 * `assay.<service>.health` over NATS: liveness for callers that only speak NATS (and the messaging
 * benchmark's service path: the full Nest pipeline with validation, tracing and metrics, no model work).
 */
export function healthRpcController(service: ServiceName): Type<unknown> {
  const started = Date.now();
  @Controller()
  class HealthRpcController {
    @MessagePattern(`assay.${service}.health`)
    health(@Payload(new ZodPipe(HealthRequestSchema)) _request: unknown) {
      return { service, status: 'ok', uptimeSec: Math.round((Date.now() - started) / 1000) };
    }
  }
  return HealthRpcController;
}
