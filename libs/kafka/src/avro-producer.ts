import { CompressionTypes, IHeaders, Kafka, Partitioners, Producer } from 'kafkajs';
import type { AvroSerde } from './avro-serde';
import type { ContractTypes } from './contracts/contract-types.generated';
import type { ContractName } from './topics';

export interface OutgoingMessage<T> {
  key: string;
  value: T;
  headers?: IHeaders;
}

export interface RawMessage {
  key: Buffer | string | null;
  value: Buffer | null;
  headers?: IHeaders;
}

/**
 * Publishes Avro values and waits for every in-sync replica to acknowledge (acks=all) before resolving, so a
 * caller that stores a checkpoint after `send` never gets ahead of what Kafka holds.
 */
export class AvroProducer {
  private readonly producer: Producer;
  private connected = false;

  constructor(kafka: Kafka, private readonly serde: AvroSerde) {
    // One request in flight per broker: a retried produce can't reorder a partition's messages. Duplicates from
    // retries are possible (at-least-once); every contract carries an id its consumers de-duplicate on.
    this.producer = kafka.producer({
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
  }

  async connect(): Promise<void> {
    await this.producer.connect();
    this.connected = true;
  }

  isConnected(): boolean {
    return this.connected;
  }

  async send<C extends ContractName>(topic: string, _contract: C, messages: OutgoingMessage<ContractTypes[C]>[]): Promise<void> {
    if (messages.length === 0) return;
    const encoded = await Promise.all(
      messages.map(async (message) => ({ key: message.key, value: await this.serde.encode(topic, message.value), headers: message.headers })),
    );
    await this.producer.send({ topic, acks: -1, compression: CompressionTypes.None, messages: encoded });
  }

  /** Bytes as they are: DLQ copies keep the original value so nothing is lost or re-encoded. */
  async sendRaw(topic: string, messages: RawMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.producer.send({ topic, acks: -1, messages });
  }

  /** Waits for in-flight sends and leaves the cluster. */
  async disconnect(): Promise<void> {
    if (!this.connected) return;
    this.connected = false;
    await this.producer.disconnect();
  }
}
