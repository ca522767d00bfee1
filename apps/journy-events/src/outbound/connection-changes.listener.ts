import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { ConnectionChange, KafkaRuntime, TOPICS } from '@connector/kafka';
import { LOGGER, type Logger } from '@connector/observability';
import { JOURNY_EVENTS_CONFIG, type JournyEventsConfig } from '../journy-events.config';
import { OutboundProcessor } from './outbound-processor';

/** How long start-up waits for the listener to join before going on (the processor's re-read is the safety net). */
const JOIN_TIMEOUT_MS = 30_000;

/**
 * Every connection change (settings saved, connected, reconnected, disconnected, status) reaches every
 * journy-events instance, so each re-reads a tenant's connections when they change instead of polling the
 * store. A group of its own per process (no offsets kept worth keeping: it starts at the end each time).
 */
@Injectable()
export class ConnectionChangesListener implements OnApplicationBootstrap {
  constructor(
    @Inject(JOURNY_EVENTS_CONFIG) private readonly config: JournyEventsConfig,
    private readonly kafka: KafkaRuntime,
    private readonly processor: OutboundProcessor,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    let joined!: () => void;
    const join = new Promise<void>((resolve) => (joined = resolve));
    const consumer = this.kafka.createConsumer<ConnectionChange>({
      groupId: `${this.config.JOURNY_EVENTS_GROUP}.connection-changes.${randomUUID()}`,
      topics: [TOPICS.connectionChanges.name],
      fromBeginning: false,
      onAssignment: () => joined(),
      handler: async (message) => {
        if (!message.value) return; // the tombstone after a DELETED event
        this.processor.connectionChanged(message.value.tenantId);
      },
    });
    await consumer.start();
    const timeout = new Promise<boolean>((resolve) => setTimeout(resolve, JOIN_TIMEOUT_MS, false).unref());
    if (!(await Promise.race([join.then(() => true), timeout]))) {
      this.logger.warn({ timeoutMs: JOIN_TIMEOUT_MS }, 'connection changes not heard yet; tenants\' connections are re-read periodically meanwhile');
    }
  }
}
