import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { HealthRegistry, type HealthCheckResult } from '@connector/observability';
import { INGEST_CONFIG, type IngestConfig } from '../ingest.config';
import { Supervisor } from './supervisor';

/** Down when a stream kept failing, or has not heard from Salesforce, for longer than INGEST_STREAM_STUCK_MS. */
@Injectable()
export class StreamsHealth implements OnApplicationBootstrap {
  constructor(@Inject(INGEST_CONFIG) private readonly config: IngestConfig, private readonly supervisor: Supervisor, private readonly registry: HealthRegistry) {}

  onApplicationBootstrap(): void {
    this.registry.register({ name: 'streams', check: async () => this.check() });
  }

  check(): HealthCheckResult {
    const now = Date.now();
    const stuckAfter = this.config.INGEST_STREAM_STUCK_MS;
    const statuses = this.supervisor.statuses();
    const stuck = statuses.filter((s) =>
      ((s.state === 'retrying' || s.state === 'recovering' || s.state === 'starting') && now - s.since > stuckAfter) ||
      (s.state === 'streaming' && now - Math.max(s.lastContactAt ?? 0, s.since) > stuckAfter),
    );
    return {
      status: stuck.length ? 'down' : 'up',
      details: {
        connections: statuses.map((s) => ({ connectionId: s.connectionId, state: s.state, source: s.source, fallbackReason: s.fallbackReason, since: new Date(s.since).toISOString(), lastError: s.lastError, replayId: s.replayId })),
        ...(stuck.length ? { reason: `stream stuck for ${stuck.map((s) => s.connectionId).join(', ')}` } : {}),
      },
    };
  }
}
