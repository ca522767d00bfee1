import type { ContractTypes } from './contracts/contract-types.generated';

/** A contract is named by its .avsc file, which is also its topic's name. */
export type ContractName = keyof ContractTypes;

export interface TopicSpec {
  name: string;
  /** The Avro contract of the values; absent for raw topics (DLQs keep the original bytes). */
  contract?: ContractName;
  /** Log compaction keeps the latest value per key (the connection-changes topic). */
  compacted?: boolean;
  /**
   * Never grown by provisioning once it exists: its partition count decides who owns what (ingest's ownership),
   * so an operator grows it on purpose, and the owners follow at the next rebalance.
   */
  fixedPartitions?: boolean;
  /** Overrides the configured default partition count (a compacted ownership topic wants its own). */
  partitions?: number;
  retentionMs?: number;
  description: string;
}

/** The one topic catalog: every topic the connector reads or writes. */
export const TOPICS = {
  profileEvents: {
    name: 'journy.profile-events.v1',
    contract: 'journy.profile-events.v1',
    description: 'journy → connector: changes to users and accounts.',
  },
  commands: {
    name: 'journy.commands.v1',
    contract: 'journy.commands.v1',
    description: 'connector → journy: upsert users and accounts, add or remove account members.',
  },
  syncLog: {
    name: 'connector.sync-log.v1',
    contract: 'connector.sync-log.v1',
    description: 'one record per record-level sync attempt, both directions; keyed by connection and record (syncLogKey).',
  },
  connectionChanges: {
    name: 'connector.connection-changes.v1',
    contract: 'connector.connection-changes.v1',
    compacted: true,
    fixedPartitions: true,
    description: 'connection created / updated / deleted; its partitions also decide which ingest instance owns a connection.',
  },
} as const satisfies Record<string, TopicSpec>;

export type TopicKey = keyof typeof TOPICS;

/** Messages that can never be processed go to `<topic>.dlq`, with their original bytes and why in headers. */
export function dlqTopicName(topic: string): string {
  return `${topic}.dlq`;
}

export function dlqTopicSpec(topic: string): TopicSpec {
  return { name: dlqTopicName(topic), description: `messages of ${topic} that could not be processed` };
}

/** The subject of a topic's value schema (TopicNameStrategy). */
export function valueSubject(topic: string): string {
  return `${topic}-value`;
}
