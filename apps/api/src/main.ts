import 'reflect-metadata';
import { startApp } from '@connector/observability';
import { configureApi } from './api.app';
import { loadApiConfig } from './api.config';
import { ApiModule } from './api.module';

void startApp({
  name: 'api',
  loadConfig: () => loadApiConfig(),
  settings: (config) => ({ port: config.API_PORT, host: config.HTTP_HOST, logLevel: config.LOG_LEVEL, shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS }),
  module: (config, logger) => ApiModule.forRoot(config, logger),
  configure: configureApi,
});
