import { backoffDelay } from '@connector/domain';
import type { Admin, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { AvroConsumer, AvroConsumerOptions } from './avro-consumer';
import { AvroProducer } from './avro-producer';
import { AvroSerde } from './avro-serde';
import { DeadLetterPublisher } from './dead-letter';
import { createKafkaClient } from './kafka-client';
import { TopicDefaults, TopicProvisioner } from './topic-provisioner';
import { ContractName, TopicSpec, dlqTopicSpec } from './topics';

export interface KafkaRuntimeConfig {
  brokers: string[];
  clientId: string;
  schemaRegistryUrl: string;
  topicDefaults: TopicDefaults & { dlqRetentionMs: number };
  /** Create missing topics at start; off where a platform team owns topic creation. */
  provisionTopics: boolean;
  /** The topics this app uses; consumed ones get a DLQ topic too. */
  produces: TopicSpec[];
  consumes: TopicSpec[];
  /** How long start-up keeps trying a dependency that does not answer yet, ms (default 60 s). */
  startBudgetMs?: number;
}

/**
 * Everything an app needs from Kafka, with no framework: one client, the schema registry, an acks=all
 * producer (at-least-once: every contract carries an id to de-duplicate by), DLQ publishing, topic provisioning and consumers whose lifecycle it owns.
 */
export class KafkaRuntime {
  readonly kafka: Kafka;
  readonly serde: AvroSerde;
  readonly producer: AvroProducer;
  readonly deadLetters: DeadLetterPublisher;
  private readonly admin: Admin;
  private readonly consumers: AvroConsumer<unknown>[] = [];
  private adminConnected = false;

  constructor(private readonly config: KafkaRuntimeConfig, private readonly logger: Logger) {
    this.kafka = createKafkaClient({ brokers: config.brokers, clientId: config.clientId }, logger);
    this.serde = new AvroSerde(config.schemaRegistryUrl);
    this.producer = new AvroProducer(this.kafka, this.serde);
    this.deadLetters = new DeadLetterPublisher(this.producer);
    this.admin = this.kafka.admin();
  }

  /**
   * Provisions topics, registers the contracts of every topic used, connects the producer. Several instances
   * (of several apps) may start at once: each step is tried again, with backoff, for `startBudgetMs`, naming
   * the dependency it waits for; past that the start fails with the last error.
   */
  async start(): Promise<void> {
    await this.untilReady('the Kafka broker', () => this.admin.connect());
    this.adminConnected = true;
    if (this.config.provisionTopics) {
      const specs = [
        ...this.config.produces,
        ...this.config.consumes,
        ...this.config.consumes.map((spec) => ({ ...dlqTopicSpec(spec.name), retentionMs: this.config.topicDefaults.dlqRetentionMs })),
      ];
      const unique = [...new Map(specs.map((spec) => [spec.name, spec])).values()];
      const provisioner = new TopicProvisioner(this.admin, this.config.topicDefaults, this.logger);
      await this.untilReady('the Kafka topics', () => provisioner.ensure(unique));
    }
    for (const spec of [...this.config.produces, ...this.config.consumes]) {
      if (spec.contract) await this.untilReady('the schema registry', () => this.serde.registerContract(spec.contract as ContractName, spec.name));
    }
    await this.untilReady('the Kafka producer', () => this.producer.connect());
    this.logger.info({ brokers: this.config.brokers, produces: this.config.produces.map((t) => t.name) }, 'kafka ready');
  }

  private async untilReady(what: string, step: () => Promise<unknown>): Promise<void> {
    const deadline = Date.now() + (this.config.startBudgetMs ?? 60_000);
    for (let attempt = 1; ; attempt++) {
      try {
        await step();
        return;
      } catch (error) {
        if (Date.now() >= deadline) throw new Error(`${what} not ready after ${attempt} tries: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
        const delay = backoffDelay(attempt, { initialMs: 200, maxMs: 5000 });
        this.logger.warn({ attempt, retryInMs: Math.round(delay), error: error instanceof Error ? error.message : String(error) }, `waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  createConsumer<T>(options: AvroConsumerOptions<T>): AvroConsumer<T> {
    const consumer = new AvroConsumer<T>(this.kafka, this.serde, this.deadLetters, options, this.logger.child({ consumer: options.groupId }));
    this.consumers.push(consumer as AvroConsumer<unknown>);
    return consumer;
  }

  /** First: stop consuming (commit and leave the groups), so no handler is half-way when stores close. */
  async stopConsumers(): Promise<void> {
    await Promise.all(this.consumers.map((consumer) => consumer.stop()));
  }

  /** Then: flush and disconnect the producer and the admin client. */
  async stop(): Promise<void> {
    await this.stopConsumers();
    await this.producer.disconnect();
    if (this.adminConnected) {
      this.adminConnected = false;
      await this.admin.disconnect();
    }
  }

  /** The broker answers a metadata request. */
  async pingBroker(): Promise<{ brokers: number; controller: number | null }> {
    const cluster = await this.admin.describeCluster();
    return { brokers: cluster.brokers.length, controller: cluster.controller };
  }
}

/** The runtime's settings from an app's validated environment (the config lib's kafka fragment). */
export function kafkaRuntimeConfig(
  env: {
    KAFKA_BROKERS: string[];
    KAFKA_CLIENT_ID?: string;
    SCHEMA_REGISTRY_URL: string;
    KAFKA_TOPIC_PARTITIONS: number;
    KAFKA_TOPIC_REPLICATION_FACTOR: number;
    KAFKA_TOPIC_RETENTION_MS: number;
    KAFKA_DLQ_RETENTION_MS: number;
    KAFKA_PROVISION_TOPICS: boolean;
  },
  app: { clientId: string; produces: TopicSpec[]; consumes: TopicSpec[] },
): KafkaRuntimeConfig {
  return {
    brokers: env.KAFKA_BROKERS,
    clientId: env.KAFKA_CLIENT_ID ?? app.clientId,
    schemaRegistryUrl: env.SCHEMA_REGISTRY_URL,
    topicDefaults: {
      partitions: env.KAFKA_TOPIC_PARTITIONS,
      replicationFactor: env.KAFKA_TOPIC_REPLICATION_FACTOR,
      retentionMs: env.KAFKA_TOPIC_RETENTION_MS,
      dlqRetentionMs: env.KAFKA_DLQ_RETENTION_MS,
    },
    provisionTopics: env.KAFKA_PROVISION_TOPICS,
    produces: app.produces,
    consumes: app.consumes,
  };
}
