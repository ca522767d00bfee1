import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { AvroBatchTransport, KafkaModule, KafkaRuntime, TOPICS, kafkaRuntimeConfig } from '@connector/kafka';
import { ScheduleModule } from '@nestjs/schedule';
import { LOGGER, ObservabilityModule, type Logger } from '@connector/observability';
import { OrgAccessModule } from '@connector/org-access';
import { PersistenceModule, RateLimitsRepository } from '@connector/persistence';
import { ThrottlerModule } from '@nestjs/throttler';
import type { ApiConfig } from './api.config';
import { AuthGuard } from './auth/auth.guard';
import { JwtVerifier } from './auth/jwt-verifier';
import { CONNECT_OPTIONS, ConnectService } from './connections/connect.service';
import { ConnectionsController, OAuthCallbackController } from './connections/connections.controller';
import { OAuthStateSigner } from './connections/oauth-state-signer';
import { SettingsService } from './connections/settings.service';
import { ImportsController } from './connections/imports.controller';
import { LogsController } from './logs/logs.controller';
import { SyncLogConsumer } from './logs/sync-log.consumer';
import { LOG_OPTIONS, SyncLogRetention } from './logs/sync-log.retention';
import { ErrorFilter } from './http/error.filter';
import { OpenApiController } from './http/openapi.controller';
import { RATE_WINDOW_MS, RateWindowSweeper, SharedThrottlerStorage, TenantThrottlerGuard } from './http/tenant-throttler';

/** The API's HTTP routes (with ObservabilityController's health and metrics): the OpenAPI route table covers each. */
export const HTTP_CONTROLLERS = [ConnectionsController, OAuthCallbackController, ImportsController, LogsController, OpenApiController];

/** The settings and log API: connections, settings, import jobs, sync logs. */
@Module({})
export class ApiModule {
  static forRoot(config: ApiConfig, logger: Logger): DynamicModule {
    const hostPolicy = { productionLoginUrl: config.SALESFORCE_LOGIN_URL, sandboxLoginUrl: config.SALESFORCE_SANDBOX_LOGIN_URL, insecureHosts: config.SALESFORCE_INSECURE_HOSTS };
    return {
      module: ApiModule,
      imports: [
        ObservabilityModule.forRoot({ appName: 'api', logger }),
        PersistenceModule.forRoot({ uri: config.MONGODB_URI, connectAttempts: config.MONGODB_CONNECT_ATTEMPTS, maxPoolSize: config.MONGODB_MAX_POOL_SIZE }),
        KafkaModule.forRoot(kafkaRuntimeConfig(config, { clientId: 'connector-api', produces: [TOPICS.connectionChanges], consumes: [TOPICS.syncLog] })),
        OrgAccessModule.forRoot({ env: config, redirectUri: config.SALESFORCE_REDIRECT_URI, quota: null }),
        ScheduleModule.forRoot(),
        ThrottlerModule.forRootAsync({
          inject: [RateLimitsRepository, LOGGER],
          useFactory: (counters: RateLimitsRepository, log: Logger) => ({
            throttlers: [{ ttl: RATE_WINDOW_MS, limit: config.API_RATE_LIMIT_PER_MINUTE }],
            storage: new SharedThrottlerStorage(counters, log.child({ component: 'rate-limit' })),
          }),
        }),
      ],
      controllers: [...HTTP_CONTROLLERS, SyncLogConsumer],
      providers: [
        ConnectService,
        SettingsService,
        SyncLogRetention,
        RateWindowSweeper,
        {
          provide: AvroBatchTransport,
          inject: [KafkaRuntime],
          useFactory: (kafka: KafkaRuntime) => new AvroBatchTransport(kafka, [{ topic: TOPICS.syncLog.name, groupId: config.API_SYNC_LOG_GROUP, fromBeginning: true, partitionsConsumedConcurrently: 2 }]),
        },
        { provide: LOG_OPTIONS, useValue: { retentionDays: config.LOG_RETENTION_DAYS, sweepIntervalMs: config.LOG_RETENTION_SWEEP_MS } },
        { provide: OAuthStateSigner, useValue: new OAuthStateSigner(config.OAUTH_STATE_SECRET) },
        { provide: CONNECT_OPTIONS, useValue: { stateTtlMs: config.OAUTH_STATE_TTL_MS, hostPolicy, returnUrlOrigins: config.API_RETURN_URL_ORIGINS } },
        {
          provide: JwtVerifier,
          useValue: new JwtVerifier({ algorithm: config.JOURNY_JWT_ALGORITHM, key: config.JOURNY_JWT_KEY, issuer: config.JOURNY_JWT_ISSUER, audience: config.JOURNY_JWT_AUDIENCE }),
        },
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_GUARD, useClass: TenantThrottlerGuard },
        { provide: APP_FILTER, inject: [LOGGER], useFactory: (log: Logger) => new ErrorFilter(log.child({ component: 'http' })) },
      ],
    };
  }
}
