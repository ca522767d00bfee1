import { KafkaRuntime, TOPICS } from '@connector/kafka';
import type { Connection } from '@connector/persistence';

/** Tells the other apps that a connection changed; they re-read it from the store at that revision or later. */
export class ConnectionChangesPublisher {
  constructor(private readonly kafka: KafkaRuntime) {}

  async changed(kind: 'CREATED' | 'UPDATED', connection: Connection): Promise<void> {
    await this.kafka.producer.send(TOPICS.connectionChanges.name, 'connector.connection-changes.v1', [
      { key: connection.id, value: { connectionId: connection.id, tenantId: connection.tenantId, kind, revision: connection.revision, enabled: connection.enabled, changedAt: Date.now() } },
    ]);
  }

  /** A DELETED event, then a tombstone so that compaction forgets the connection. */
  async deleted(connection: Connection): Promise<void> {
    await this.kafka.producer.send(TOPICS.connectionChanges.name, 'connector.connection-changes.v1', [
      { key: connection.id, value: { connectionId: connection.id, tenantId: connection.tenantId, kind: 'DELETED', revision: connection.revision + 1, enabled: false, changedAt: Date.now() } },
    ]);
    await this.kafka.producer.sendRaw(TOPICS.connectionChanges.name, [{ key: connection.id, value: null }]);
  }
}
