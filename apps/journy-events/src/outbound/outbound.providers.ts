import type { Provider } from '@nestjs/common';
import { ApiQuota, DescribeCache, OrgSessions } from '@connector/org-access';
import { AvroBatchTransport, DLQ_HEADERS, KafkaRuntime, TOPICS } from '@connector/kafka';
import { LOGGER, MetricsRegistry, type Logger } from '@connector/observability';
import { ConnectionsRepository, OutboundLinksRepository, ParkedEventsRepository, RecordLinksRepository, ReplayLeasesRepository } from '@connector/persistence';
import { JOURNY_EVENTS_CONFIG, type JournyEventsConfig } from '../journy-events.config';
import { entityKey, validateProfileEvent } from '../model/profile-event';
import { OutboundProcessor } from './outbound-processor';
import { ReplayLeases } from './replay-lease';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';

/** The outbound processor with its metrics and the profile events' dead-letter topic. */
export const outboundProcessorProvider: Provider = {
  provide: OutboundProcessor,
  inject: [JOURNY_EVENTS_CONFIG, KafkaRuntime, ConnectionsRepository, OutboundLinksRepository, ParkedEventsRepository, ReplayLeasesRepository, RecordLinksRepository, OrgSessions, DescribeCache, ApiQuota, MetricsRegistry, LOGGER],
  useFactory: (config: JournyEventsConfig, kafka: KafkaRuntime, connections: ConnectionsRepository, links: OutboundLinksRepository, parked: ParkedEventsRepository, leaseStore: ReplayLeasesRepository, recordLinks: RecordLinksRepository, sessions: OrgSessions, describes: DescribeCache, quota: ApiQuota, metrics: MetricsRegistry, logger: Logger) => {
    const records = metrics.counter('outbound_records_total', 'Record-level outcomes of journy → Salesforce syncs', ['outcome']);
    const calls = metrics.counter('outbound_salesforce_calls_total', 'Salesforce API calls made by journy-events, by kind', ['kind']);
    const latency = metrics.histogram('outbound_latency_seconds', 'journy event → written to Salesforce', [], [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]);
    const ignored = metrics.counter('outbound_events_ignored_total', 'Profile events no connection applies (the tenant has none enabled)', ['reason']);
    const member = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    return new OutboundProcessor({
      connections, links, parked, leases: new ReplayLeases(leaseStore, member, logger.child({ component: 'outbound' })), recordLinks, sessions, describes, quota, producer: kafka.producer,
      deadLetter: async (event, error, connectionId) => {
        const message = event.raw ?? {
          key: Buffer.from(`${event.value.tenantId}:${event.value.entityType}:${entityKey(event.value) ?? ''}`), value: await kafka.serde.encode(TOPICS.profileEvents.name, event.value),
          offset: event.offset, timestamp: String(Date.now()), headers: {}, attributes: 0,
        };
        await kafka.deadLetters.publish({ topic: TOPICS.profileEvents.name, partition: event.partition, message, groupId: config.JOURNY_EVENTS_GROUP }, error, { [DLQ_HEADERS.connectionId]: connectionId });
      },
      logger: logger.child({ component: 'outbound' }),
      options: { bulkMinRecords: config.JOURNY_EVENTS_BULK_MIN_RECORDS, cacheSize: config.JOURNY_EVENTS_STATE_CACHE_SIZE, rebalanceGraceMs: config.JOURNY_EVENTS_REBALANCE_GRACE_MS },
      metrics: {
        records: (outcome, n) => records.inc({ outcome }, n),
        apiCall: (kind) => calls.inc({ kind }),
        latency: (ms) => latency.observe(ms / 1000),
        ignored: (reason, n) => ignored.inc({ reason }, n),
      },
    });
  },
};

/** The profile events' consumer group: up to JOURNY_EVENTS_CONCURRENCY partitions at once, batches gathered for the linger. */
export const profileEventsTransportProvider: Provider = {
  provide: AvroBatchTransport,
  inject: [JOURNY_EVENTS_CONFIG, KafkaRuntime, OutboundProcessor],
  useFactory: (config: JournyEventsConfig, kafka: KafkaRuntime, processor: OutboundProcessor) =>
    new AvroBatchTransport(kafka, [
      {
        topic: TOPICS.profileEvents.name,
        groupId: config.JOURNY_EVENTS_GROUP,
        fromBeginning: true,
        partitionsConsumedConcurrently: config.JOURNY_EVENTS_CONCURRENCY,
        validate: validateProfileEvent,
        onAssignment: (assignment) => processor.assigned(assignment[TOPICS.profileEvents.name] ?? []),
        retry: { initialMs: 500, maxMs: 30_000 },
        sessionTimeoutMs: config.JOURNY_EVENTS_SESSION_TIMEOUT_MS,
        heartbeatIntervalMs: 3000,
        fetch: { maxWaitTimeInMs: config.JOURNY_EVENTS_LINGER_MS, minBytes: 512 * 1024, maxBytesPerPartition: config.JOURNY_EVENTS_FETCH_PARTITION_BYTES },
      },
    ]),
};
