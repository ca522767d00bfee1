import { KafkaRuntime, TOPICS, TopicProvisioner, kafkaRuntimeConfig } from '@connector/kafka';
import { createLogger } from '@connector/observability';
import type { ConnectionsRepository } from '@connector/persistence';
import { Ownership, type OwnedConnections } from '../../apps/ingest/src/workers/ownership';
import { stackEnv, uniqueName } from '../support/stack-env';

jest.setTimeout(150_000);

/** What a member runs, as Ownership decides it (our own port, in memory). */
class Owned implements OwnedConnections {
  current = new Set<string>();
  async own(connections: { id: string }[]): Promise<void> {
    this.current = new Set(connections.map((c) => c.id));
  }
  async changed(): Promise<void> {}
}

/**
 * Ingest's ownership on the real broker: two members share the connections of a compacted topic's partitions;
 * the topic grows under them, and afterwards every connection still has exactly one owner.
 */
describe('ownership across partition growth', () => {
  const topic = uniqueName('it.connection-changes');
  const group = uniqueName('it-owners');
  const ids = Array.from({ length: 60 }, (_, i) => ({ id: `con_${i.toString(16).padStart(4, '0')}`, tenantId: 't' }));
  const connections = { listAllIds: async () => ids } as unknown as ConnectionsRepository;
  const logger = createLogger({ name: 'ownership-it', level: 'warn' });
  const env = stackEnv();
  const runtimes: KafkaRuntime[] = [];
  const members: { ownership: Ownership; owned: Owned }[] = [];

  const runtime = async () => {
    const kafka = new KafkaRuntime(kafkaRuntimeConfig({
      KAFKA_BROKERS: env.kafkaBrokers, SCHEMA_REGISTRY_URL: env.schemaRegistryUrl, KAFKA_TOPIC_PARTITIONS: 3, KAFKA_TOPIC_REPLICATION_FACTOR: 1,
      KAFKA_TOPIC_RETENTION_MS: 3_600_000, KAFKA_DLQ_RETENTION_MS: 3_600_000, KAFKA_PROVISION_TOPICS: false,
    }, { clientId: uniqueName('owner'), produces: [], consumes: [] }), logger);
    await kafka.start();
    runtimes.push(kafka);
    return kafka;
  };
  const owners = (id: string) => members.filter((m) => m.owned.current.has(id)).length;
  const settled = () => ids.every((c) => owners(c.id) === 1);
  const until = async (what: string, predicate: () => boolean, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${ids.filter((c) => owners(c.id) !== 1).length} connections without exactly one owner`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };

  beforeAll(async () => {
    const admin = (await runtime()).kafka.admin();
    await admin.connect();
    await new TopicProvisioner(admin, { partitions: 3, replicationFactor: 1, retentionMs: 3_600_000 }, logger).ensure([{ ...TOPICS.connectionChanges, name: topic, partitions: 3 }]);
    await admin.disconnect();
    for (let i = 0; i < 2; i++) {
      const owned = new Owned();
      const ownership = new Ownership(await runtime(), connections, owned, logger, { groupId: group, sessionTimeoutMs: 6000, heartbeatIntervalMs: 1000, topic });
      await ownership.start();
      members.push({ ownership, owned });
    }
  });
  afterAll(async () => {
    for (const kafka of runtimes.reverse()) await kafka.stop().catch(() => undefined);
  });

  it('keeps exactly one owner per connection when the topic grows, and provisioning never grows it by itself', async () => {
    await until('both members sharing the connections', () => settled() && members.every((m) => m.owned.current.size > 0));
    const before = members.map((m) => [...m.owned.current].sort());

    // Provisioning with a larger default leaves the ownership topic alone.
    const admin = runtimes[0].kafka.admin();
    await admin.connect();
    await new TopicProvisioner(admin, { partitions: 12, replicationFactor: 1, retentionMs: 3_600_000 }, logger).ensure([{ ...TOPICS.connectionChanges, name: topic }]);
    expect((await admin.fetchTopicMetadata({ topics: [topic] })).topics[0].partitions).toHaveLength(3);

    // An operator grows it: the members notice, rebalance, and map connections with the new count.
    await admin.createPartitions({ topicPartitions: [{ topic, count: 8 }] });
    await admin.disconnect();
    // Both members map with the new count (some connection keyed past the old three partitions), and it settled.
    await until('ownership on 8 partitions', () => members.every((m) => ids.some((c) => m.ownership.partitionOf(c.id) >= 3)) && settled() && changedFrom(before), 90_000);
    expect(ids.filter((c) => owners(c.id) !== 1)).toEqual([]);
    for (const m of members) for (const id of m.owned.current) expect(m.ownership.owns(id)).toBe(true);
  });

  function changedFrom(before: string[][]): boolean {
    return members.some((m, i) => JSON.stringify([...m.owned.current].sort()) !== JSON.stringify(before[i]));
  }
});
