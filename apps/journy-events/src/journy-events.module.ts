import { DynamicModule, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { OrgAccessModule } from '@connector/org-access';
import { KafkaModule, TOPICS, kafkaRuntimeConfig } from '@connector/kafka';
import { ObservabilityModule, type AppModuleOptions, type Logger } from '@connector/observability';
import { PersistenceModule } from '@connector/persistence';
import { JOURNY_EVENTS_CONFIG, type JournyEventsConfig } from './journy-events.config';
import { ConnectionChangesListener } from './outbound/connection-changes.listener';
import { OutboundHealth } from './outbound/outbound.health';
import { outboundProcessorProvider, profileEventsTransportProvider } from './outbound/outbound.providers';
import { ParkedEventsSchedule } from './outbound/parked-events.schedule';
import { ProfileEventsConsumer } from './profile-events.consumer';

/** Parking a detached batch and replay leases write on a pool of their own, never behind the flushes' record writes. */
const JOURNY_EVENTS_CONTROL_POOL_SIZE = 4;

/** journy → Salesforce: profile events to contacts and accounts. */
@Module({})
export class JournyEventsModule {
  static forRoot(config: JournyEventsConfig, logger: Logger, options: AppModuleOptions = {}): DynamicModule {
    return {
      module: JournyEventsModule,
      imports: [
        ObservabilityModule.forRoot({ appName: 'journy-events', logger, defaultMetrics: options.defaultMetrics }),
        PersistenceModule.forRoot({ uri: config.MONGODB_URI, connectAttempts: config.MONGODB_CONNECT_ATTEMPTS, maxPoolSize: config.MONGODB_MAX_POOL_SIZE, controlPoolSize: JOURNY_EVENTS_CONTROL_POOL_SIZE }),
        KafkaModule.forRoot(kafkaRuntimeConfig(config, { clientId: 'connector-journy-events', produces: [TOPICS.syncLog, TOPICS.connectionChanges], consumes: [TOPICS.profileEvents, TOPICS.connectionChanges] })),
        OrgAccessModule.forRoot({
          env: config,
          redirectUri: 'urn:journy-events:refresh-only',
          quota: { reservePercent: config.JOURNY_EVENTS_API_RESERVE_PERCENT, pauseMs: config.JOURNY_EVENTS_QUOTA_PAUSE_MS, honourPauses: false },
        }),
        ScheduleModule.forRoot(),
      ],
      controllers: [ProfileEventsConsumer],
      providers: [{ provide: JOURNY_EVENTS_CONFIG, useValue: config }, outboundProcessorProvider, profileEventsTransportProvider, ParkedEventsSchedule, OutboundHealth, ConnectionChangesListener],
    };
  }
}
