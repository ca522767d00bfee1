import { describeError } from '@connector/domain';
import type { IHeaders, KafkaMessage } from 'kafkajs';
import type { AvroProducer } from './avro-producer';
import { dlqTopicName } from './topics';

/** Header names on a DLQ copy; the value and key are the original bytes. */
export const DLQ_HEADERS = {
  errorClass: 'dlq.error.class',
  errorCode: 'dlq.error.code',
  errorCategory: 'dlq.error.category',
  errorMessage: 'dlq.error.message',
  originalTopic: 'dlq.original.topic',
  originalPartition: 'dlq.original.partition',
  originalOffset: 'dlq.original.offset',
  originalTimestamp: 'dlq.original.timestamp',
  consumerGroup: 'dlq.consumer.group',
  failedAt: 'dlq.failed.at',
  /** The connection that could not apply the message, when one connection's handling failed. */
  connectionId: 'dlq.connection.id',
} as const;

export interface DeadLetterSource {
  topic: string;
  partition: number;
  message: KafkaMessage;
  groupId: string;
}

export class DeadLetterPublisher {
  constructor(private readonly producer: AvroProducer) {}

  /** Copies the message to `<topic>.dlq` with why and where it came from; throws if Kafka does not take it. */
  async publish(source: DeadLetterSource, error: unknown, extra: IHeaders = {}): Promise<void> {
    const described = describeError(error);
    const headers: IHeaders = {
      ...(source.message.headers ?? {}),
      [DLQ_HEADERS.errorClass]: described.name,
      [DLQ_HEADERS.errorCode]: described.code,
      [DLQ_HEADERS.errorCategory]: described.category,
      [DLQ_HEADERS.errorMessage]: described.message.slice(0, 2000),
      [DLQ_HEADERS.originalTopic]: source.topic,
      [DLQ_HEADERS.originalPartition]: String(source.partition),
      [DLQ_HEADERS.originalOffset]: source.message.offset,
      [DLQ_HEADERS.originalTimestamp]: source.message.timestamp,
      [DLQ_HEADERS.consumerGroup]: source.groupId,
      [DLQ_HEADERS.failedAt]: new Date().toISOString(),
      ...extra,
    };
    await this.producer.sendRaw(dlqTopicName(source.topic), [{ key: source.message.key, value: source.message.value, headers }]);
  }
}
