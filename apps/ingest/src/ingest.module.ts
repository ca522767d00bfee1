import { BeforeApplicationShutdown, DynamicModule, Module, OnApplicationBootstrap } from '@nestjs/common';
import { KafkaModule, KafkaRuntime, TOPICS, kafkaRuntimeConfig } from '@connector/kafka';
import { HealthRegistry, LOGGER, MetricsRegistry, ObservabilityModule, type Logger } from '@connector/observability';
import { ApiUsageRepository, ConnectionsRepository, ImportJobsRepository, PersistenceModule, RecordLinksRepository, StreamOffsetsRepository, TokenCipher } from '@connector/persistence';
import { SalesforceOAuthClient } from '@connector/salesforce';
import type { IngestConfig } from './ingest.config';
import { IngestRuntime } from './ingest-runtime';

/** Salesforce → journy: initial import and change capture. */
@Module({})
export class IngestModule implements OnApplicationBootstrap, BeforeApplicationShutdown {
  static forRoot(config: IngestConfig, logger: Logger): DynamicModule {
    return {
      module: IngestModule,
      imports: [
        ObservabilityModule.forRoot({ appName: 'ingest', logger }),
        PersistenceModule.forRoot({ uri: config.MONGODB_URI, connectAttempts: config.MONGODB_CONNECT_ATTEMPTS }),
        KafkaModule.forRoot(kafkaRuntimeConfig(config, { clientId: 'connector-ingest', produces: [TOPICS.commands, TOPICS.syncLog, TOPICS.connectionChanges], consumes: [TOPICS.connectionChanges] })),
      ],
      providers: [
        {
          provide: IngestRuntime,
          inject: [KafkaRuntime, ConnectionsRepository, ImportJobsRepository, RecordLinksRepository, StreamOffsetsRepository, ApiUsageRepository, MetricsRegistry, LOGGER],
          useFactory: (kafka: KafkaRuntime, connections: ConnectionsRepository, jobs: ImportJobsRepository, links: RecordLinksRepository, offsets: StreamOffsetsRepository, apiUsage: ApiUsageRepository, metrics: MetricsRegistry, log: Logger) =>
            new IngestRuntime({
              config, kafka, connections, jobs, links, offsets, apiUsage, metrics, logger: log.child({ component: 'ingest' }),
              cipher: TokenCipher.fromConfig(config.TOKEN_ENCRYPTION_KEYS),
              oauth: new SalesforceOAuthClient(
                { clientId: config.SALESFORCE_CLIENT_ID, clientSecret: config.SALESFORCE_CLIENT_SECRET, redirectUri: 'urn:ingest:refresh-only' },
                { productionLoginUrl: config.SALESFORCE_LOGIN_URL, sandboxLoginUrl: config.SALESFORCE_SANDBOX_LOGIN_URL, insecureHosts: config.SALESFORCE_INSECURE_HOSTS },
              ),
            }),
        },
      ],
    };
  }

  constructor(private readonly runtime: IngestRuntime, private readonly health: HealthRegistry) {}

  /** After Kafka and the store are up (their modules start in onModuleInit). */
  async onApplicationBootstrap(): Promise<void> {
    this.health.register({ name: 'streams', check: async () => this.runtime.health() });
    await this.runtime.start();
  }

  /** Workers stop first (their last replay ids saved), while Kafka and the store are still open. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.runtime.stop();
  }
}
