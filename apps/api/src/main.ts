import 'reflect-metadata';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { startApp } from '@connector/observability';
import { loadApiConfig } from './api.config';
import { ApiModule } from './api.module';

void startApp({
  name: 'api',
  loadConfig: () => loadApiConfig(),
  settings: (config) => ({ port: config.API_PORT, host: config.HTTP_HOST, logLevel: config.LOG_LEVEL, shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS }),
  module: (config, logger) => ApiModule.forRoot(config, logger),
  configure: (app, config) => {
    const express = app as NestExpressApplication;
    // Bodies are bounded; a larger one gets 413 in the API's error shape.
    express.useBodyParser('json', { limit: config.API_BODY_LIMIT });
    express.disable('x-powered-by');
  },
});
