import { DynamicModule, Global, Inject, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { HealthRegistry, LOGGER, MetricsRegistry, type Logger } from '@connector/observability';
import type { Connection } from 'mongoose';
import { ConnectionsRepository } from './connections/connection.repository';
import { OAuthStatesRepository } from './oauth-states/oauth-state.repository';
import { ImportJobsRepository } from './import-jobs/import-job.repository';
import { SyncLogsRepository } from './sync-logs/sync-log.repository';
import { RecordLinksRepository } from './record-links/record-link.repository';
import { StreamOffsetsRepository } from './stream-offsets/stream-offset.repository';
import { OutboundLinksRepository } from './outbound-links/outbound-link.repository';
import { ParkedEventsRepository } from './parked-events/parked-event.repository';
import { ReplayLeasesRepository } from './parked-events/replay-lease.repository';
import { ApiUsageRepository } from './api-usage/api-usage.repository';
import { RateLimitsRepository } from './rate-limits/rate-limit.repository';
import { connectMongo, pingMongo, safeMongoUri } from './mongo-connection';
import { observeStoreCommands } from './store-commands';

export const MONGO_CONNECTION = Symbol('MONGO_CONNECTION');
/**
 * A second, small pool for the writes that let a batch go (parking its events, replay leases): they never queue
 * in the driver behind the thousands of record writes a busy flush has in flight on the main pool, nor behind
 * the reads of replays.
 */
export const MONGO_CONTROL_CONNECTION = Symbol('MONGO_CONTROL_CONNECTION');

export interface PersistenceModuleOptions {
  uri: string;
  connectAttempts: number;
  maxPoolSize?: number;
  /** Size of the control pool; without it the control writes share the app's pool (apps that never park a batch). */
  controlPoolSize?: number;
}

/** The Nest shell: the MongoDB connections of an app (its pool and, where asked for, the control pool), the repositories, a health check, a clean close. */
@Global()
@Module({})
export class PersistenceModule implements OnModuleInit, OnApplicationShutdown {
  static forRoot(options: PersistenceModuleOptions): DynamicModule {
    return {
      module: PersistenceModule,
      providers: [
        { provide: 'PERSISTENCE_OPTIONS', useValue: options },
        {
          provide: MONGO_CONNECTION,
          inject: [LOGGER],
          useFactory: (logger: Logger) => connectMongo({ uri: options.uri, attempts: options.connectAttempts, maxPoolSize: options.maxPoolSize }, logger.child({ component: 'mongodb' })),
        },
        {
          provide: MONGO_CONTROL_CONNECTION,
          inject: [LOGGER, MONGO_CONNECTION],
          useFactory: (logger: Logger, main: Connection) =>
            options.controlPoolSize === undefined
              ? main
              : connectMongo({ uri: options.uri, attempts: options.connectAttempts, maxPoolSize: options.controlPoolSize }, logger.child({ component: 'mongodb-control' })),
        },
        { provide: ConnectionsRepository, inject: [MONGO_CONNECTION], useFactory: (connection: Connection) => new ConnectionsRepository(connection) },
        { provide: OAuthStatesRepository, inject: [MONGO_CONNECTION], useFactory: (connection: Connection) => new OAuthStatesRepository(connection) },
        { provide: ImportJobsRepository, inject: [MONGO_CONNECTION], useFactory: (connection: Connection) => new ImportJobsRepository(connection) },
        { provide: SyncLogsRepository, inject: [MONGO_CONNECTION], useFactory: (connection: Connection) => new SyncLogsRepository(connection) },
        { provide: RecordLinksRepository, inject: [MONGO_CONNECTION], useFactory: (connection: Connection) => new RecordLinksRepository(connection) },
        { provide: StreamOffsetsRepository, inject: [MONGO_CONNECTION], useFactory: (connection: Connection) => new StreamOffsetsRepository(connection) },
        { provide: OutboundLinksRepository, inject: [MONGO_CONNECTION], useFactory: (connection: Connection) => new OutboundLinksRepository(connection) },
        { provide: ParkedEventsRepository, inject: [MONGO_CONNECTION, MONGO_CONTROL_CONNECTION], useFactory: (connection: Connection, control: Connection) => new ParkedEventsRepository(connection, control) },
        { provide: ReplayLeasesRepository, inject: [MONGO_CONTROL_CONNECTION], useFactory: (control: Connection) => new ReplayLeasesRepository(control) },
        { provide: ApiUsageRepository, inject: [MONGO_CONNECTION], useFactory: (connection: Connection) => new ApiUsageRepository(connection) },
        { provide: RateLimitsRepository, inject: [MONGO_CONNECTION], useFactory: (connection: Connection) => new RateLimitsRepository(connection) },
      ],
      exports: [MONGO_CONNECTION, ConnectionsRepository, OAuthStatesRepository, ImportJobsRepository, SyncLogsRepository, RecordLinksRepository, StreamOffsetsRepository, OutboundLinksRepository, ParkedEventsRepository, ReplayLeasesRepository, ApiUsageRepository, RateLimitsRepository],
    };
  }

  constructor(
    @Inject(MONGO_CONNECTION) private readonly connection: Connection,
    @Inject(MONGO_CONTROL_CONNECTION) private readonly control: Connection,
    @Inject('PERSISTENCE_OPTIONS') private readonly options: PersistenceModuleOptions,
    private readonly connections: ConnectionsRepository,
    private readonly oauthStates: OAuthStatesRepository,
    private readonly importJobs: ImportJobsRepository,
    private readonly syncLogs: SyncLogsRepository,
    private readonly recordLinks: RecordLinksRepository,
    private readonly streamOffsets: StreamOffsetsRepository,
    private readonly outboundLinks: OutboundLinksRepository,
    private readonly parkedEvents: ParkedEventsRepository,
    private readonly replayLeases: ReplayLeasesRepository,
    private readonly apiUsage: ApiUsageRepository,
    private readonly rateLimits: RateLimitsRepository,
    private readonly health: HealthRegistry,
    private readonly metrics: MetricsRegistry,
  ) {}

  async onModuleInit(): Promise<void> {
    this.countCommands();
    await this.connections.ensureIndexes();
    await this.oauthStates.ensureIndexes();
    await this.importJobs.ensureIndexes();
    await this.syncLogs.ensureIndexes();
    await this.recordLinks.ensureIndexes();
    await this.streamOffsets.ensureIndexes();
    await this.outboundLinks.ensureIndexes();
    await this.parkedEvents.ensureIndexes();
    await this.replayLeases.ensureIndexes();
    await this.apiUsage.ensureIndexes();
    await this.rateLimits.ensureIndexes();
    this.health.register({
      name: 'mongodb',
      check: async () => {
        const started = Date.now();
        await pingMongo(this.connection);
        return { status: 'up', details: { uri: safeMongoUri(this.options.uri), latencyMs: Date.now() - started } };
      },
    });
  }

  /** Store commands by collection and name, with the time they took: what each app costs the store, on /metrics. */
  private countCommands(): void {
    const count = this.metrics.counter('connector_store_commands_total', 'Commands sent to the store, by collection and command', ['collection', 'command', 'outcome']);
    const seconds = this.metrics.counter('connector_store_command_seconds_total', 'Time store commands took until answered, by collection and command', ['collection', 'command']);
    const pools = this.control === this.connection ? [this.connection] : [this.connection, this.control];
    for (const pool of pools) {
      observeStoreCommands(pool, ({ collection, command, ms, ok }) => {
        count.inc({ collection, command, outcome: ok ? 'ok' : 'failed' });
        seconds.inc({ collection, command }, ms / 1000);
      });
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.connection.close();
    if (this.control !== this.connection) await this.control.close();
  }
}
