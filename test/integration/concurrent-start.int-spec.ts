import { KafkaRuntime, TOPICS, kafkaRuntimeConfig, type TopicSpec } from '@connector/kafka';
import { createLogger } from '@connector/observability';
import { stackEnv, uniqueName } from '../support/stack-env';

jest.setTimeout(240_000);

/**
 * What three apps starting at once on a fresh stack do to Kafka: each creates the same missing topics, grows
 * them, registers the same contracts. Ten rounds of three runtimes at once, on topics no one has created yet:
 * every start succeeds and every topic ends with a leader for each partition.
 */
describe('concurrent starts on fresh topics', () => {
  const env = stackEnv();
  const logger = createLogger({ name: 'concurrent-start', level: 'error' });

  const runtime = (topics: TopicSpec[]) =>
    new KafkaRuntime(kafkaRuntimeConfig({
      KAFKA_BROKERS: env.kafkaBrokers, SCHEMA_REGISTRY_URL: env.schemaRegistryUrl, KAFKA_TOPIC_PARTITIONS: 6, KAFKA_TOPIC_REPLICATION_FACTOR: 1,
      KAFKA_TOPIC_RETENTION_MS: 3_600_000, KAFKA_DLQ_RETENTION_MS: 3_600_000, KAFKA_PROVISION_TOPICS: true,
    }, { clientId: uniqueName('starter'), produces: topics, consumes: topics.slice(0, 1) }), logger);

  it('starts three runtimes at once, ten times, each time on new topics', async () => {
    for (let round = 0; round < 10; round++) {
      const prefix = uniqueName(`it.start${round}`);
      const topics: TopicSpec[] = [
        { ...TOPICS.profileEvents, name: `${prefix}.profile-events` },
        { ...TOPICS.syncLog, name: `${prefix}.sync-log` },
        { ...TOPICS.connectionChanges, name: `${prefix}.connection-changes` },
      ];
      const runtimes = [runtime(topics), runtime(topics), runtime(topics)];
      const outcomes = await Promise.allSettled(runtimes.map((r) => r.start()));
      expect(outcomes.map((o) => (o.status === 'rejected' ? String(o.reason) : 'started'))).toEqual(['started', 'started', 'started']);
      const admin = runtimes[0].kafka.admin();
      await admin.connect();
      const metadata = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.name) });
      for (const topic of metadata.topics) {
        expect(topic.partitions.length).toBe(6);
        expect(topic.partitions.every((p) => p.leader >= 0)).toBe(true);
      }
      await admin.deleteTopics({ topics: [...topics.map((t) => t.name), `${prefix}.profile-events.dlq`] }).catch(() => undefined);
      await admin.disconnect();
      await Promise.all(runtimes.map((r) => r.stop()));
    }
  });
});
