export * from './bitmap';
export * from './change-event-schema';
export * from './pubsub-channel';
export * from './pubsub-stream';
export { PUBSUB_PROTO, pubSubPackage, errorCodeOf } from './service';
export type { FetchRequest, FetchResponse, ConsumerEvent, ProducerEvent, SchemaInfo, TopicInfo, ReplayPreset } from './service';
