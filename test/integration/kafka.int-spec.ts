import { ValidationError } from '@connector/domain';
import {
  AvroConsumer,
  AvroSerde,
  ConsumedMessage,
  DLQ_HEADERS,
  KafkaRuntime,
  SyncLogRecord,
  TopicSpec,
  dlqTopicName,
} from '@connector/kafka';
import { createLogger } from '@connector/observability';
import type { Consumer, KafkaMessage } from 'kafkajs';
import { stackEnv, uniqueName } from '../support/stack-env';

const logger = createLogger({ name: 'kafka-int-spec', level: 'warn' });

function syncLogRecord(logId: string): SyncLogRecord {
  return {
    logId,
    tenantId: 'acme',
    connectionId: 'con_1',
    occurredAt: Date.now(),
    direction: 'SALESFORCE_TO_JOURNY',
    mode: 'INITIAL_IMPORT',
    objectType: 'ACCOUNT',
    operation: 'UPSERT',
    status: 'SUCCEEDED',
    reason: null,
    message: null,
    error: null,
    journy: { userId: null, email: null, accountId: 'acc-1', domain: 'acme.com' },
    salesforce: { objectType: 'Account', recordId: '001000000000001AAA' },
    fields: [{ name: 'Name', source: 'name', value: 'Acme' }],
    correlationId: null,
    attempt: 1,
    durationMs: 12,
  };
}

