import { Kafka, logLevel as KafkaLogLevel, LogEntry } from 'kafkajs';
import type { Logger } from 'pino';

export interface KafkaClientConfig {
  brokers: string[];
  clientId: string;
  /** Connection and request timeouts; defaults suit a broker on the same network. */
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
}

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [KafkaLogLevel.ERROR]: 'error',
  [KafkaLogLevel.WARN]: 'warn',
  [KafkaLogLevel.INFO]: 'info',
  [KafkaLogLevel.DEBUG]: 'debug',
};

/** A kafkajs client whose own logs go to the app's JSON logger (kafkajs' INFO is chatty: it becomes debug). */
export function createKafkaClient(config: KafkaClientConfig, logger: Logger): Kafka {
  const kafkaLogger = logger.child({ client: 'kafkajs' });
  return new Kafka({
    clientId: config.clientId,
    brokers: config.brokers,
    connectionTimeout: config.connectionTimeoutMs ?? 5000,
    requestTimeout: config.requestTimeoutMs ?? 30000,
    retry: { initialRetryTime: 300, retries: 8 },
    logLevel: KafkaLogLevel.WARN,
    logCreator: () => (entry: LogEntry) => {
      const { message, ...extra } = entry.log;
      const level = LEVELS[entry.level] === 'info' ? 'debug' : (LEVELS[entry.level] ?? 'debug');
      kafkaLogger[level]({ namespace: entry.namespace, ...extra }, message);
    },
  });
}

/**
 * Commits a new consumer group's offsets at the topics' current ends, so its consumers read only what comes next.
 * Done before the group has a member: a seek after `run()` races the first join (and is lost if the join retries).
 */
export async function startGroupAtEnd(kafka: Kafka, groupId: string, topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (const topic of topics) {
      // A topic just created may show fewer partitions, or no leader yet, for a moment: wait until its metadata
      // and offsets agree.
      let ends: { partition: number; offset: string }[] = [];
      for (let i = 0; i < 50; i++) {
        try {
          ends = await admin.fetchTopicOffsets(topic);
          const [metadata] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
          if (metadata.partitions.length > 0 && metadata.partitions.length === ends.length) break;
        } catch (error) {
          if (!(error as { retriable?: boolean }).retriable || i === 49) throw error;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await admin.setOffsets({ groupId, topic, partitions: ends.map(({ partition, offset }) => ({ partition, offset })) });
    }
  } finally {
    await admin.disconnect();
  }
}
