import type { Admin, ITopicConfig } from 'kafkajs';
import type { Logger } from 'pino';
import type { TopicSpec } from './topics';

export interface TopicDefaults {
  partitions: number;
  replicationFactor: number;
  retentionMs: number;
}

/**
 * Creates missing topics with their partitions, retention and cleanup policy, and grows the partition count of
 * existing ones that have fewer than configured (it never shrinks: Kafka can't, and keys would move), except
 * topics with fixed partitions (ownership follows their count).
 */
export class TopicProvisioner {
  constructor(
    private readonly admin: Admin,
    private readonly defaults: TopicDefaults,
    private readonly logger: Logger,
  ) {}

  async ensure(specs: TopicSpec[]): Promise<void> {
    const existing = new Set(await this.admin.listTopics());
    const missing = specs.filter((spec) => !existing.has(spec.name));
    if (missing.length > 0) {
      await this.admin.createTopics({ waitForLeaders: true, topics: missing.map((spec) => this.topicConfig(spec)) });
      this.logger.info({ topics: missing.map((spec) => spec.name) }, 'created topics');
    }
    const present = specs.filter((spec) => existing.has(spec.name) && !spec.fixedPartitions);
    if (present.length > 0) await this.grow(present);
    await this.ready(specs);
  }

  /** Every topic visible with a leader for each partition (another instance may have created it a moment ago). */
  private async ready(specs: TopicSpec[]): Promise<void> {
    const metadata = await this.admin.fetchTopicMetadata({ topics: specs.map((spec) => spec.name) });
    const waiting = metadata.topics.filter((topic) => topic.partitions.length === 0 || topic.partitions.some((p) => p.leader < 0 || p.partitionErrorCode !== 0));
    if (waiting.length > 0) throw new Error(`topics without a leader yet: ${waiting.map((t) => t.name).join(', ')}`);
  }

  private async grow(present: TopicSpec[]): Promise<void> {
    const metadata = await this.admin.fetchTopicMetadata({ topics: present.map((spec) => spec.name) });
    const grow = metadata.topics
      .map((topic) => ({ topic: topic.name, have: topic.partitions.length, want: this.partitionsOf(present.find((s) => s.name === topic.name)!) }))
      .filter(({ have, want }) => have < want);
    if (grow.length > 0) {
      await this.admin.createPartitions({ topicPartitions: grow.map(({ topic, want }) => ({ topic, count: want })) });
      this.logger.info({ topics: grow }, 'increased partition counts');
    }
  }

  private partitionsOf(spec: TopicSpec): number {
    return spec.partitions ?? this.defaults.partitions;
  }

  private topicConfig(spec: TopicSpec): ITopicConfig {
    const configEntries = spec.compacted
      ? [
          { name: 'cleanup.policy', value: 'compact' },
          { name: 'min.compaction.lag.ms', value: '60000' },
        ]
      : [{ name: 'retention.ms', value: String(spec.retentionMs ?? this.defaults.retentionMs) }];
    return {
      topic: spec.name,
      numPartitions: this.partitionsOf(spec),
      replicationFactor: this.defaults.replicationFactor,
      configEntries,
    };
  }
}
