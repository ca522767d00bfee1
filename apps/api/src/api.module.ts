import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { KafkaModule, TOPICS, kafkaRuntimeConfig } from '@connector/kafka';
import { LOGGER, ObservabilityModule, type Logger } from '@connector/observability';
import { PersistenceModule } from '@connector/persistence';
import type { ApiConfig } from './api.config';
import { AuthGuard } from './auth/auth.guard';
import { JwtVerifier } from './auth/jwt-verifier';
import { ConnectionsController } from './connections/connections.controller';
import { ErrorFilter } from './http/error.filter';

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
      controllers: [ConnectionsController],
      providers: [
        {
          provide: JwtVerifier,
          useValue: new JwtVerifier({ algorithm: config.JOURNY_JWT_ALGORITHM, key: config.JOURNY_JWT_KEY, issuer: config.JOURNY_JWT_ISSUER, audience: config.JOURNY_JWT_AUDIENCE }),
        },
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_FILTER, inject: [LOGGER], useFactory: (log: Logger) => new ErrorFilter(log.child({ component: 'http' })) },
      ],
    };
  }
}
