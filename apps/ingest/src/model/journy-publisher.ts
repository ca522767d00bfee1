import { AvroProducer, TOPICS, syncLogKey } from '@connector/kafka';
import type { PublishBatch } from './publish-batch';

/**
 * Publishes an batch: commands first, then their log lines, in chunks that stay under Kafka's request size;
 * resolves once every message is acknowledged by all in-sync replicas (what checkpoints wait for).
 */
export class JournyPublisher {
  constructor(private readonly producer: AvroProducer, private readonly chunkSize = 2000) {}

  async publish(batch: PublishBatch): Promise<void> {
    for (let i = 0; i < batch.commands.length; i += this.chunkSize) {
      await this.producer.send(TOPICS.commands.name, 'journy.commands.v1', batch.commands.slice(i, i + this.chunkSize));
    }
    for (let i = 0; i < batch.logs.length; i += this.chunkSize) {
      const chunk = batch.logs.slice(i, i + this.chunkSize).map((log) => ({ key: syncLogKey(log), value: log }));
      await this.producer.send(TOPICS.syncLog.name, 'connector.sync-log.v1', chunk);
    }
  }
}
