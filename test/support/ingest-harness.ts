import { NestFactory } from '@nestjs/core';
import { AvroSerde, Command, KafkaRuntime, SyncLogRecord, TOPICS, TopicProvisioner, startGroupAtEnd } from '@connector/kafka';
import { MetricsRegistry, createLogger, type Logger } from '@connector/observability';
import {
  ApiUsageRepository, Connection, ConnectionSettings, OutboundLinksRepository, ConnectionsRepository, ImportJobsRepository, RecordLinksRepository, StreamOffsetsRepository, TokenCipher, connectMongo, defaultSettings,
} from '@connector/persistence';
import { SalesforceOAuthClient } from '@connector/salesforce';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import type { Connection as MongoConnection } from 'mongoose';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { DEFAULT_APP, SalesforceEmulator } from '@tools/salesforce-emulator';
import { IngestModule } from '../../apps/ingest/src/ingest.module';
import { StreamsHealth } from '../../apps/ingest/src/workers/streams.health';
import { Supervisor } from '../../apps/ingest/src/workers/supervisor';
import { loadIngestConfig } from '../../apps/ingest/src/ingest.config';
import { apiTestEnv, stackEnv, uniqueName } from './stack-env';

/**
 * The emulator's connected app, as the ingest app would know it. Given the emulator itself, its Pub/Sub endpoint
 * and certificate too (Pub/Sub is then the default source, as in production); given only a URL, CometD.
 */
export function ingestEnv(emulator: SalesforceEmulator | string, overrides: Record<string, string> = {}): Record<string, string> {
  const stack = stackEnv();
  const api = apiTestEnv();
  const emulatorUrl = typeof emulator === 'string' ? emulator : emulator.url;
  return {
    ...(typeof emulator === 'string' ? { INGEST_CHANGE_STREAM: 'cometd' } : pubsubEnv(emulator)),
    KAFKA_BROKERS: stack.kafkaBrokers.join(','), SCHEMA_REGISTRY_URL: stack.schemaRegistryUrl, MONGODB_URI: stack.mongodbUri,
    TOKEN_ENCRYPTION_KEYS: api.TOKEN_ENCRYPTION_KEYS, SALESFORCE_CLIENT_ID: DEFAULT_APP.clientId, SALESFORCE_CLIENT_SECRET: DEFAULT_APP.clientSecret,
    SALESFORCE_LOGIN_URL: emulatorUrl, SALESFORCE_SANDBOX_LOGIN_URL: emulatorUrl, SALESFORCE_INSECURE_HOSTS: new URL(emulatorUrl).host,
    INGEST_POLL_INTERVAL_MS: '300', INGEST_STREAMING_POLL_MS: '300', INGEST_MAX_BACKOFF_MS: '2000', INGEST_OWNERSHIP_GROUP: uniqueName('owners'),
    ...overrides,
  };
}

/** Where the ingest app finds the emulator's Pub/Sub API: its endpoint, and its certificate in a file. */
export function pubsubEnv(emulator: SalesforceEmulator): Record<string, string> {
  if (!emulator.pubsubEndpoint) return { INGEST_CHANGE_STREAM: 'cometd' };
  const env: Record<string, string> = { INGEST_PUBSUB_ENDPOINT: emulator.pubsubEndpoint, INGEST_PUBSUB_TLS: emulator.pubsubCertificate ? 'true' : 'false' };
  if (emulator.pubsubCertificate) {
    const file = join(tmpdir(), `emulator-pubsub-${emulator.pubsubEndpoint.replace(/\W/g, '-')}.pem`);
    writeFileSync(file, emulator.pubsubCertificate);
    env.INGEST_PUBSUB_CA_FILE = file;
  }
  return env;
}

