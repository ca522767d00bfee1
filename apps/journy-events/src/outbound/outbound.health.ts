import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { ApiQuota } from '@connector/org-access';
import { AvroBatchTransport, TOPICS } from '@connector/kafka';
import { HealthRegistry, type HealthCheckResult } from '@connector/observability';
import { JOURNY_EVENTS_CONFIG, type JournyEventsConfig } from '../journy-events.config';
import { OutboundProcessor } from './outbound-processor';

/**
 * Down when the profile-events consumer stopped, or a partition has been failing for JOURNY_EVENTS_STALL_MS (every
 * tenant on it waits). Connections whose events have been held back that long are named, but leave the instance
 * up: one org's quota or outage is not a reason to restart it.
 */
@Injectable()
export class OutboundHealth implements OnApplicationBootstrap {
  constructor(
    @Inject(JOURNY_EVENTS_CONFIG) private readonly config: JournyEventsConfig,
    private readonly transport: AvroBatchTransport,
    private readonly processor: OutboundProcessor,
    private readonly quota: ApiQuota,
    private readonly registry: HealthRegistry,
  ) {}

  onApplicationBootstrap(): void {
    this.registry.register({ name: 'outbound', check: async () => this.check() });
  }

  check(): HealthCheckResult {
    const stallMs = this.config.JOURNY_EVENTS_STALL_MS;
    const consumer = this.transport.consumer(TOPICS.profileEvents.name);
    const pausedConnections = this.quota.connections().filter((id) => this.quota.usage(id)?.paused);
    const stalledPartitions = consumer?.stalledPartitions(stallMs) ?? [];
    const heldConnections = this.processor.heldConnections(stallMs);
    return {
      status: consumer?.isRunning() && stalledPartitions.length === 0 ? 'up' : 'down',
      details: {
        consuming: TOPICS.profileEvents.name, pausedConnections, stalledPartitions, heldConnections,
        ...(!consumer?.isRunning() ? { reason: 'the profile-events consumer is not running' } : {}),
        ...(stalledPartitions.length ? { reason: `partitions without progress for ${stallMs} ms: ${stalledPartitions.map((p) => p.partition).join(', ')}` } : {}),
      },
    };
  }
}