/** Reads every message of a topic from the beginning until `count` arrived. */
async function readAll(runtime: KafkaRuntime, topic: string, count: number, timeoutMs = 30_000): Promise<KafkaMessage[]> {
  const consumer: Consumer = runtime.kafka.consumer({ groupId: uniqueName('reader') });
  const seen: KafkaMessage[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${seen.length} of ${count} messages on ${topic}`)), timeoutMs);
    void consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(message);
        if (seen.length >= count) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return seen;
}

function waitFor(predicate: () => boolean, timeoutMs = 30_000, what = 'condition'): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      if (predicate()) return resolve();
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 50);
    };
    tick();
  });
}

describe('Kafka with the schema registry (real broker, real registry)', () => {
  const env = stackEnv();
  const topic: TopicSpec = { name: uniqueName('it.sync-log'), contract: 'connector.sync-log.v1', description: 'test' };
  let runtime: KafkaRuntime;

  beforeAll(async () => {
    runtime = new KafkaRuntime(
      {
        brokers: env.kafkaBrokers,
        clientId: 'kafka-int-spec',
        schemaRegistryUrl: env.schemaRegistryUrl,
        topicDefaults: { partitions: 2, replicationFactor: 1, retentionMs: 3_600_000, dlqRetentionMs: 3_600_000 },
        provisionTopics: true,
        produces: [topic],
        consumes: [topic],
      },
      logger,
    );
    await runtime.start();
  });

  afterAll(async () => {
    await runtime.stop();
  });

  it('provisions the topic with its partitions and a DLQ topic beside it', async () => {
    const admin = runtime.kafka.admin();
    await admin.connect();
    const metadata = await admin.fetchTopicMetadata({ topics: [topic.name, dlqTopicName(topic.name)] });
    await admin.disconnect();
    expect(metadata.topics.find((t) => t.name === topic.name)?.partitions).toHaveLength(2);
    expect(metadata.topics.find((t) => t.name === dlqTopicName(topic.name))).toBeDefined();
  });

  it('round-trips an Avro value through the registry: Confluent framing, registered schema id, same value back', async () => {
    const record = syncLogRecord(uniqueName('log'));
    await runtime.producer.send(topic.name, 'connector.sync-log.v1', [{ key: 'acme:con_1', value: record }]);
    const [message] = await readAll(runtime, topic.name, 1);
    expect(message.value!.readUInt8(0)).toBe(0);
    const registered = await runtime.serde.registerContract('connector.sync-log.v1', topic.name);
    expect(message.value!.readUInt32BE(1)).toBe(registered.id);
    expect(await runtime.serde.decode(message.value)).toEqual(record);
    // Anyone with the registry can decode it, not only the producer's cached serde.
    expect(await new AvroSerde(env.schemaRegistryUrl).decode(message.value)).toEqual(record);
  });

  it('refuses to encode a value that breaks the contract, naming the field', async () => {
    const bad = { ...syncLogRecord('x'), status: 'MAYBE' } as unknown as SyncLogRecord;
    await expect(runtime.producer.send(topic.name, 'connector.sync-log.v1', [{ key: 'k', value: bad }])).rejects.toThrow(/status="MAYBE"/);
  });

  it('has the registry refuse an incompatible schema version (BACKWARD)', async () => {
    const serde = new AvroSerde(env.schemaRegistryUrl);
    const subjectTopic = uniqueName('it.compat');
    const v1 = { type: 'record', name: 'Thing', namespace: 'it', fields: [{ name: 'id', type: 'string' }] };
    const v2Compatible = { ...v1, fields: [...v1.fields, { name: 'note', type: ['null', 'string'], default: null }] };
    const v3Incompatible = { ...v1, fields: [...v2Compatible.fields, { name: 'required', type: 'string' }] };
    const first = await serde.register(subjectTopic, v1);
    const second = await serde.register(subjectTopic, v2Compatible);
    expect(second.id).not.toBe(first.id);
    const refused = serde.register(subjectTopic, v3Incompatible);
    await expect(refused).rejects.toBeInstanceOf(ValidationError);
    await expect(serde.register(subjectTopic, v3Incompatible)).rejects.toMatchObject({ code: 'SCHEMA_INCOMPATIBLE' });
  });

  it('repairs a subject left without its compatibility by a registration stopped half-way, and names any other setting', async () => {
    const serde = new AvroSerde(env.schemaRegistryUrl);
    const registry = env.schemaRegistryUrl.replace(/\/$/, '');
    const headers = { 'Content-Type': 'application/vnd.schemaregistry.v1+json' };
    const v1 = { type: 'record', name: 'Thing', namespace: 'it', fields: [{ name: 'id', type: 'string' }] };
    const config = async (subject: string) => ((await (await fetch(`${registry}/config/${subject}`)).json()) as { compatibilityLevel?: string }).compatibilityLevel;
    // A first version stored, the process gone before it set the subject's compatibility.
    const halfway = uniqueName('it.halfway');
    expect((await fetch(`${registry}/subjects/${halfway}-value/versions`, { method: 'POST', headers, body: JSON.stringify({ schema: JSON.stringify(v1) }) })).ok).toBe(true);
    expect(await config(`${halfway}-value`)).toBe('NONE');
    const registered = await serde.register(halfway, v1);
    expect(registered.subject).toBe(`${halfway}-value`);
    expect(await config(`${halfway}-value`)).toBe('BACKWARD');
    // Set on purpose to another level: refused with a clear error, left as it is.
    const full = uniqueName('it.full');
    await serde.register(full, v1);
    expect((await fetch(`${registry}/config/${full}-value`, { method: 'PUT', headers, body: JSON.stringify({ compatibility: 'FULL' }) })).ok).toBe(true);
    await expect(new AvroSerde(env.schemaRegistryUrl).register(full, v1)).rejects.toMatchObject({ code: 'SCHEMA_COMPATIBILITY_MISMATCH' });
    expect(await config(`${full}-value`)).toBe('FULL');
  });

  it('sends a poison message and a non-retryable failure to the DLQ with the error and coordinates, and goes on', async () => {
    const ids = [uniqueName('ok-1'), uniqueName('rejected'), uniqueName('ok-2')];
    const handled: string[] = [];
    let retried = 0;
    const consumer: AvroConsumer<SyncLogRecord> = runtime.createConsumer<SyncLogRecord>({
      groupId: uniqueName('it-dlq'),
      topics: [topic.name],
      fromBeginning: true,
      retry: { initialMs: 20, maxMs: 50 },
      handler: async (message: ConsumedMessage<SyncLogRecord>) => {
        if (message.value.logId === ids[1]) throw new ValidationError('UNPROCESSABLE', 'no tenant named acme');
        if (message.value.logId === ids[2] && retried < 2) {
          retried += 1;
          throw new Error('transient: socket hang up');
        }
        handled.push(message.value.logId);
      },
    });
    // Produced on one partition (same key) so the order is fixed: ok, rejected, not-avro, ok.
    await runtime.producer.send(topic.name, 'connector.sync-log.v1', [{ key: 'same', value: syncLogRecord(ids[0]) }, { key: 'same', value: syncLogRecord(ids[1]) }]);
    await runtime.producer.sendRaw(topic.name, [{ key: 'same', value: Buffer.from('{"not":"avro"}') }]);
    await runtime.producer.send(topic.name, 'connector.sync-log.v1', [{ key: 'same', value: syncLogRecord(ids[2]) }]);

    void consumer.start();
    await waitFor(() => handled.includes(ids[2]), 30_000, 'the message after the poison ones');
    expect(handled).toEqual(expect.arrayContaining([ids[0], ids[2]]));
    expect(handled).not.toContain(ids[1]);
    expect(retried).toBe(2);
    await consumer.stop();

    const dead = await readAll(runtime, dlqTopicName(topic.name), 2);
    const byCode = Object.fromEntries(dead.map((m) => [m.headers![DLQ_HEADERS.errorCode]!.toString(), m]));
    expect(Object.keys(byCode).sort()).toEqual(['NOT_AVRO', 'UNPROCESSABLE']);
    const rejected = byCode.UNPROCESSABLE;
    expect(rejected.headers![DLQ_HEADERS.errorMessage]!.toString()).toBe('no tenant named acme');
    expect(rejected.headers![DLQ_HEADERS.errorCategory]!.toString()).toBe('validation');
    expect(rejected.headers![DLQ_HEADERS.originalTopic]!.toString()).toBe(topic.name);
    expect(rejected.headers![DLQ_HEADERS.originalPartition]!.toString()).toMatch(/^\d+$/);
    expect(rejected.headers![DLQ_HEADERS.originalOffset]!.toString()).toMatch(/^\d+$/);
    // The original bytes are kept as they were: the DLQ copy still decodes to the rejected record.
    expect(((await runtime.serde.decode(rejected.value)) as SyncLogRecord).logId).toBe(ids[1]);
    expect(byCode.NOT_AVRO.value!.toString()).toBe('{"not":"avro"}');
  });
  it('tells a long batch that its group is rebalancing, and commits what it resolved before the member joins again', async () => {
    const group = uniqueName('it-rebalance');
    const ids = [uniqueName('first'), uniqueName('second')];
    const handled: string[] = [];
    let working = false;
    let heardAt = 0;
    const assigned = { a: false, b: false };
    const consumer = (name: 'a' | 'b', long: boolean) => runtime.createConsumer<SyncLogRecord>({
      groupId: group, topics: [topic.name], fromBeginning: true, sessionTimeoutMs: 6000, heartbeatIntervalMs: 500,
      onAssignment: () => { assigned[name] = true; },
      batchHandler: async (messages, context) => {
        handled.push(...messages.map((m) => m.value.logId));
        if (!long) return;
        working = true;
        const giveUp = Date.now() + 60_000;
        while (!context.rebalancing.aborted && Date.now() < giveUp) {
          await context.heartbeat().catch(() => undefined);
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
        heardAt = Date.now();
      },
    });
    await runtime.producer.send(topic.name, 'connector.sync-log.v1', [{ key: 'rebalance', value: syncLogRecord(ids[0]) }]);
    const a = consumer('a', true);
    void a.start();
    await waitFor(() => working, 30_000, 'the long batch');
    const b = consumer('b', false);
    const joinedAt = Date.now();
    void b.start();
    await waitFor(() => heardAt > 0, 30_000, 'the rebalance heard by the long batch');
    expect(heardAt - joinedAt).toBeLessThan(20_000);
    await waitFor(() => assigned.b, 30_000, 'the second member assigned');
    await runtime.producer.send(topic.name, 'connector.sync-log.v1', [{ key: 'rebalance', value: syncLogRecord(ids[1]) }]);
    await waitFor(() => handled.includes(ids[1]), 30_000, 'the next message');
    // The first message was resolved before the rebalance: committed then, so not delivered again.
    expect(handled.filter((id) => id === ids[0])).toHaveLength(1);
    await Promise.all([a.stop(), b.stop()]);
  });
});
