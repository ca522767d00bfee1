import * as grpc from '@grpc/grpc-js';
import type { SalesforceSession } from '../session';
import { ChangeEventSchema } from './change-event-schema';
import { pubSubPackage, type PubSubClient } from './service';

/** Salesforce's global Pub/Sub endpoint; `api.deu.pubsub.salesforce.com:7443` keeps data in transit in Europe. */
export const PUBSUB_DEFAULT_ENDPOINT = 'api.pubsub.salesforce.com:7443';

export interface PubSubChannelOptions {
  /** host:port */
  endpoint: string;
  /** TLS (Salesforce's only mode); false only for a local emulator served in plain text. */
  tls: boolean;
  /** PEM of the certificate authorities to trust instead of the system's (a local emulator's own certificate). */
  rootCertificates?: string | null;
  /** HTTP/2 keepalive ping interval on the channel, ms. */
  keepaliveMs?: number;
}

/**
 * One HTTP/2 channel to the Pub/Sub API for an ingest instance: every connection's stream runs on it, each call
 * carrying its own org's credentials. Schemas are cached by id here, as a schema id is a fingerprint of its content.
 */
export class PubSubChannel {
  readonly client: PubSubClient;
  private readonly schemas = new Map<string, Promise<ChangeEventSchema>>();

  constructor(readonly options: PubSubChannelOptions) {
    const credentials = options.tls ? grpc.credentials.createSsl(options.rootCertificates ? Buffer.from(options.rootCertificates) : null) : grpc.credentials.createInsecure();
    this.client = new (pubSubPackage().PubSub)(options.endpoint, credentials, {
      'grpc.keepalive_time_ms': options.keepaliveMs ?? 60_000,
      'grpc.keepalive_timeout_ms': 20_000,
      'grpc.keepalive_permit_without_calls': 0,
      'grpc.max_receive_message_length': 16 * 1024 * 1024,
    }) as unknown as PubSubClient;
  }

  /** The three headers Salesforce authenticates every call by. */
  metadata(session: SalesforceSession, tenantId: string): grpc.Metadata {
    const metadata = new grpc.Metadata();
    metadata.set('accesstoken', session.accessToken());
    metadata.set('instanceurl', session.instanceUrl);
    metadata.set('tenantid', tenantId);
    return metadata;
  }

  /**
   * The schema of an event, fetched once per id (a new id mid-stream is fetched, a failed fetch retried next
   * time); the call's credentials are made only for a fetch.
   */
  schema(schemaId: string, metadata: () => grpc.Metadata, timeoutMs = 30_000): Promise<ChangeEventSchema> {
    let found = this.schemas.get(schemaId);
    if (!found) {
      found = new Promise<ChangeEventSchema>((resolve, reject) => {
        this.client.GetSchema({ schemaId }, metadata(), { deadline: Date.now() + timeoutMs }, (error, info) => {
          if (error || !info) return reject(error ?? new Error(`no schema ${schemaId}`));
          try {
            resolve(new ChangeEventSchema(schemaId, info.schemaJson));
          } catch (parseError) {
            reject(parseError);
          }
        });
      });
      this.schemas.set(schemaId, found);
      found.catch(() => this.schemas.delete(schemaId));
    }
    return found;
  }

  cachedSchemas(): number {
    return this.schemas.size;
  }

  close(): void {
    this.client.close();
  }
}
