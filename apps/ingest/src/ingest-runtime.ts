import { ApiQuota, ConnectionChangesPublisher, OrgSessions } from '@connector/connections';
import { KafkaRuntime } from '@connector/kafka';
import type { HealthCheckResult, Logger, MetricsRegistry } from '@connector/observability';
import type { ApiUsageRepository, ConnectionsRepository, ImportJobsRepository, RecordLinksRepository, StreamOffsetsRepository, TokenCipher } from '@connector/persistence';
import type { SalesforceOAuthClient } from '@connector/salesforce';
import { ImportRunner } from './import/import-runner';
import type { IngestConfig } from './ingest.config';
import { JournyPublisher } from './model/journy-publisher';
import { Ownership } from './workers/ownership';
import { Supervisor } from './workers/supervisor';
import type { WorkerStatus } from './workers/connection-worker';

export interface IngestRuntimeDeps {
  config: Pick<IngestConfig, 'INGEST_IMPORT_PAGE_SIZE' | 'INGEST_POLL_INTERVAL_MS' | 'INGEST_OWNERSHIP_SESSION_TIMEOUT_MS' | 'INGEST_OWNERSHIP_GROUP' | 'INGEST_STREAM_STUCK_MS' | 'INGEST_MAX_BACKOFF_MS'>;
  kafka: KafkaRuntime;
  connections: ConnectionsRepository;
  jobs: ImportJobsRepository;
  links: RecordLinksRepository;
  offsets: StreamOffsetsRepository;
  /** Where the org's API usage seen by this app is shared with journy-events (its quota governor) and the API. */
  apiUsage: ApiUsageRepository;
  cipher: TokenCipher;
  oauth: SalesforceOAuthClient;
  metrics: MetricsRegistry;
  logger: Logger;
}

/** All change events of the org on one subscription (Salesforce delivers the entities selected for CDC). */
export const CHANGE_CHANNEL = '/data/ChangeEvents';

/**
 * The ingest app without its framework: ownership of connections through the Kafka group, one worker per
 * owned connection (import, then live capture), metrics and a health check that sees stuck streams.
 */
export class IngestRuntime {
  readonly supervisor: Supervisor;
  readonly ownership: Ownership;
  private reconcileTimer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: IngestRuntimeDeps) {
    const { metrics, config } = deps;
    const events = metrics.counter('ingest_change_events_total', 'Change events handled, by outcome', ['outcome']);
    const latency = metrics.histogram('ingest_live_latency_seconds', 'Salesforce commit → commands acknowledged by Kafka', [], [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]);
    const recoveries = metrics.counter('ingest_stream_recoveries_total', 'Re-reads after an invalid replay id or a gap', ['kind']);
    const rows = metrics.counter('ingest_import_rows_total', 'Rows read by imports', ['object']);
    const publisher = new JournyPublisher(deps.kafka.producer);
    const changes = new ConnectionChangesPublisher(deps.kafka);
    // Ingest reports usage and never pauses a connection itself, but holds its API calls (imports, re-reads,
    // lookups) while journy-events has one paused: one pause for the org, whichever app took it.
    const quota = new ApiQuota(deps.apiUsage, { reservePercent: 0 }, deps.logger.child({ component: 'api-quota' }));
    const sessions = new OrgSessions(
      deps.connections, deps.cipher, deps.oauth, (c) => changes.changed('UPDATED', c), deps.logger.child({ component: 'org-sessions' }),
      (c, usage) => quota.observe(c, usage), (c) => quota.waitWhilePaused(c),
    );
    const importer = new ImportRunner({ jobs: deps.jobs, links: deps.links, publisher, logger: deps.logger.child({ component: 'import' }), pageSize: config.INGEST_IMPORT_PAGE_SIZE, onPage: (object, n) => rows.inc({ object }, n) });
    this.supervisor = new Supervisor(
      {
        connections: deps.connections, jobs: deps.jobs, links: deps.links, offsets: deps.offsets, sessions, publisher, importer,
        settings: { channel: CHANGE_CHANNEL, pollIntervalMs: config.INGEST_POLL_INTERVAL_MS, offsetFlushMs: 250, maxBackoffMs: config.INGEST_MAX_BACKOFF_MS },
        metrics: {
          eventProcessed: (outcome, commitTimestamp) => {
            events.inc({ outcome });
            if (commitTimestamp) latency.observe(Math.max(0, Date.now() - commitTimestamp) / 1000);
          },
          recovered: (kind) => recoveries.inc({ kind }),
        },
      },
      deps.logger.child({ component: 'worker' }),
    );
    this.ownership = new Ownership(deps.kafka, deps.connections, this.supervisor, deps.logger.child({ component: 'ownership' }), {
      groupId: config.INGEST_OWNERSHIP_GROUP,
      sessionTimeoutMs: config.INGEST_OWNERSHIP_SESSION_TIMEOUT_MS,
      heartbeatIntervalMs: Math.max(500, Math.floor(config.INGEST_OWNERSHIP_SESSION_TIMEOUT_MS / 6)),
    });
  }

  async start(): Promise<void> {
    await this.ownership.start();
    // A safety net for changes missed while no instance held a partition: look at every connection again.
    this.reconcileTimer = setInterval(() => void this.ownership.reconcile().catch(() => undefined), 30_000);
    this.reconcileTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.reconcileTimer) clearInterval(this.reconcileTimer);
    await this.supervisor.stopAll();
  }

  statuses(): WorkerStatus[] {
    return this.supervisor.statuses();
  }

  /** Down when a stream kept failing, or has not heard from Salesforce, for longer than the stuck threshold. */
  health(): HealthCheckResult {
    const now = Date.now();
    const stuckAfter = this.deps.config.INGEST_STREAM_STUCK_MS;
    const statuses = this.statuses();
    const stuck = statuses.filter((s) =>
      ((s.state === 'retrying' || s.state === 'recovering' || s.state === 'starting') && now - s.since > stuckAfter) ||
      (s.state === 'streaming' && now - Math.max(s.lastContactAt ?? 0, s.since) > stuckAfter),
    );
    return {
      status: stuck.length ? 'down' : 'up',
      details: {
        connections: statuses.map((s) => ({ connectionId: s.connectionId, state: s.state, since: new Date(s.since).toISOString(), lastError: s.lastError, replayId: s.replayId })),
        ...(stuck.length ? { reason: `stream stuck for ${stuck.map((s) => s.connectionId).join(', ')}` } : {}),
      },
    };
  }
}
