import { Controller, UseFilters } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { RethrowToConsumer, TOPICS, type ConsumedMessage, type SyncLogRecord } from '@connector/kafka';
import { MetricsRegistry } from '@connector/observability';
import type { Counter } from 'prom-client';
import { SyncLogEntry, SyncLogsRepository } from '@connector/persistence';

export function toEntry(record: SyncLogRecord): SyncLogEntry {
  return { ...record, occurredAt: new Date(record.occurredAt) } as SyncLogEntry;
}

/**
 * Writes connector.sync-log.v1 into MongoDB: one bulk write per partition batch, idempotent by logId, so a
 * re-delivery stores nothing twice.
 */
@Controller()
@UseFilters(RethrowToConsumer)
export class SyncLogConsumer {
  private readonly stored: Counter;

  constructor(private readonly logs: SyncLogsRepository, metrics: MetricsRegistry) {
    this.stored = metrics.counter('connector_sync_log_entries_stored_total', 'Sync-log entries written to the store (new ones only)');
  }

  @EventPattern(TOPICS.syncLog.name)
  async store(@Payload() records: ConsumedMessage<SyncLogRecord>[]): Promise<void> {
    this.stored.inc(await this.logs.insertMany(records.map((m) => toEntry(m.value))));
  }
}
