import type { SyncLogRecord } from './contracts';

/**
 * The Kafka key of a sync-log line: its connection and the record it is about (the Salesforce record for a line
 * coming from Salesforce, the journy user or account for one going to it), so a large connection's lines spread
 * over the topic's partitions while one record's lines keep their order. A line about no record (a connection's
 * own, such as an import's summary) is keyed by its connection.
 */
export function syncLogKey(log: SyncLogRecord): string {
  const journy = log.journy?.userId ?? log.journy?.accountId ?? log.journy?.email ?? log.journy?.domain;
  const salesforce = log.salesforce?.recordId;
  const record = log.direction === 'SALESFORCE_TO_JOURNY' ? salesforce ?? journy : journy ?? salesforce;
  return record ? `${log.tenantId}:${log.connectionId}:${record}` : `${log.tenantId}:${log.connectionId}`;
}
