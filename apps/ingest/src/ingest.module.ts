import { DynamicModule, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { OrgAccessModule } from '@connector/org-access';
import { KafkaModule, TOPICS, kafkaRuntimeConfig } from '@connector/kafka';
import { ObservabilityModule, type AppModuleOptions, type Logger } from '@connector/observability';
import { PersistenceModule } from '@connector/persistence';
import { INGEST_CONFIG, type IngestConfig } from './ingest.config';
import { StreamsHealth } from './workers/streams.health';
import { WorkersLifecycle } from './workers/workers.lifecycle';
import { importRunnerProvider, journyPublisherProvider, ownershipProvider, pubSubChannelProvider, supervisorProvider } from './workers/workers.providers';

/** Salesforce → journy: initial import and change capture. */
@Module({})
export class IngestModule {
  static forRoot(config: IngestConfig, logger: Logger, options: AppModuleOptions = {}): DynamicModule {
    return {
      module: IngestModule,
      imports: [
        ObservabilityModule.forRoot({ appName: 'ingest', logger, defaultMetrics: options.defaultMetrics }),
        PersistenceModule.forRoot({ uri: config.MONGODB_URI, connectAttempts: config.MONGODB_CONNECT_ATTEMPTS, maxPoolSize: config.MONGODB_MAX_POOL_SIZE }),
        KafkaModule.forRoot(kafkaRuntimeConfig(config, { clientId: 'connector-ingest', produces: [TOPICS.commands, TOPICS.syncLog, TOPICS.connectionChanges], consumes: [TOPICS.connectionChanges] })),
        // Ingest reports usage and never pauses a connection itself, but holds its API calls (imports, re-reads,
        // lookups) while journy-events has one paused: one pause for the org, whichever app took it.
        OrgAccessModule.forRoot({ env: config, redirectUri: 'urn:ingest:refresh-only', quota: { reservePercent: 0, honourPauses: true } }),
        ScheduleModule.forRoot(),
      ],
      providers: [{ provide: INGEST_CONFIG, useValue: config }, journyPublisherProvider, importRunnerProvider, pubSubChannelProvider, supervisorProvider, ownershipProvider, WorkersLifecycle, StreamsHealth],
    };
  }
}
