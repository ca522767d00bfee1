import { Controller, Get, Header, HttpStatus, Res, SetMetadata } from '@nestjs/common';
import type { Response } from 'express';
import { HealthRegistry } from '../health';
import { MetricsRegistry } from '../metrics';
import { PUBLIC_ROUTE } from './tokens';

@Controller()
@SetMetadata(PUBLIC_ROUTE, true)
export class ObservabilityController {
  constructor(
    private readonly health: HealthRegistry,
    private readonly metrics: MetricsRegistry,
  ) {}

  /** Readiness: each dependency checked now; 503 when any is down, with which and why. */
  @Get('health')
  async report(@Res() response: Response): Promise<void> {
    const report = await this.health.report();
    response.status(report.status === 'up' ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).json(report);
  }

  /** Liveness: the process answers. */
  @Get('health/live')
  @Header('Cache-Control', 'no-store')
  live(): { status: 'up' } {
    return { status: 'up' };
  }

  @Get('metrics')
  async render(@Res() response: Response): Promise<void> {
    response.setHeader('Content-Type', this.metrics.contentType());
    response.send(await this.metrics.render());
  }
}
