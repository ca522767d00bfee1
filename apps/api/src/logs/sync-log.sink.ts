import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { AvroConsumer, KafkaRuntime, SyncLogRecord, TOPICS } from '@connector/kafka';
import { LOGGER, MetricsRegistry, type Logger } from '@connector/observability';
import { SyncLogEntry, SyncLogsRepository } from '@connector/persistence';

export const LOG_OPTIONS = Symbol('LOG_OPTIONS');

export interface LogOptions {
  retentionDays: number;
  sweepIntervalMs: number;
}

export const SINK_GROUP = 'connector-api-sync-log-sink';

export function toEntry(record: SyncLogRecord): SyncLogEntry {
  return { ...record, occurredAt: new Date(record.occurredAt) } as SyncLogEntry;
}

/**
 * Writes connector.sync-log.v1 into MongoDB in batches (one bulk write per partition batch, idempotent by logId,
 * so a re-delivery stores nothing twice), and removes entries older than the retention window.
 */
@Injectable()
export class SyncLogSink implements OnApplicationBootstrap, OnModuleDestroy {
  private consumer: AvroConsumer<SyncLogRecord> | null = null;
  private sweeper: NodeJS.Timeout | null = null;

  constructor(
    private readonly kafka: KafkaRuntime,
    private readonly logs: SyncLogsRepository,
    private readonly metrics: MetricsRegistry,
    @Inject(LOG_OPTIONS) private readonly options: LogOptions,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const stored = this.metrics.counter('connector_sync_log_entries_stored_total', 'Sync-log entries written to the store (new ones only)');
    this.consumer = this.kafka.createConsumer<SyncLogRecord>({
      groupId: SINK_GROUP,
      topics: [TOPICS.syncLog.name],
      fromBeginning: true,
      partitionsConsumedConcurrently: 2,
      batchHandler: async (messages) => {
        stored.inc(await this.logs.insertMany(messages.map((m) => toEntry(m.value))));
      },
    });
    void this.consumer.start().catch((error: unknown) => this.logger.error({ err: error }, 'the sync-log sink stopped'));
    void this.sweep(); // housekeeping never holds up start-up
    this.sweeper = setInterval(() => void this.sweep(), this.options.sweepIntervalMs);
    this.sweeper.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
  }

  async sweep(): Promise<number> {
    const cutoff = new Date(Date.now() - this.options.retentionDays * 86_400_000);
    try {
      const removed = await this.logs.deleteOlderThan(cutoff);
      if (removed > 0) this.logger.info({ removed, cutoff }, 'removed sync-log entries past retention');
      return removed;
    } catch (error) {
      this.logger.warn({ err: error }, 'sync-log retention sweep failed; will try again');
      return 0;
    }
  }
}
