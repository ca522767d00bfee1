import { describeError } from '@connector/domain';
import { ConnectionChange, KafkaRuntime, TOPICS, type AvroConsumer } from '@connector/kafka';
import type { Logger } from '@connector/observability';
import type { ConnectionsRepository } from '@connector/persistence';
import { Partitioners, type PartitionMetadata } from 'kafkajs';

/** A connection as the periodic read of all connections sees it: which one, and its revision. */
export interface OwnedConnection {
  id: string;
  tenantId: string;
  revision: number;
}

/** What ownership drives: the set of connections this instance runs. */
export interface OwnedConnections {
  /** Run exactly these (start the new ones, stop the others, and have the others look again when they changed). */
  own(connections: OwnedConnection[]): Promise<void>;
  /** A connection this instance owns changed (or appeared). */
  changed(change: { connectionId: string; tenantId: string; kind: string }): Promise<void>;
}

/**
 * Which ingest instance runs which connection, decided by Kafka consumer-group membership: the instance that
 * holds partition p of the compacted connection-changes topic owns every connection whose id the producer
 * keys to p. A rebalance (an instance joins, leaves or dies: no heartbeat within the session timeout) moves
 * partitions, and with them connections, within seconds; no lease of our own.
 */
export class Ownership {
  private consumer: AvroConsumer<ConnectionChange> | null = null;
  private assigned = new Set<number>();
  private partitionMetadata: PartitionMetadata[] = [];
  private readonly partitioner = Partitioners.DefaultPartitioner();
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly kafka: KafkaRuntime,
    private readonly connections: ConnectionsRepository,
    private readonly owned: OwnedConnections,
    private readonly logger: Logger,
    private readonly options: { groupId: string; sessionTimeoutMs: number; heartbeatIntervalMs: number; topic?: string },
  ) {}

  /** The compacted connection-changes topic (another one in tests). */
  private get topic(): string {
    return this.options.topic ?? TOPICS.connectionChanges.name;
  }

  async start(): Promise<void> {
    await this.readPartitionCount();
    this.consumer = this.kafka.createConsumer<ConnectionChange>({
      groupId: this.options.groupId,
      topics: [this.topic],
      fromBeginning: false,
      partitionsConsumedConcurrently: Math.max(this.partitionMetadata.length, 16),
      sessionTimeoutMs: this.options.sessionTimeoutMs,
      heartbeatIntervalMs: this.options.heartbeatIntervalMs,
      // Partitions added to the topic are noticed within this, which makes the group rebalance.
      metadataMaxAgeMs: 30_000,
      onAssignment: (assignment) => {
        const assigned = new Set(assignment[this.topic] ?? []);
        // Every member maps connections to partitions with the partition count it reads at this rebalance: after
        // the topic grows, the group rebalances and all members read the new count, so each connection keeps
        // exactly one owner.
        this.enqueue(async () => {
          await this.readPartitionCount();
          this.assigned = assigned;
          this.logger.info({ partitions: [...this.assigned].sort((a, b) => a - b), of: this.partitionMetadata.length }, 'connection partitions assigned');
          await this.reconcile();
        });
      },
      handler: async (message) => {
        if (!message.value) return; // a tombstone follows a DELETED event already handled
        if (!this.assigned.has(message.partition)) return;
        await this.owned.changed({ connectionId: message.value.connectionId, tenantId: message.value.tenantId, kind: message.value.kind });
      },
    });
    await this.consumer.start();
  }

  /** The ownership topic's partitions as the broker has them now. */
  private async readPartitionCount(): Promise<void> {
    const admin = this.kafka.kafka.admin();
    await admin.connect();
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: [this.topic] });
      this.partitionMetadata = metadata.topics[0].partitions.map(({ partitionId }) => ({ partitionId, leader: 0, replicas: [0], isr: [0], offlineReplicas: [], partitionErrorCode: 0 }));
    } finally {
      await admin.disconnect();
    }
  }

  /** The partition a connection id is keyed to, exactly as the producer's default partitioner does it. */
  partitionOf(connectionId: string): number {
    return this.partitioner({
      topic: this.topic,
      partitionMetadata: this.partitionMetadata,
      message: { key: connectionId, value: null },
    });
  }

  owns(connectionId: string): boolean {
    return this.assigned.has(this.partitionOf(connectionId));
  }

  /** Re-reads all connections and keeps those of the assigned partitions (after every rebalance, and periodically). */
  async reconcile(): Promise<void> {
    const all = await this.connections.listAllIds();
    await this.owned.own(all.filter((c) => this.owns(c.id)));
  }

  private enqueue(task: () => Promise<void>): void {
    this.queue = this.queue.then(task).catch((error: unknown) => this.logger.error({ error: describeError(error) }, 'ownership reconcile failed'));
  }
}
