import { BeforeApplicationShutdown, DynamicModule, Module, OnApplicationBootstrap } from '@nestjs/common';
import { KafkaModule, KafkaRuntime, TOPICS, kafkaRuntimeConfig } from '@connector/kafka';
import { HealthRegistry, LOGGER, MetricsRegistry, ObservabilityModule, type Logger } from '@connector/observability';
import { ApiUsageRepository, ConnectionsRepository, OutboundLinksRepository, PersistenceModule, RecordLinksRepository, TokenCipher } from '@connector/persistence';
import { SalesforceOAuthClient } from '@connector/salesforce';
import type { JournyEventsConfig } from './journy-events.config';
import { JournyEventsRuntime } from './journy-events-runtime';

/** journy → Salesforce: profile events to contacts and accounts. */
@Module({})
export class JournyEventsModule implements OnApplicationBootstrap, BeforeApplicationShutdown {
  static forRoot(config: JournyEventsConfig, logger: Logger): DynamicModule {
    return {
      module: JournyEventsModule,
      imports: [
        ObservabilityModule.forRoot({ appName: 'journy-events', logger }),
        PersistenceModule.forRoot({ uri: config.MONGODB_URI, connectAttempts: config.MONGODB_CONNECT_ATTEMPTS }),
        KafkaModule.forRoot(kafkaRuntimeConfig(config, { clientId: 'connector-journy-events', produces: [TOPICS.syncLog, TOPICS.connectionChanges], consumes: [TOPICS.profileEvents] })),
      ],
      providers: [
        {
          provide: JournyEventsRuntime,
          inject: [KafkaRuntime, ConnectionsRepository, OutboundLinksRepository, RecordLinksRepository, ApiUsageRepository, MetricsRegistry, LOGGER],
          useFactory: (kafka: KafkaRuntime, connections: ConnectionsRepository, links: OutboundLinksRepository, recordLinks: RecordLinksRepository, apiUsage: ApiUsageRepository, metrics: MetricsRegistry, log: Logger) =>
            new JournyEventsRuntime({
              config, kafka, connections, links, recordLinks, apiUsage, metrics, logger: log.child({ component: 'journy-events' }),
              cipher: TokenCipher.fromConfig(config.TOKEN_ENCRYPTION_KEYS),
              oauth: new SalesforceOAuthClient(
                { clientId: config.SALESFORCE_CLIENT_ID, clientSecret: config.SALESFORCE_CLIENT_SECRET, redirectUri: 'urn:journy-events:refresh-only' },
                { productionLoginUrl: config.SALESFORCE_LOGIN_URL, sandboxLoginUrl: config.SALESFORCE_SANDBOX_LOGIN_URL, insecureHosts: config.SALESFORCE_INSECURE_HOSTS },
              ),
            }),
        },
      ],
    };
  }

  constructor(private readonly runtime: JournyEventsRuntime, private readonly health: HealthRegistry) {}

  async onApplicationBootstrap(): Promise<void> {
    this.health.register({ name: 'outbound', check: async () => this.runtime.health() });
    await this.runtime.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.runtime.stop();
  }
}
