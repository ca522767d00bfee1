import type { Provider } from '@nestjs/common';
import { DescribeCache, OrgSessions } from '@connector/org-access';
import { KafkaRuntime } from '@connector/kafka';
import { LOGGER, MetricsRegistry, type Logger } from '@connector/observability';
import { ConnectionsRepository, ImportJobsRepository, RecordLinksRepository, StreamOffsetsRepository } from '@connector/persistence';
import { ALL_CHANGES_CHANNEL, PubSubChannel } from '@connector/salesforce';
import { readFileSync } from 'node:fs';
import { ImportRunner } from '../import/import-runner';
import { INGEST_CONFIG, type IngestConfig } from '../ingest.config';
import { JournyPublisher } from '../model/journy-publisher';
import { Ownership } from './ownership';
import { Supervisor } from './supervisor';

export const journyPublisherProvider: Provider = {
  provide: JournyPublisher,
  inject: [KafkaRuntime],
  useFactory: (kafka: KafkaRuntime) => new JournyPublisher(kafka.producer),
};

export const importRunnerProvider: Provider = {
  provide: ImportRunner,
  inject: [INGEST_CONFIG, ImportJobsRepository, RecordLinksRepository, JournyPublisher, MetricsRegistry, LOGGER],
  useFactory: (config: IngestConfig, jobs: ImportJobsRepository, links: RecordLinksRepository, publisher: JournyPublisher, metrics: MetricsRegistry, logger: Logger) => {
    const rows = metrics.counter('ingest_import_rows_total', 'Rows read by imports', ['object']);
    return new ImportRunner({ jobs, links, publisher, logger: logger.child({ component: 'import' }), pageSize: config.INGEST_IMPORT_PAGE_SIZE, onPage: (object, n) => rows.inc({ object }, n) });
  },
};

/** The instance's one HTTP/2 channel to the Pub/Sub API, shared by the streams of every connection it owns. */
export const pubSubChannelProvider: Provider = {
  provide: PubSubChannel,
  inject: [INGEST_CONFIG],
  useFactory: (config: IngestConfig) =>
    new PubSubChannel({
      endpoint: config.INGEST_PUBSUB_ENDPOINT,
      tls: config.INGEST_PUBSUB_TLS,
      rootCertificates: config.INGEST_PUBSUB_CA_FILE ? readFileSync(config.INGEST_PUBSUB_CA_FILE, 'utf8') : null,
    }),
};

/** One worker per owned connection: import, then live capture. */
export const supervisorProvider: Provider = {
  provide: Supervisor,
  inject: [INGEST_CONFIG, ConnectionsRepository, ImportJobsRepository, RecordLinksRepository, StreamOffsetsRepository, OrgSessions, DescribeCache, JournyPublisher, ImportRunner, PubSubChannel, MetricsRegistry, LOGGER],
  useFactory: (config: IngestConfig, connections: ConnectionsRepository, jobs: ImportJobsRepository, links: RecordLinksRepository, offsets: StreamOffsetsRepository, sessions: OrgSessions, describes: DescribeCache, publisher: JournyPublisher, importer: ImportRunner, pubsub: PubSubChannel, metrics: MetricsRegistry, logger: Logger) => {
    const events = metrics.counter('ingest_change_events_total', 'Change events handled, by outcome', ['outcome']);
    const latency = metrics.histogram('ingest_live_latency_seconds', 'Salesforce commit → commands acknowledged by Kafka', [], [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]);
    const recoveries = metrics.counter('ingest_stream_recoveries_total', 'Stream recoveries: re-reads after an invalid replay id or a gap, reconnects, Pub/Sub fallbacks', ['kind']);
    return new Supervisor(
      {
        connections, jobs, links, offsets, sessions, describes, publisher, importer, pubsub,
        settings: {
          channel: ALL_CHANGES_CHANNEL, pollIntervalMs: config.INGEST_POLL_INTERVAL_MS, streamingPollMs: config.INGEST_STREAMING_POLL_MS, offsetFlushMs: config.INGEST_OFFSET_FLUSH_MS, maxBackoffMs: config.INGEST_MAX_BACKOFF_MS,
          defaultSource: config.INGEST_CHANGE_STREAM, pubsubSilenceMs: config.INGEST_PUBSUB_SILENCE_MS,
        },
        metrics: {
          eventProcessed: (outcome, commitTimestamp) => {
            events.inc({ outcome });
            if (commitTimestamp) latency.observe(Math.max(0, Date.now() - commitTimestamp) / 1000);
          },
          recovered: (kind) => recoveries.inc({ kind }),
        },
      },
      logger.child({ component: 'worker' }),
    );
  },
};

/** Which connections this instance runs, by its partitions of the connection-changes topic. */
export const ownershipProvider: Provider = {
  provide: Ownership,
  inject: [INGEST_CONFIG, KafkaRuntime, ConnectionsRepository, Supervisor, LOGGER],
  useFactory: (config: IngestConfig, kafka: KafkaRuntime, connections: ConnectionsRepository, supervisor: Supervisor, logger: Logger) =>
    new Ownership(kafka, connections, supervisor, logger.child({ component: 'ownership' }), {
      groupId: config.INGEST_OWNERSHIP_GROUP,
      sessionTimeoutMs: config.INGEST_OWNERSHIP_SESSION_TIMEOUT_MS,
      heartbeatIntervalMs: Math.max(500, Math.floor(config.INGEST_OWNERSHIP_SESSION_TIMEOUT_MS / 6)),
    }),
};