/** A log sink tests can read: every JSON line an app logged. */
export function logCapture(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const lines: string[] = [];
  const stream = new Writable({ write(chunk, _e, done) { lines.push(...chunk.toString().split('\n').filter(Boolean)); done(); } });
  return { logger: createLogger({ name: 'ingest-test', level: 'info' }, stream), lines: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

/** Connects the emulator's org the way the API does (authorization code with PKCE), straight into the store. */
/** The OAuth web-server flow against an auto-approving emulator, as the API runs it. */
async function grant(url: string) {
  const oauth = new SalesforceOAuthClient({ clientId: DEFAULT_APP.clientId, clientSecret: DEFAULT_APP.clientSecret, redirectUri: 'http://localhost/callback' }, { productionLoginUrl: url, sandboxLoginUrl: url, insecureHosts: [new URL(url).host] });
  const verifier = randomBytes(32).toString('base64url');
  const consent = await fetch(oauth.authorizeUrl({ loginUrl: url, state: 's', codeChallenge: createHash('sha256').update(verifier).digest('base64url') }), { redirect: 'manual' });
  const code = new URL(consent.headers.get('location')!).searchParams.get('code')!;
  return oauth.exchangeCode({ loginUrl: url, code, codeVerifier: verifier });
}

/** What a person reconnecting an org through the API leaves in the store: new tokens, status CONNECTED. */
export async function reconnectOrg(url: string, connections: ConnectionsRepository, cipher: TokenCipher, connection: Connection): Promise<Connection> {
  const tokens = await grant(url);
  const updated = await connections.update(connection.tenantId, connection.id, {
    status: 'CONNECTED', statusReason: null,
    credentials: { accessToken: cipher.encrypt(tokens.accessToken, connection.id), refreshToken: tokens.refreshToken ? cipher.encrypt(tokens.refreshToken, connection.id) : null, issuedAt: tokens.issuedAt, scope: null },
  });
  if (!updated) throw new Error(`connection ${connection.id} is gone`);
  return updated;
}

export async function connectOrg(
  emulator: SalesforceEmulator, url: string, connections: ConnectionsRepository, cipher: TokenCipher,
  input: { tenantId: string; settings?: Partial<Omit<ConnectionSettings, 'source'>> & { source?: Partial<ConnectionSettings['source']> }; enabled?: boolean },
): Promise<Connection> {
  const tokens = await grant(url);
  const id = `con_${randomBytes(8).toString('hex')}`;
  return connections.create(input.tenantId, {
    name: 'test org',
    enabled: input.enabled ?? true,
    org: { orgId: emulator.org.orgId, instanceUrl: tokens.instanceUrl, loginUrl: url, environment: 'production', integrationUserId: tokens.userId, username: 'integration@journy-demo.example' },
    credentials: { accessToken: cipher.encrypt(tokens.accessToken, id), refreshToken: tokens.refreshToken ? cipher.encrypt(tokens.refreshToken, id) : null, issuedAt: tokens.issuedAt, scope: null },
    settings: { ...defaultSettings(), accountExternalIdField: 'Journy_Account_Id__c', ...input.settings, source: { ...defaultSettings().source, ...input.settings?.source } },
  }, id);
}

export interface Store {
  mongo: MongoConnection;
  /** The store's own database. */
  uri: string;
  connections: ConnectionsRepository;
  jobs: ImportJobsRepository;
  links: RecordLinksRepository;
  offsets: StreamOffsetsRepository;
  outboundLinks: OutboundLinksRepository;
  apiUsage: ApiUsageRepository;
  cipher: TokenCipher;
  close(): Promise<void>;
}

/** The repositories on the stack's store, indexes ensured; a database of its own keeps other tests' connections away. */
export async function openStore(database = uniqueName('ingest').replace(/-/g, '_')): Promise<Store> {
  const uri = stackEnv().mongodbUri.replace(/\/[^/?]*(\?|$)/, `/${database}$1`);
  const mongo = await connectMongo({ uri, attempts: 5 }, createLogger({ name: 'test-store', level: 'silent' }));
  const store = {
    mongo, uri,
    connections: new ConnectionsRepository(mongo), jobs: new ImportJobsRepository(mongo), links: new RecordLinksRepository(mongo), offsets: new StreamOffsetsRepository(mongo),
    outboundLinks: new OutboundLinksRepository(mongo), apiUsage: new ApiUsageRepository(mongo),
    cipher: TokenCipher.fromConfig(apiTestEnv().TOKEN_ENCRYPTION_KEYS),
    close: () => mongo.close(),
  };
  for (const repository of [store.connections, store.jobs, store.links, store.offsets, store.outboundLinks, store.apiUsage]) await repository.ensureIndexes();
  return store;
}

/** The ingest app in this process: its Nest module as main starts it (no HTTP listener), on the store's database. */
export async function startIngest(store: Store, env: Record<string, string>, logger: Logger) {
  const config = loadIngestConfig({ KAFKA_CLIENT_ID: uniqueName('ingest'), ...env, MONGODB_URI: store.uri });
  const app = await NestFactory.create(IngestModule.forRoot(config, logger, { defaultMetrics: false }), { logger: false, abortOnError: false });
  await app.init();
  const health = app.get(StreamsHealth);
  const supervisor = app.get(Supervisor);
  return {
    app, config,
    kafka: app.get(KafkaRuntime),
    metrics: app.get(MetricsRegistry),
    runtime: { health: () => health.check(), statuses: () => supervisor.statuses() },
    stop: () => app.close(),
  };
}

/**
 * Reads what the connector published to journy from now on (commands and sync-log records of one connection),
 * decoded through the schema registry: each partition is read from its end offset at the time of the call.
 */
export class Tap {
  readonly commands: Command[] = [];
  readonly logs: SyncLogRecord[] = [];
  private consumer: Consumer | null = null;

  private constructor(private readonly connectionId: () => string | null) {}

  static async open(connectionId: () => string | null): Promise<Tap> {
    const tap = new Tap(connectionId);
    await tap.start();
    return tap;
  }

  private async start(): Promise<void> {
    const stack = stackEnv();
    const kafka = new Kafka({ brokers: stack.kafkaBrokers, clientId: uniqueName('tap'), logLevel: logLevel.NOTHING });
    const serde = new AvroSerde(stack.schemaRegistryUrl);
    const admin = kafka.admin();
    await admin.connect();
    // On a fresh stack the apps may not have created the topics yet: create them as they would.
    await new TopicProvisioner(admin, { partitions: 6, replicationFactor: 1, retentionMs: 7 * 24 * 3600_000 }, createLogger({ name: 'tap', level: 'warn' })).ensure([TOPICS.commands, TOPICS.syncLog]);
    await admin.disconnect();
    const groupId = uniqueName('tap');
    await startGroupAtEnd(kafka, groupId, [TOPICS.commands.name, TOPICS.syncLog.name]);
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
    await consumer.connect();
    // From the beginning only where no offset was committed (a partition the topic's metadata did not show yet).
    await consumer.subscribe({ topics: [TOPICS.commands.name, TOPICS.syncLog.name], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        const value = JSON.parse(JSON.stringify(await serde.decode(message.value))) as Command | SyncLogRecord; // plain data, not avsc records
        if (value.connectionId !== this.connectionId()) return;
        if (topic === TOPICS.commands.name) this.commands.push(value as Command);
        else this.logs.push(value as SyncLogRecord);
      },
    });
    this.consumer = consumer;
  }

  /** Waits until the predicate holds over what was read, or fails with what was read so far. */
  async until(predicate: (tap: Tap) => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${this.commands.length} commands, ${this.logs.length} logs`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async close(): Promise<void> {
    await this.consumer?.disconnect();
  }
}

export function payloadOf(command: Command): { type: string; body: Record<string, unknown> } {
  const [type, body] = Object.entries(command.payload)[0];
  return { type: type.replace('journy.', ''), body: body as Record<string, unknown> };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** POSTs to the emulator's admin API (`/__emulator/<path>`) and returns its JSON; a refusal fails the test. */
export function emulatorAdmin(url: () => string) {
  return async (path: string, body: unknown = {}): Promise<Record<string, unknown>> => {
    const response = await fetch(`${url()}/__emulator/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return response.json() as Promise<Record<string, unknown>>;
  };
}
