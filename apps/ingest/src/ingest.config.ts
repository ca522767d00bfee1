import { configPrimitives, httpFragment, kafkaFragment, loadConfig, mongoFragment, salesforceFragment, type Env } from '@connector/config';
import { z } from 'zod';

const { positiveInt, boolean } = configPrimitives;

/** Every variable of the ingest app; documented in .env.example. */
export const ingestConfigSchema = z.object({
  ...httpFragment('INGEST_PORT', 3001),
  ...kafkaFragment,
  ...mongoFragment,
  ...salesforceFragment,
  /** Rows per Bulk API results page (and per checkpoint) during an import. */
  INGEST_IMPORT_PAGE_SIZE: positiveInt.max(100_000).default(10_000),
  /** How soon a connection is looked at again after an import or a recovery step, ms (a failing one backs off instead). */
  INGEST_POLL_INTERVAL_MS: positiveInt.default(2000),
  /**
   * How often a streaming, disabled or reconnect-waiting connection is looked at anyway, ms: the last safety net. A
   * change to it (settings, an import started through the API) wakes its worker at once through the
   * connection-changes topic, and the reconcile every 30 s wakes it when the connection's revision moved or an
   * import job waits (one read of all connections and one of all active jobs, not two reads per connection).
   */
  INGEST_STREAMING_POLL_MS: positiveInt.default(300_000),
  /**
   * How long a stream's newest acknowledged replay id may wait before it is saved, ms: the saves of a connection's
   * events in that time are one store write. A crash re-delivers at most this much of its events (same command ids).
   */
  INGEST_OFFSET_FLUSH_MS: positiveInt.max(60_000).default(5000),
  /** The Kafka consumer group whose members share the connections (one per deployment). */
  INGEST_OWNERSHIP_GROUP: z.string().regex(/^[A-Za-z0-9._-]+$/).default('connector-ingest-owners'),
  /** How soon the other instances take over the connections of one that died (Kafka session timeout, ≥ 6000). */
  INGEST_OWNERSHIP_SESSION_TIMEOUT_MS: positiveInt.min(6000).default(6000),
  /** A stream that has not heard from Salesforce (or kept failing) for this long makes /health report down. */
  INGEST_STREAM_STUCK_MS: positiveInt.default(5 * 60_000),
  /** Ceiling of the backoff between retries of a failing connection, ms. */
  INGEST_MAX_BACKOFF_MS: positiveInt.default(60_000),
  /** Which API delivers change events for connections whose setting does not say: pubsub (gRPC) or cometd. */
  INGEST_CHANGE_STREAM: z.enum(['pubsub', 'cometd']).default('pubsub'),
  /** The Pub/Sub API endpoint, host:port (Europe's data-in-transit endpoint: api.deu.pubsub.salesforce.com:7443). */
  INGEST_PUBSUB_ENDPOINT: z.string().regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'must be host:port').default('api.pubsub.salesforce.com:7443'),
  /** TLS to the Pub/Sub endpoint (Salesforce's only mode); false only for a local emulator in plain text. */
  INGEST_PUBSUB_TLS: boolean.default(true),
  /** A PEM file of the certificate authorities to trust for Pub/Sub instead of the system's (a local emulator's). */
  INGEST_PUBSUB_CA_FILE: z.string().min(1).optional(),
  /** A Pub/Sub stream with no response (events or keepalive) this long is rebuilt; Salesforce keeps alive within 270 s. */
  INGEST_PUBSUB_SILENCE_MS: positiveInt.min(1000).default(300_000),
});

export type IngestConfig = z.infer<typeof ingestConfigSchema>;

export function loadIngestConfig(env: Env = process.env): IngestConfig {
  return loadConfig(ingestConfigSchema, env);
}

/** The validated environment, as a provider. */
export const INGEST_CONFIG = Symbol('INGEST_CONFIG');
