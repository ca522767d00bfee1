import * as grpc from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import { pubSubPackage } from '../../../../libs/salesforce/src/pubsub/service';
import { ReplayIdInvalid, type StreamEvent } from '../event-bus';
import type { OAuthServer } from '../oauth';
import type { Org } from '../org';
import type { TlsCredentials } from '../tls';
import { encodeChangeEvent } from './encoder';
import { schemaForObject, schemaForPayload, type EventSchema } from './schemas';

export interface PubSubOptions {
  port: number;
  host: string;
  /** TLS with this certificate; null serves plain text (only for tests that ask). */
  tls: TlsCredentials | null;
  /** An empty response with the latest replay id after this long without one (Salesforce: within 270 s, often ~60 s). */
  keepaliveMs: number;
  /** With nothing requested, a stream is closed this long after its last response (Salesforce: 60 s). */
  idleTimeoutMs: number;
  /** Events reach subscribers no sooner than this long after they were published. */
  deliveryDelayMs: number;
}

interface FetchRequest {
  topicName: string;
  replayPreset: 'LATEST' | 'EARLIEST' | 'CUSTOM';
  replayId: Buffer;
  numRequested: number;
}

type Call = grpc.ServerDuplexStream<FetchRequest, unknown>;

interface Subscription {
  call: Call;
  tenant: PubSubTenant;
  topic: string;
  token: string;
  demand: number;
  queue: StreamEvent[];
  lastDelivered: number | null;
  unsubscribe: () => void;
  timers: { keepalive?: NodeJS.Timeout; idle?: NodeJS.Timeout; pump?: NodeJS.Timeout };
  closed: boolean;
}

const MAX_DEMAND = 100;
const PREFIX = 'sfdc.platform.eventbus.grpc.';

/** One org as Pub/Sub sees it: its event bus and sessions, its schemas, and the admin controls on its streams. */
export class PubSubTenant {
  /** Admin control: this org may not use Pub/Sub (an edition without it). */
  refused = false;
  /** Admin control: the next CUSTOM resume also resends this many events up to the given id (redeliveries clients must drop). */
  redeliverOnResume = 0;
  /** Admin control: until this time every call fails as during an outage (INTERNAL, service.unavailable). */
  unavailableUntil = 0;
  readonly stats = { subscribes: 0, delivered: 0 };
  private readonly schemasById = new Map<string, EventSchema>();
  private readonly schemasByShape = new Map<string, EventSchema>();

  constructor(readonly org: Org, readonly oauth: OAuthServer) {}

  /** The schema an event of this entity is written with now (a new id once the object gains a field). */
  schemaFor(entity: string, body: Record<string, unknown>): EventSchema {
    const object = this.org.schema.object(entity);
    const shape = object ? `${entity}:${object.fieldOrder.join(',')}` : `?${entity}:${Object.keys(body).sort().join(',')}`;
    let schema = this.schemasByShape.get(shape);
    if (!schema) {
      schema = object ? schemaForObject(object) : schemaForPayload(entity, body);
      this.schemasByShape.set(shape, schema);
      this.schemasById.set(schema.id, schema);
    }
    return schema;
  }

  schemaById(id: string): EventSchema | undefined {
    return this.schemasById.get(id);
  }
}

/** Finds the org a call is for by its `tenantid` (the org id's first 15 characters). */
export type TenantLookup = (orgId15: string) => PubSubTenant | undefined;

/**
 * The Pub/Sub API (gRPC, eventbus.v1) over each org's event bus, the one CometD serves: GetTopic, GetSchema and
 * Subscribe with pull-based flow control, replay presets on the first request only, keepalives, the idle close,
 * and Salesforce's errors with their `error-code` and `rpc-id` trailers. One endpoint serves every org, as
 * Salesforce's does: the `tenantid` header picks the org, and the session must be one of that org's.
 */
