import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { join } from 'node:path';

/** The eventbus.v1 messages as @grpc/proto-loader hands them over (camelCase names, enums by name). */
export type ReplayPreset = 'LATEST' | 'EARLIEST' | 'CUSTOM';

export interface FetchRequest {
  topicName?: string;
  replayPreset?: ReplayPreset;
  replayId?: Buffer;
  numRequested?: number;
  authRefresh?: string;
}

export interface ProducerEvent {
  id: string;
  schemaId: string;
  payload: Buffer;
  headers?: { key: string; value: Buffer }[];
}

export interface ConsumerEvent {
  event: ProducerEvent;
  replayId: Buffer;
}

export interface FetchResponse {
  events: ConsumerEvent[];
  latestReplayId: Buffer;
  rpcId: string;
  pendingNumRequested: number;
}

export interface TopicInfo {
  topicName: string;
  tenantGuid: string;
  canPublish: boolean;
  canSubscribe: boolean;
  schemaId: string;
  rpcId: string;
}

export interface SchemaInfo {
  schemaJson: string;
  schemaId: string;
  rpcId: string;
}

/** The generated client's methods the connector calls. */
export interface PubSubClient extends grpc.Client {
  Subscribe(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<FetchRequest, FetchResponse>;
  GetSchema(request: { schemaId: string }, metadata: grpc.Metadata, options: grpc.CallOptions, callback: (error: grpc.ServiceError | null, info?: SchemaInfo) => void): grpc.ClientUnaryCall;
  GetTopic(request: { topicName: string }, metadata: grpc.Metadata, options: grpc.CallOptions, callback: (error: grpc.ServiceError | null, info?: TopicInfo) => void): grpc.ClientUnaryCall;
}

export const PUBSUB_PROTO = join(__dirname, 'pubsub_api.proto');

/** The options both sides load the service definition with. */
const LOAD_OPTIONS = { keepCase: false, enums: String, longs: Number, defaults: true, oneofs: true } as const;

let loaded: { PubSub: grpc.ServiceClientConstructor } | null = null;

/** The eventbus.v1 package from our .proto: the client's constructor, and the service definition a server adds. */
export function pubSubPackage(): { PubSub: grpc.ServiceClientConstructor } {
  loaded ??= (grpc.loadPackageDefinition(loadSync(PUBSUB_PROTO, LOAD_OPTIONS)) as unknown as { eventbus: { v1: { PubSub: grpc.ServiceClientConstructor } } }).eventbus.v1;
  return loaded;
}

/** Salesforce's error code trailer on a failed call (`sfdc.platform.eventbus.grpc.…`), if any. */
export function errorCodeOf(error: { metadata?: grpc.Metadata } | null | undefined): string | null {
  const value = error?.metadata?.get('error-code')?.[0];
  return value === undefined ? null : String(value);
}
