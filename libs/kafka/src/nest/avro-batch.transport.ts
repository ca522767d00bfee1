import { ArgumentsHost, Catch, INestApplication, RpcExceptionFilter } from '@nestjs/common';
import { BaseRpcContext, CustomTransportStrategy, Server } from '@nestjs/microservices';
import { isObservable, lastValueFrom, throwError, type Observable } from 'rxjs';
import type { Logger } from 'pino';
import type { AvroConsumer, AvroConsumerOptions, ConsumedMessage, HandlerContext } from '../avro-consumer';
import type { KafkaRuntime } from '../kafka-runtime';

/** One topic's consumer settings; its messages go to the `@EventPattern(topic)` handler in batches. */
export type AvroSubscription = Omit<AvroConsumerOptions<unknown>, 'topics' | 'handler' | 'batchHandler'> & { topic: string };

/** What an `@EventPattern` handler gets with its batch: the topic and partition, heartbeat, the stop and rebalance signals, a logger. */
export class AvroBatchContext extends BaseRpcContext<[string, number, HandlerContext]> {
  get topic(): string {
    return this.args[0];
  }

  get partition(): number {
    return this.args[1];
  }

  heartbeat(): Promise<void> {
    return this.args[2].heartbeat();
  }

  get signal(): AbortSignal {
    return this.args[2].signal;
  }

  /** Aborted when the group is heard rebalancing during this batch (see HandlerContext). */
  get rebalancing(): AbortSignal {
    return this.args[2].rebalancing;
  }

  get logger(): Logger {
    return this.args[2].logger;
  }
}

/**
 * Hands the error a handler threw to the consumer unchanged: its category (validation, integration, retryable,
 * auth) decides whether the batch is retried, halved or dead-lettered, which Nest's default RPC filter would erase.
 */
@Catch()
export class RethrowToConsumer implements RpcExceptionFilter<unknown> {
  catch(error: unknown, _host: ArgumentsHost): Observable<never> {
    return throwError(() => error);
  }
}

/**
 * A Nest microservice transport over the project's Avro consumer: each subscription becomes a consumer group
 * whose partition batches (decoded, validated, poison messages already dead-lettered) are passed to the
 * `@EventPattern(topic)` handler. Batching, retries, halving and the dead-letter topic stay in AvroConsumer.
 */
export class AvroBatchTransport extends Server implements CustomTransportStrategy {
  private readonly consumers = new Map<string, AvroConsumer<unknown>>();

  constructor(private readonly kafka: KafkaRuntime, private readonly subscriptions: AvroSubscription[]) {
    super();
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      for (const { topic, ...options } of this.subscriptions) {
        const handler = this.getHandlerByPattern(topic);
        if (!handler) throw new Error(`no @EventPattern('${topic}') handler is registered for the subscription to ${topic}`);
        const consumer = this.kafka.createConsumer<unknown>({
          ...options,
          topics: [topic],
          batchHandler: async (messages: ConsumedMessage<unknown>[], context: HandlerContext) => {
            const result: unknown = await handler(messages, new AvroBatchContext([topic, messages[0].partition, context]));
            if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
          },
        });
        this.consumers.set(topic, consumer);
      }
      for (const consumer of this.consumers.values()) await consumer.start();
      callback();
    } catch (error) {
      callback(error);
    }
  }

  /** The consumer of a subscribed topic (its health: running, stalled partitions). */
  consumer(topic: string): AvroConsumer<unknown> | undefined {
    return this.consumers.get(topic);
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers.values()].map((consumer) => consumer.stop()));
  }

  on(): never {
    throw new Error('AvroBatchTransport has no events to listen to');
  }

  unwrap<T>(): T {
    return this.consumers as T;
  }
}

/** Connects the app's AvroBatchTransport provider as its microservice (the app is then HTTP plus Kafka). */
export function connectAvroTransport(app: INestApplication): void {
  app.connectMicroservice({ strategy: app.get(AvroBatchTransport) });
}