export class PubSubServer {
  private server: grpc.Server | null = null;
  private readonly subscriptions = new Set<Subscription>();
  private readonly encoded = new WeakMap<StreamEvent, { id: string; schemaId: string; payload: Buffer }>();
  endpoint = '';

  constructor(private readonly tenantFor: TenantLookup, readonly options: PubSubOptions) {}

  async start(): Promise<string> {
    const server = new grpc.Server({ 'grpc.keepalive_permit_without_calls': 1, 'grpc.http2.min_ping_interval_without_data_ms': 5000 });
    server.addService(pubSubPackage().PubSub.service, {
      Subscribe: (call: Call) => this.subscribe(call),
      GetTopic: (call: grpc.ServerUnaryCall<{ topicName: string }, unknown>, callback: grpc.sendUnaryData<unknown>) => this.getTopic(call, callback),
      GetSchema: (call: grpc.ServerUnaryCall<{ schemaId: string }, unknown>, callback: grpc.sendUnaryData<unknown>) => this.getSchema(call, callback),
    });
    const credentials = this.options.tls
      ? grpc.ServerCredentials.createSsl(null, [{ private_key: Buffer.from(this.options.tls.key), cert_chain: Buffer.from(this.options.tls.cert) }], false)
      : grpc.ServerCredentials.createInsecure();
    const port = await new Promise<number>((resolve, reject) => server.bindAsync(`${this.options.host}:${this.options.port}`, credentials, (error, bound) => (error ? reject(error) : resolve(bound))));
    this.server = server;
    this.endpoint = `${this.options.host === '0.0.0.0' ? '127.0.0.1' : this.options.host}:${port}`;
    return this.endpoint;
  }

