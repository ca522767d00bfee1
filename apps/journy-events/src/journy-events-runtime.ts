import { ApiQuota, ConnectionChangesPublisher, OrgSessions } from '@connector/connections';
import { DLQ_HEADERS, TOPICS, type AvroConsumer, type KafkaRuntime } from '@connector/kafka';
import type { HealthCheckResult, Logger, MetricsRegistry } from '@connector/observability';
import type { ApiUsageRepository, ConnectionsRepository, OutboundLinksRepository, RecordLinksRepository, TokenCipher } from '@connector/persistence';
import type { SalesforceOAuthClient } from '@connector/salesforce';
import type { JournyEventsConfig } from './journy-events.config';
import { entityKey, validateProfileEvent, type ProfileEvent } from './model/profile-event';
import { OutboundProcessor } from './outbound/outbound-processor';

export interface JournyEventsRuntimeDeps {
  config: Pick<JournyEventsConfig, 'JOURNY_EVENTS_GROUP' | 'JOURNY_EVENTS_CONCURRENCY' | 'JOURNY_EVENTS_BULK_MIN_RECORDS' | 'JOURNY_EVENTS_API_RESERVE_PERCENT' | 'JOURNY_EVENTS_STATE_CACHE_SIZE' | 'JOURNY_EVENTS_QUOTA_PAUSE_MS' | 'JOURNY_EVENTS_LINGER_MS' | 'JOURNY_EVENTS_SESSION_TIMEOUT_MS' | 'JOURNY_EVENTS_STALL_MS'>;
  kafka: KafkaRuntime;
  connections: ConnectionsRepository;
  links: OutboundLinksRepository;
  recordLinks: RecordLinksRepository;
  apiUsage: ApiUsageRepository;
  cipher: TokenCipher;
  oauth: SalesforceOAuthClient;
  metrics: MetricsRegistry;
  logger: Logger;
}

/**
 * The journy-events app without its framework: the profile-events consumer (a partition's batch at a time,
 * poison messages to the DLQ), the outbound processor, the API-quota governor, metrics and health.
 */
export class JournyEventsRuntime {
  readonly processor: OutboundProcessor;
  readonly quota: ApiQuota;
  private readonly consumer: AvroConsumer<ProfileEvent>;
  private readonly config: JournyEventsRuntimeDeps['config'];

  constructor(deps: JournyEventsRuntimeDeps) {
    const { metrics, config } = deps;
    this.config = config;
    const records = metrics.counter('outbound_records_total', 'Record-level outcomes of journy → Salesforce syncs', ['outcome']);
    const calls = metrics.counter('outbound_salesforce_calls_total', 'Salesforce API calls made by journy-events, by kind', ['kind']);
    const latency = metrics.histogram('outbound_latency_seconds', 'journy event → written to Salesforce', [], [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]);
    const ignored = metrics.counter('outbound_events_ignored_total', 'Profile events no connection applies (the tenant has none enabled)', ['reason']);
    const used = metrics.gauge('salesforce_api_used', 'Daily API requests used by the org, as Salesforce last reported', ['connection']);
    const limit = metrics.gauge('salesforce_api_limit', 'Daily API request allocation of the org', ['connection']);
    const paused = metrics.gauge('salesforce_api_paused', '1 while the connection is paused for API quota', ['connection']);
    const logger = deps.logger;
    this.quota = new ApiQuota(deps.apiUsage, { reservePercent: config.JOURNY_EVENTS_API_RESERVE_PERCENT, pauseMs: config.JOURNY_EVENTS_QUOTA_PAUSE_MS }, logger.child({ component: 'api-quota' }));
    const changes = new ConnectionChangesPublisher(deps.kafka);
    const sessions = new OrgSessions(deps.connections, deps.cipher, deps.oauth, (c) => changes.changed('UPDATED', c), logger.child({ component: 'org-sessions' }), (connection, usage) => {
      this.quota.observe(connection, usage);
      used.set({ connection: connection.id }, usage.used);
      limit.set({ connection: connection.id }, usage.limit);
      paused.set({ connection: connection.id }, this.quota.usage(connection.id)?.paused ? 1 : 0);
    });
    this.processor = new OutboundProcessor({
      connections: deps.connections, links: deps.links, recordLinks: deps.recordLinks, sessions, quota: this.quota, producer: deps.kafka.producer,
      deadLetter: async (event, error, connectionId) => {
        const message = event.raw ?? {
          key: Buffer.from(`${event.value.tenantId}:${event.value.entityType}:${entityKey(event.value) ?? ""}`), value: await deps.kafka.serde.encode(TOPICS.profileEvents.name, event.value),
          offset: event.offset, timestamp: String(Date.now()), headers: {}, attributes: 0,
        };
        await deps.kafka.deadLetters.publish({ topic: TOPICS.profileEvents.name, partition: event.partition, message, groupId: config.JOURNY_EVENTS_GROUP }, error, { [DLQ_HEADERS.connectionId]: connectionId });
      },
      logger: logger.child({ component: 'outbound' }),
      options: { bulkMinRecords: config.JOURNY_EVENTS_BULK_MIN_RECORDS, cacheSize: config.JOURNY_EVENTS_STATE_CACHE_SIZE },
      metrics: {
        records: (outcome, n) => records.inc({ outcome }, n),
        apiCall: (kind) => calls.inc({ kind }),
        latency: (ms) => latency.observe(ms / 1000),
        ignored: (reason, n) => ignored.inc({ reason }, n),
      },
    });
    this.consumer = deps.kafka.createConsumer<ProfileEvent>({
      groupId: config.JOURNY_EVENTS_GROUP,
      topics: [TOPICS.profileEvents.name],
      fromBeginning: true,
      partitionsConsumedConcurrently: config.JOURNY_EVENTS_CONCURRENCY,
      validate: validateProfileEvent,
      batchHandler: (messages, context) => this.processor.handleBatch(messages, context.heartbeat),
      onAssignment: () => this.processor.forgetMemory(),
      retry: { initialMs: 500, maxMs: 30_000 },
      sessionTimeoutMs: config.JOURNY_EVENTS_SESSION_TIMEOUT_MS,
      heartbeatIntervalMs: 3000,
      fetch: { maxWaitTimeInMs: config.JOURNY_EVENTS_LINGER_MS, minBytes: 512 * 1024, maxBytesPerPartition: 2 * 1024 * 1024 },
    });
  }

  async start(): Promise<void> {
    this.processor.start();
    await this.consumer.start();
  }

  async stop(): Promise<void> {
    this.processor.stop();
    await this.consumer.stop();
  }

  /**
   * Down when the consumer stopped, or a partition has been failing for JOURNY_EVENTS_STALL_MS (every tenant on it
   * waits). Connections whose events have been held back that long are named, but leave the instance up: one
   * org's quota or outage is not a reason to restart it.
   */
  health(): HealthCheckResult {
    const stallMs = this.config.JOURNY_EVENTS_STALL_MS;
    const pausedConnections = this.quota.connections().filter((id) => this.quota.usage(id)?.paused);
    const stalledPartitions = this.consumer.stalledPartitions(stallMs);
    const heldConnections = this.processor.heldConnections(stallMs);
    return {
      status: this.consumer.isRunning() && stalledPartitions.length === 0 ? 'up' : 'down',
      details: { consuming: TOPICS.profileEvents.name, pausedConnections, stalledPartitions, heldConnections, ...(stalledPartitions.length ? { reason: `partitions without progress for ${stallMs} ms: ${stalledPartitions.map((p) => p.partition).join(', ')}` } : {}) },
    };
  }
}
