import 'reflect-metadata';
import { connectAvroTransport } from '@connector/kafka';
import { startApp } from '@connector/observability';
import { loadJournyEventsConfig } from './journy-events.config';
import { JournyEventsModule } from './journy-events.module';

void startApp({
  name: 'journy-events',
  loadConfig: () => loadJournyEventsConfig(),
  settings: (config) => ({ port: config.JOURNY_EVENTS_PORT, host: config.HTTP_HOST, logLevel: config.LOG_LEVEL, shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS }),
  module: (config, logger) => JournyEventsModule.forRoot(config, logger),
  configure: (app) => connectAvroTransport(app),
});
