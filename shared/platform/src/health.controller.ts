import { Controller, Get, Header, HttpCode, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from './api-key.guard';
import { MetricsService } from './metrics.service';
import { ReadinessService } from './readiness.service';

@ApiExcludeController()
@Public()
@Controller()
export class HealthController {
  constructor(
    private readonly readiness: ReadinessService,
    private readonly metrics: MetricsService,
  ) {}

  /** Liveness: the process answers. Kubernetes restarts the pod when this fails. */
  @Get('healthz')
  @HttpCode(200)
  healthz() {
    return { status: 'ok', uptimeSec: Math.round(process.uptime()) };
  }

  /** Readiness: NATS connected, object store reachable, models loaded. 503 keeps traffic away until then. */
  @Get('readyz')
  async readyz(@Res() res: Response) {
    const report = await this.readiness.evaluate();
    res.status(report.ready ? 200 : 503).json({ status: report.ready ? 'ready' : 'not-ready', ...report });
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4')
  metricsText() {
    return this.metrics.render();
  }
}
