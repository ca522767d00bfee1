import { backoffDelay, categorize, describeError } from '@connector/domain';
import type { Consumer, IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import type { AvroSerde } from './avro-serde';
import type { DeadLetterPublisher } from './dead-letter';

export interface ConsumedMessage<T> {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: T;
  headers: IHeaders;
  timestamp: string;
  /** The message as it came (its original bytes), for a handler that dead-letters it alone. */
  raw: KafkaMessage;
}

export interface HandlerContext {
  /** Keep the group membership alive during long work. */
  heartbeat(): Promise<void>;
  /** Aborted when the consumer stops: long waits should end. */
  signal: AbortSignal;
  /**
   * Aborted once a heartbeat of this batch hears that the group is rebalancing (or has moved on without this
   * member): the group waits for this batch before it settles, so long work should hand over what it holds.
   */
  rebalancing: AbortSignal;
  logger: Logger;
}

/** Kafka's answers to a heartbeat that say the group is rebalancing, or that this member's generation is over. */
const REBALANCE_ERRORS = new Set(['REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'NOT_COORDINATOR_FOR_GROUP']);

/** A heartbeat that aborts `rebalancing` when the group answers that it is rebalancing, then fails as it did. */
export function watchedHeartbeat(heartbeat: () => Promise<void>): { heartbeat: () => Promise<void>; rebalancing: AbortSignal } {
  const rebalance = new AbortController();
  return {
    rebalancing: rebalance.signal,
    heartbeat: async () => {
      try {
        await heartbeat();
      } catch (error) {
        if (REBALANCE_ERRORS.has((error as { type?: string }).type ?? '')) rebalance.abort();
        throw error;
      }
    },
  };
}

export type MessageOutcome = 'processed' | 'dead-lettered' | 'retrying';

export interface AvroConsumerOptions<T> {
  groupId: string;
  topics: string[];
  fromBeginning?: boolean;
  /** How many partitions are handled at once (in order within each). */
  partitionsConsumedConcurrently?: number;
  /** Checks a decoded value at the boundary; throw a ValidationError to dead-letter it. */
  validate?: (value: unknown) => T;
  /** One message at a time (in order per partition)… */
  handler?: (message: ConsumedMessage<T>, context: HandlerContext) => Promise<void>;
  /** …or a partition's batch at once (e.g. one bulk write); poison messages are dead-lettered before it runs. */
  batchHandler?: (messages: ConsumedMessage<T>[], context: HandlerContext) => Promise<void>;
  /** Backoff for retryable failures: exponential from initialMs to maxMs, with equal jitter (backoffDelay). */
  retry?: { initialMs?: number; maxMs?: number };
  onOutcome?: (outcome: MessageOutcome, topic: string) => void;
  /** How soon the group notices a dead member (the broker's minimum is 6 s); shorter means faster failover. */
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** How often topic metadata is refreshed, ms (new partitions of a subscribed topic are noticed then). */
  metadataMaxAgeMs?: number;
  /** Fetch shape: how long the broker may wait to gather `minBytes` (a linger that makes batches under light load). */
  fetch?: { maxWaitTimeInMs?: number; minBytes?: number; maxBytesPerPartition?: number };
  /** Called after every rebalance with the partitions this member now holds, by topic (ownership decisions). */
  onAssignment?: (assignment: Record<string, number[]>) => void;
}

class ConsumerStopping extends Error {
  constructor() {
    super('consumer is stopping; the message stays uncommitted');
  }
}

/**
 * Consumes Avro values and decides every failure explicitly, by the error's category:
 * - validation / integration (poison: bad bytes, an invalid value, a permanent refusal): the message is copied
 *   to the DLQ with the error and its coordinates, logged, and its offset committed: the consumer goes on.
 * - retryable / auth: retried in place with backoff and jitter, heartbeating; the offset is not committed past
 *   it, so a crash or a stop re-delivers it.
 */
export class AvroConsumer<T> {
  private readonly consumer: Consumer;
  private readonly abort = new AbortController();
  private running = false;
  /** Partitions whose batch keeps failing: since when, and the last error. */
  private readonly failing = new Map<string, { since: number; error: string }>();

  constructor(
    kafka: Kafka,
    private readonly serde: AvroSerde,
    private readonly deadLetters: DeadLetterPublisher,
    private readonly options: AvroConsumerOptions<T>,
    private readonly logger: Logger,
  ) {
    if (!options.handler === !options.batchHandler) throw new Error('an AvroConsumer needs exactly one of handler or batchHandler');
    this.consumer = kafka.consumer({
      groupId: options.groupId,
      allowAutoTopicCreation: false,
      retry: { retries: 10 },
      ...(options.fetch ?? {}),
      ...(options.sessionTimeoutMs ? { sessionTimeout: options.sessionTimeoutMs, rebalanceTimeout: Math.max(options.sessionTimeoutMs * 2, 10_000) } : {}),
      ...(options.heartbeatIntervalMs ? { heartbeatInterval: options.heartbeatIntervalMs } : {}),
      ...(options.metadataMaxAgeMs ? { metadataMaxAge: options.metadataMaxAgeMs } : {}),
    });
    const onAssignment = options.onAssignment;
    if (onAssignment) {
      this.consumer.on(this.consumer.events.GROUP_JOIN, (event) => onAssignment(event.payload.memberAssignment as Record<string, number[]>));
    }
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    for (const topic of this.options.topics) {
      await this.consumer.subscribe({ topic, fromBeginning: this.options.fromBeginning ?? false });
    }
    this.running = true;
    const { batchHandler } = this.options;
    if (batchHandler) {
      await this.consumer.run({
        autoCommit: true,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
        eachBatch: async ({ batch, heartbeat, resolveOffset, isRunning, isStale }) => {
          if (!isRunning() || isStale() || batch.messages.length === 0) return;
          const watched = watchedHeartbeat(heartbeat);
          await this.handleBatch(batch.topic, batch.partition, batch.messages, watched, batchHandler);
          resolveOffset(batch.messages[batch.messages.length - 1].offset);
          await heartbeat(); // in a rebalance: the offsets resolved are committed, then the member joins again
        },
      });
      return;
    }
    await this.consumer.run({
      autoCommit: true,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
      eachMessage: async ({ topic, partition, message, heartbeat }) => {
        await this.handle(topic, partition, message, heartbeat);
      },
    });
  }

  isRunning(): boolean {
    return this.running;
  }

  /** Partitions whose messages have been failing (retried, not committed) for at least `forMs`. */
  stalledPartitions(forMs: number): { partition: string; since: string; error: string }[] {
    const now = Date.now();
    return [...this.failing].filter(([, f]) => now - f.since >= forMs).map(([partition, f]) => ({ partition, since: new Date(f.since).toISOString(), error: f.error }));
  }

  /** Ends retries in progress, commits what was processed and leaves the group. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.abort.abort();
    await this.consumer.disconnect();
  }

  /** Decodes a batch (dead-lettering what can never be read), then hands the rest over at once, retrying it whole. */
  private async handleBatch(
    topic: string,
    partition: number,
    messages: KafkaMessage[],
    { heartbeat, rebalancing }: ReturnType<typeof watchedHeartbeat>,
    batchHandler: NonNullable<AvroConsumerOptions<T>['batchHandler']>,
  ): Promise<void> {
    const logger = this.logger.child({ topic, partition, firstOffset: messages[0].offset, groupId: this.options.groupId });
    const context: HandlerContext = { heartbeat, signal: this.abort.signal, rebalancing, logger };
    const decoded: ConsumedMessage<T>[] = [];
    for (const message of messages) {
      for (let attempt = 1; ; attempt++) {
        if (this.abort.signal.aborted) throw new ConsumerStopping();
        try {
          const raw = await this.serde.decode(message.value);
          const value = this.options.validate ? this.options.validate(raw) : (raw as T);
          decoded.push({ topic, partition, offset: message.offset, key: message.key ? message.key.toString('utf8') : null, value, headers: message.headers ?? {}, timestamp: message.timestamp, raw: message });
          break;
        } catch (error) {
          const category = categorize(error);
          if (category === 'validation' || category === 'integration') {
            await this.deadLetters.publish({ topic, partition, message, groupId: this.options.groupId }, error);
            logger.warn({ offset: message.offset, error: describeError(error) }, 'message sent to the dead-letter topic');
            this.options.onOutcome?.('dead-lettered', topic);
            break;
          }
          await this.sleep(this.backoff(attempt), heartbeat);
        }
      }
    }
    if (decoded.length === 0) return;
    await this.runBatch(decoded, context, batchHandler);
  }

  /**
   * Runs the handler on a batch, deciding its failure by category: retryable / auth → the whole batch again with
   * backoff (not committed meanwhile); validation / integration → the batch is halved until the message that
   * fails is alone, which goes to the DLQ while the others are handled.
   */
  private async runBatch(decoded: ConsumedMessage<T>[], context: HandlerContext, batchHandler: NonNullable<AvroConsumerOptions<T>['batchHandler']>): Promise<void> {
    const { topic, partition } = decoded[0];
    const key = `${topic}/${partition}`;
    for (let attempt = 1; ; attempt++) {
      if (this.abort.signal.aborted) throw new ConsumerStopping();
      try {
        await batchHandler(decoded, context);
        this.failing.delete(key);
        for (let i = 0; i < decoded.length; i++) this.options.onOutcome?.('processed', topic);
        return;
      } catch (error) {
        if (error instanceof ConsumerStopping) throw error;
        const category = categorize(error);
        if (category === 'validation' || category === 'integration') {
          if (decoded.length === 1) {
            await this.deadLetters.publish({ topic, partition, message: decoded[0].raw, groupId: this.options.groupId }, error);
            context.logger.warn({ offset: decoded[0].offset, error: describeError(error) }, 'message sent to the dead-letter topic');
            this.options.onOutcome?.('dead-lettered', topic);
            return;
          }
          const half = Math.ceil(decoded.length / 2);
          context.logger.warn({ error: describeError(error), size: decoded.length }, 'batch refused; halving it to find the message that fails');
          await this.runBatch(decoded.slice(0, half), context, batchHandler);
          await this.runBatch(decoded.slice(half), context, batchHandler);
          return;
        }
        const delay = this.backoff(attempt);
        if (!this.failing.has(key)) this.failing.set(key, { since: Date.now(), error: '' });
        this.failing.get(key)!.error = `${describeError(error).code}: ${describeError(error).message}`.slice(0, 300);
        context.logger.warn({ error: describeError(error), attempt, size: decoded.length, retryInMs: delay }, 'batch failed; retrying');
        this.options.onOutcome?.('retrying', topic);
        await this.sleep(delay, context.heartbeat);
      }
    }
  }

  private async handle(topic: string, partition: number, message: KafkaMessage, heartbeat: () => Promise<void>): Promise<void> {
    const logger = this.logger.child({ topic, partition, offset: message.offset, groupId: this.options.groupId });
    const watched = watchedHeartbeat(heartbeat);
    const context: HandlerContext = { heartbeat: watched.heartbeat, signal: this.abort.signal, rebalancing: watched.rebalancing, logger };
    let attempt = 0;
    for (;;) {
      if (this.abort.signal.aborted) throw new ConsumerStopping();
      try {
        const decoded = await this.serde.decode(message.value);
        const value = this.options.validate ? this.options.validate(decoded) : (decoded as T);
        await this.options.handler!(
          {
            topic,
            partition,
            offset: message.offset,
            key: message.key ? message.key.toString('utf8') : null,
            value,
            headers: message.headers ?? {},
            timestamp: message.timestamp,
            raw: message,
          },
          context,
        );
        this.options.onOutcome?.('processed', topic);
        return;
      } catch (error) {
        if (error instanceof ConsumerStopping) throw error;
        const category = categorize(error);
        if (category === 'validation' || category === 'integration') {
          await this.deadLetters.publish({ topic, partition, message, groupId: this.options.groupId }, error);
          logger.warn({ error: describeError(error) }, 'message sent to the dead-letter topic');
          this.options.onOutcome?.('dead-lettered', topic);
          return;
        }
        attempt += 1;
        const delay = this.backoff(attempt);
        logger.warn({ error: describeError(error), attempt, retryInMs: delay }, 'message failed; retrying');
        this.options.onOutcome?.('retrying', topic);
        await this.sleep(delay, heartbeat);
      }
    }
  }

  private backoff(attempt: number): number {
    return backoffDelay(attempt, { initialMs: this.options.retry?.initialMs ?? 200, maxMs: this.options.retry?.maxMs ?? 30_000 });
  }

  /** Waits, heartbeating every few seconds, and wakes at once when the consumer stops. */
  private async sleep(ms: number, heartbeat: () => Promise<void>): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until && !this.abort.signal.aborted) {
      const step = Math.min(until - Date.now(), 2000);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, step);
        this.abort.signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
      });
      await heartbeat().catch(() => undefined);
    }
  }
}
