import 'reflect-metadata';
import { startApp } from '@connector/observability';
import { loadIngestConfig } from './ingest.config';
import { IngestModule } from './ingest.module';

void startApp({
  name: 'ingest',
  loadConfig: () => loadIngestConfig(),
  settings: (config) => ({ port: config.INGEST_PORT, host: config.HTTP_HOST, logLevel: config.LOG_LEVEL, shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS }),
  module: (config, logger) => IngestModule.forRoot(config, logger),
});
