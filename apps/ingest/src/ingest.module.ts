import { DynamicModule, Module } from '@nestjs/common';
import { KafkaModule, TOPICS, kafkaRuntimeConfig } from '@connector/kafka';
import { ObservabilityModule, type Logger } from '@connector/observability';
import { PersistenceModule } from '@connector/persistence';
import type { IngestConfig } from './ingest.config';

/** Salesforce → journy: initial import and change capture. */
@Module({})
export class IngestModule {
  static forRoot(config: IngestConfig, logger: Logger): DynamicModule {
    return {
      module: IngestModule,
      imports: [
        ObservabilityModule.forRoot({ appName: 'ingest', logger }),
        PersistenceModule.forRoot({ uri: config.MONGODB_URI, connectAttempts: config.MONGODB_CONNECT_ATTEMPTS }),
        KafkaModule.forRoot(kafkaRuntimeConfig(config, { clientId: 'connector-ingest', produces: [TOPICS.commands, TOPICS.syncLog], consumes: [TOPICS.connectionChanges] })),
      ],
    };
  }
}
