import { DynamicModule, Global, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { HealthRegistry } from '../health';
import { MetricsRegistry } from '../metrics';
import { ObservabilityController } from './observability.controller';
import { LOGGER } from './tokens';

export interface ObservabilityModuleOptions {
  appName: string;
  logger: Logger;
  /** Node's default process metrics (off when several apps share one test process). */
  defaultMetrics?: boolean;
}

/** What a test may change of an app module it starts in its own process. */
export type AppModuleOptions = Pick<ObservabilityModuleOptions, 'defaultMetrics'>;

/** Logger, metrics and health for the whole app: /health, /health/live and /metrics. */
@Global()
@Module({})
export class ObservabilityModule {
  static forRoot(options: ObservabilityModuleOptions): DynamicModule {
    return {
      module: ObservabilityModule,
      controllers: [ObservabilityController],
      providers: [
        { provide: LOGGER, useValue: options.logger },
        { provide: MetricsRegistry, useValue: new MetricsRegistry(options.appName, { defaultMetrics: options.defaultMetrics }) },
        { provide: HealthRegistry, useValue: new HealthRegistry() },
      ],
      exports: [LOGGER, MetricsRegistry, HealthRegistry],
    };
  }
}
