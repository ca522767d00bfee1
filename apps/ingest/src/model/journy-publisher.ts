import { AvroProducer, TOPICS } from '@connector/kafka';
import type { Outbox } from './outbox';

/**
 * Publishes an outbox: commands first, then their log lines, in chunks that stay under Kafka's request size;
 * resolves once every message is acknowledged by all in-sync replicas (what checkpoints wait for).
 */
export class JournyPublisher {
  constructor(private readonly producer: AvroProducer, private readonly chunkSize = 2000) {}

  async publish(outbox: Outbox): Promise<void> {
    for (let i = 0; i < outbox.commands.length; i += this.chunkSize) {
      await this.producer.send(TOPICS.commands.name, 'journy.commands.v1', outbox.commands.slice(i, i + this.chunkSize));
    }
    for (let i = 0; i < outbox.logs.length; i += this.chunkSize) {
      const chunk = outbox.logs.slice(i, i + this.chunkSize).map((log) => ({ key: `${log.tenantId}:${log.connectionId}`, value: log }));
      await this.producer.send(TOPICS.syncLog.name, 'connector.sync-log.v1', chunk);
    }
  }
}
