import { DynamicModule, Module } from '@nestjs/common';
import { KafkaModule, TOPICS, kafkaRuntimeConfig } from '@connector/kafka';
import { ObservabilityModule, type Logger } from '@connector/observability';
import { PersistenceModule } from '@connector/persistence';
import type { ApiConfig } from './api.config';

/** The settings and log API: connections, settings, import jobs, sync logs. */
@Module({})
export class ApiModule {
  static forRoot(config: ApiConfig, logger: Logger): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        ObservabilityModule.forRoot({ appName: 'api', logger }),
        PersistenceModule.forRoot({ uri: config.MONGODB_URI, connectAttempts: config.MONGODB_CONNECT_ATTEMPTS }),
        KafkaModule.forRoot(kafkaRuntimeConfig(config, { clientId: 'connector-api', produces: [TOPICS.connectionChanges], consumes: [] })),
      ],
    };
  }
}
