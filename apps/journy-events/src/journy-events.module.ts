import { DynamicModule, Module } from '@nestjs/common';
import { KafkaModule, TOPICS, kafkaRuntimeConfig } from '@connector/kafka';
import { ObservabilityModule, type Logger } from '@connector/observability';
import { PersistenceModule } from '@connector/persistence';
import type { JournyEventsConfig } from './journy-events.config';

/** journy → Salesforce: profile events to contacts and accounts. */
@Module({})
export class JournyEventsModule {
  static forRoot(config: JournyEventsConfig, logger: Logger): DynamicModule {
    return {
      module: JournyEventsModule,
      imports: [
        ObservabilityModule.forRoot({ appName: 'journy-events', logger }),
        PersistenceModule.forRoot({ uri: config.MONGODB_URI, connectAttempts: config.MONGODB_CONNECT_ATTEMPTS }),
        KafkaModule.forRoot(kafkaRuntimeConfig(config, { clientId: 'connector-journy-events', produces: [TOPICS.syncLog], consumes: [TOPICS.profileEvents] })),
      ],
    };
  }
}