  /** Ends every stream (status OK, as after an idle close) and stops listening. */
  async stop(): Promise<void> {
    for (const subscription of [...this.subscriptions]) this.closeIdle(subscription);
    const server = this.server;
    this.server = null;
    if (!server) return;
    // The ended calls' statuses reach their clients before the connections go (or after 2 s, regardless).
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, 2000);
      server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }

  /** Open streams, of one org or of all. */
  streamCount(tenant?: PubSubTenant): number {
    return this.streamsOf(tenant).length;
  }

  private streamsOf(tenant?: PubSubTenant): Subscription[] {
    return [...this.subscriptions].filter((s) => !tenant || s.tenant === tenant);
  }

  /** Admin control: an org's open streams end as a broken connection does (UNAVAILABLE), or with a server error. */
  dropAll(tenant?: PubSubTenant, kind: 'UNAVAILABLE' | 'INTERNAL' = 'UNAVAILABLE'): number {
    const open = this.streamsOf(tenant);
    for (const subscription of open) {
      if (kind === 'INTERNAL') this.fail(subscription.call, grpc.status.INTERNAL, 'service.unavailable', 'The service is unavailable. Try again later.');
      else this.fail(subscription.call, grpc.status.UNAVAILABLE, null, 'RST_STREAM closed stream. HTTP/2 error code: NO_ERROR');
      this.close(subscription);
    }
    return open.length;
  }

  /** Streams whose session ended (expired or revoked tokens) are refused, as the next call would be. */
  revalidate(tenant: PubSubTenant): void {
    for (const subscription of this.streamsOf(tenant)) {
      if (!tenant.refused) {
        this.checkSession(subscription);
        continue;
      }
      this.fail(subscription.call, grpc.status.PERMISSION_DENIED, 'service.tenant.license', 'The org is not licensed for Pub/Sub API.');
      this.close(subscription);
    }
  }

  // ---------------------------------------------------------------------------------------------------------

  private authenticate(metadata: grpc.Metadata): { token: string; tenant: PubSubTenant } | { error: [grpc.status, string, string] } {
    const token = String(metadata.get('accesstoken')[0] ?? '');
    const instanceUrl = String(metadata.get('instanceurl')[0] ?? '');
    const tenantId = String(metadata.get('tenantid')[0] ?? '');
    if (!token || !instanceUrl || !tenantId) return { error: [grpc.status.UNAUTHENTICATED, 'service.auth.headers.invalid', 'The accesstoken, instanceurl and tenantid headers are required.'] };
    const tenant = this.tenantFor(tenantId.slice(0, 15));
    if (tenant && Date.now() < tenant.unavailableUntil) return { error: [grpc.status.INTERNAL, 'service.unavailable', 'The service is unavailable. Try again later.'] };
    if (!tenant) return { error: [grpc.status.UNAUTHENTICATED, 'service.auth.error', 'An authentication exception occurred. The tenant id does not match the session.'] };
    if (!tenant.oauth.sessionFor(token)) {
      // A session of another org reads as one that does not exist, as on Salesforce.
      return { error: [grpc.status.UNAUTHENTICATED, 'service.auth.error', 'An authentication exception occurred. Provide valid authentication via metadata headers.'] };
    }
    if (tenant.refused) return { error: [grpc.status.PERMISSION_DENIED, 'service.tenant.license', 'The org is not licensed for Pub/Sub API.'] };
    return { token, tenant };
  }

  private getTopic(call: grpc.ServerUnaryCall<{ topicName: string }, unknown>, callback: grpc.sendUnaryData<unknown>): void {
    const auth = this.authenticate(call.metadata);
    if ('error' in auth) return callback(statusError(...auth.error));
    const { org } = auth.tenant;
    const topic = call.request.topicName;
    if (!org.bus.has(topic)) return callback(statusError(grpc.status.NOT_FOUND, 'topic.not.found', `The topic ${topic} does not exist.`));
    const entity = /^\/data\/(\w+?)ChangeEvent$/.exec(topic)?.[1];
    // A channel of several entities has no one schema: each event names its own.
    const schemaId = entity && org.schema.object(entity) ? auth.tenant.schemaFor(entity, {}).id : '';
    callback(null, { topicName: topic, tenantGuid: org.orgId, canPublish: false, canSubscribe: true, schemaId, rpcId: randomUUID() });
  }

  private getSchema(call: grpc.ServerUnaryCall<{ schemaId: string }, unknown>, callback: grpc.sendUnaryData<unknown>): void {
    const auth = this.authenticate(call.metadata);
    if ('error' in auth) return callback(statusError(...auth.error));
    const id = call.request.schemaId;
    if (!id) return callback(statusError(grpc.status.INVALID_ARGUMENT, 'schema.validation.failed', "Schema validation failed. The schema ID can't be blank."));
    const schema = auth.tenant.schemaById(id);
    if (!schema) return callback(statusError(grpc.status.NOT_FOUND, 'schema.not.found', `The schema ${id} does not exist.`));
    callback(null, { schemaJson: schema.json, schemaId: schema.id, rpcId: randomUUID() });
  }

  private subscribe(call: Call): void {
    const auth = this.authenticate(call.metadata);
    if ('error' in auth) return this.fail(call, ...auth.error);
    let subscription: Subscription | null = null;
    call.on('data', (request: FetchRequest) => {
      if (subscription?.closed) return;
      if (!subscription) {
        subscription = this.open(call, auth.token, auth.tenant, request);
        return;
      }
      if (request.topicName && request.topicName !== subscription.topic) {
        this.fail(call, grpc.status.INVALID_ARGUMENT, 'subscription.fetch.topic.mismatch', `The topic ${request.topicName} does not match the subscription's topic ${subscription.topic}.`);
        return this.close(subscription);
      }
      if (!(request.numRequested > 0)) {
        this.fail(call, grpc.status.INVALID_ARGUMENT, 'subscription.fetch.requested.events.invalid', 'The number of requested events must be greater than 0.');
        return this.close(subscription);
      }
      subscription.demand = Math.min(MAX_DEMAND, subscription.demand + request.numRequested);
      clearTimeout(subscription.timers.idle);
      subscription.timers.idle = undefined;
      this.pump(subscription);
    });
    const end = () => subscription && this.close(subscription);
    call.on('end', end);
    call.on('cancelled', end);
    call.on('error', end);
  }

  /** The first request: the topic, where to start (honoured only here), and the first demand. */
  private open(call: Call, token: string, tenant: PubSubTenant, request: FetchRequest): Subscription | null {
    const { org } = tenant;
    const topic = request.topicName;
    if (!topic || !org.bus.has(topic)) {
      this.fail(call, grpc.status.NOT_FOUND, 'topic.not.found', `The topic ${topic || '(none)'} does not exist.`);
      return null;
    }
    if (!(request.numRequested > 0)) {
      this.fail(call, grpc.status.INVALID_ARGUMENT, 'subscription.fetch.requested.events.invalid', 'The number of requested events must be greater than 0.');
      return null;
    }
    let from = -1;
    if (request.replayPreset === 'EARLIEST') from = -2;
    if (request.replayPreset === 'CUSTOM') {
      if (!request.replayId || request.replayId.length === 0) {
        this.fail(call, grpc.status.INVALID_ARGUMENT, 'subscription.fetch.replayid.validation.failed', 'A replay ID is required with the CUSTOM replay preset.');
        return null;
      }
      from = request.replayId.length === 8 ? Number(request.replayId.readBigUInt64BE()) : -3;
    }
    let backlog: StreamEvent[];
    try {
      if (from === -3) throw new ReplayIdInvalid('malformed');
      backlog = org.bus.replay(topic, from);
      if (from >= 0 && tenant.redeliverOnResume > 0) {
        const retained = org.bus.replay(topic, -2);
        const at = retained.findIndex((e) => e.replayId === from);
        backlog = [...retained.slice(Math.max(0, at + 1 - tenant.redeliverOnResume), at + 1), ...backlog];
        tenant.redeliverOnResume = 0;
      }
    } catch (error) {
      if (!(error instanceof ReplayIdInvalid)) throw error;
      this.fail(call, grpc.status.INVALID_ARGUMENT, 'subscription.fetch.replayid.corrupted', 'The Replay ID validation failed. Ensure the Replay ID is valid and within the retention window.');
      return null;
    }
    const subscription: Subscription = {
      call, tenant, topic, token, demand: Math.min(MAX_DEMAND, request.numRequested), queue: backlog, lastDelivered: null, unsubscribe: () => undefined, timers: {}, closed: false,
    };
    subscription.unsubscribe = org.bus.subscribe(topic, (event) => {
      subscription.queue.push(event);
      this.pump(subscription);
    });
    this.subscriptions.add(subscription);
    tenant.stats.subscribes++;
    this.keepAliveLater(subscription);
    this.pump(subscription);
    return subscription;
  }

  /** Sends what is owed: up to the outstanding demand, of the events due by the configured delivery delay. */
  private pump(subscription: Subscription): void {
    if (subscription.closed || subscription.demand <= 0 || subscription.queue.length === 0) return;
    if (!this.checkSession(subscription)) return;
    const dueBy = Date.now() - this.options.deliveryDelayMs;
    let count = 0;
    while (count < subscription.demand && count < subscription.queue.length && subscription.queue[count].publishedAt <= dueBy) count++;
    if (count === 0) {
      clearTimeout(subscription.timers.pump);
      subscription.timers.pump = setTimeout(() => this.pump(subscription), Math.max(1, subscription.queue[0].publishedAt - dueBy));
      return;
    }
    const events = subscription.queue.splice(0, count);
    subscription.demand -= count;
    subscription.lastDelivered = events[events.length - 1].replayId;
    subscription.tenant.stats.delivered += count;
    this.respond(subscription, events.map((event) => ({ event: this.producerEvent(subscription.tenant, event), replayId: replayBytes(event.replayId) })));
    if (subscription.queue.length > 0) setImmediate(() => this.pump(subscription));
  }

  private respond(subscription: Subscription, events: unknown[]): void {
    // Caught up, a subscription's position is the channel's newest event; otherwise the last one it was sent.
    const { bus } = subscription.tenant.org;
    const latest = subscription.queue.length === 0 ? bus.tipReplayId(subscription.topic) : (subscription.lastDelivered ?? bus.tipReplayId(subscription.topic));
    subscription.call.write({ events, latestReplayId: replayBytes(latest), rpcId: randomUUID(), pendingNumRequested: subscription.demand });
    this.keepAliveLater(subscription);
    // The idle window runs from the response that used up the demand; keepalives do not extend it.
    if (subscription.demand === 0 && !subscription.timers.idle) {
      subscription.timers.idle = setTimeout(() => {
        if (subscription.demand === 0) this.closeIdle(subscription);
      }, this.options.idleTimeoutMs);
    }
  }

  private keepAliveLater(subscription: Subscription): void {
    clearTimeout(subscription.timers.keepalive);
    subscription.timers.keepalive = setTimeout(() => {
      if (subscription.closed || !this.checkSession(subscription)) return;
      this.respond(subscription, []);
    }, this.options.keepaliveMs);
  }

  /** Nothing requested for the idle window: Salesforce closes the stream. */
  private closeIdle(subscription: Subscription): void {
    if (subscription.closed) return;
    this.close(subscription);
    subscription.call.end();
  }

  private checkSession(subscription: Subscription): boolean {
    if (subscription.tenant.oauth.sessionFor(subscription.token)) return true;
    this.fail(subscription.call, grpc.status.UNAUTHENTICATED, 'service.auth.error', 'An authentication exception occurred. Provide valid authentication via metadata headers.');
    this.close(subscription);
    return false;
  }

  /** The event as Pub/Sub sends it, encoded once for every subscriber (an unreadable one as the bytes it has). */
  private producerEvent(tenant: PubSubTenant, event: StreamEvent): { id: string; schemaId: string; payload: Buffer } {
    let encoded = this.encoded.get(event);
    if (!encoded) {
      const payload = (event.data.payload ?? {}) as Record<string, unknown>;
      const header = (payload.ChangeEventHeader ?? {}) as Record<string, unknown>;
      const schema = tenant.schemaFor(String(header.entityName ?? 'Unknown'), payload);
      let bytes: Buffer;
      try {
        bytes = encodeChangeEvent(schema, payload);
      } catch {
        bytes = Buffer.from(JSON.stringify(payload)); // Pub/Sub does not validate payloads: subscribers must cope
      }
      encoded = { id: randomUUID(), schemaId: schema.id, payload: bytes };
      this.encoded.set(event, encoded);
    }
    return encoded;
  }

  private fail(call: Call, code: grpc.status, errorCode: string | null, message: string): void {
    call.emit('error', statusError(code, errorCode, message));
  }

  private close(subscription: Subscription): void {
    if (subscription.closed) return;
    subscription.closed = true;
    subscription.unsubscribe();
    for (const timer of Object.values(subscription.timers)) clearTimeout(timer);
    this.subscriptions.delete(subscription);
  }
}

/** A replay id as 8 big-endian bytes, as real orgs send them. */
function replayBytes(replayId: number): Buffer {
  const buffer = Buffer.alloc(8);
  buffer.writeBigUInt64BE(BigInt(replayId));
  return buffer;
}

/** A gRPC status with Salesforce's trailers: `error-code` and `rpc-id`, and the rpc id at the end of the message. */
function statusError(code: grpc.status, errorCode: string | null, message: string): Partial<grpc.StatusObject> & { code: grpc.status } {
  const rpcId = randomUUID();
  const metadata = new grpc.Metadata();
  if (errorCode) metadata.set('error-code', `${PREFIX}${errorCode}`);
  metadata.set('rpc-id', rpcId);
  return { code, details: `${message} rpcId: ${rpcId}`, metadata };
}
