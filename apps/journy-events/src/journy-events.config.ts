import { configPrimitives, httpFragment, kafkaFragment, loadConfig, mongoFragment, salesforceFragment, type Env } from '@connector/config';
import { z } from 'zod';

const { positiveInt } = configPrimitives;

/** Every variable of the journy-events app; documented in .env.example. */
export const journyEventsConfigSchema = z.object({
  ...httpFragment('JOURNY_EVENTS_PORT', 3002),
  ...kafkaFragment,
  ...mongoFragment,
  ...salesforceFragment,
  /** The consumer group of journy.profile-events.v1 (one per deployment; instances share its partitions). */
  JOURNY_EVENTS_GROUP: z.string().regex(/^[A-Za-z0-9._-]+$/).default('connector-journy-events'),
  /** Partitions handled at once per instance (events of one entity stay in order either way). */
  JOURNY_EVENTS_CONCURRENCY: positiveInt.max(64).default(6),
  /**
   * How long the broker may gather events before answering a fetch, ms: under light load, events wait up to this
   * long so that one Salesforce call carries many records (the steady-state cost); a backlog is never held back.
   */
  JOURNY_EVENTS_LINGER_MS: positiveInt.max(10_000).default(1500),
  /**
   * The most bytes of one partition fetched at once (~500 events at 512 KiB). It bounds a flush (every partition's
   * fetch is applied together), and so how long a rebalance waits for this instance to finish what it holds and
   * how much a crash re-does; raise it for backlogs big enough for Bulk jobs (JOURNY_EVENTS_BULK_MIN_RECORDS).
   */
  JOURNY_EVENTS_FETCH_PARTITION_BYTES: positiveInt.min(64 * 1024).max(16 * 1024 * 1024).default(512 * 1024),
  /**
   * Records of one object in one batch from which a Bulk API 2.0 job is used instead of sObject Collections calls.
   * Below it, paced Collections calls (5 per 1,000 records) finish sooner on a realistic org than a Bulk job's
   * seconds of start and 10,000-record batches (docs/decisions/2026-12-02-fleet-pace-and-bulk-threshold.md).
   */
  JOURNY_EVENTS_BULK_MIN_RECORDS: positiveInt.default(10_000),
  /** Share of the org's daily API allocation kept for everyone else: writes pause when less than this is left. */
  JOURNY_EVENTS_API_RESERVE_PERCENT: z.coerce.number().min(0).max(90).default(10),
  /** How long a connection paused for API quota waits before reading /limits again, ms. */
  JOURNY_EVENTS_QUOTA_PAUSE_MS: positiveInt.default(60_000),
  /**
   * How soon the group gives up on a silent member, ms (long batches heartbeat every 2 s, so a slow org does not
   * look dead); a dead instance's partitions move after about this long.
   */
  JOURNY_EVENTS_SESSION_TIMEOUT_MS: positiveInt.min(6000).max(300_000).default(30_000),
  /**
   * How long a flush still waits for its connections once the group is heard rebalancing, ms, before parking the
   * events of those still applying (0: park at once). Runs that finish within it are not parked and replayed; the
   * group waits for this member meanwhile (its rebalance timeout is twice the session timeout, hence the bound).
   */
  JOURNY_EVENTS_REBALANCE_GRACE_MS: z.coerce.number().int().min(0).max(300_000).default(5000),
  /** How long a partition may fail (or a connection hold its events back) before /health names it, ms. */
  JOURNY_EVENTS_STALL_MS: positiveInt.default(5 * 60_000),
  /**
   * The memory budget of an instance, in entries, across all its connections: as many entities' recent state
   * (values last written, version, link), and as many links in the connections' directories (the least recently
   * used connections' directories are dropped past it, and read from the store again).
   */
  JOURNY_EVENTS_STATE_CACHE_SIZE: positiveInt.default(200_000),
});

export type JournyEventsConfig = z.infer<typeof journyEventsConfigSchema>;

const withinRebalanceTimeout = journyEventsConfigSchema.refine((c) => c.JOURNY_EVENTS_REBALANCE_GRACE_MS <= c.JOURNY_EVENTS_SESSION_TIMEOUT_MS, {
  path: ['JOURNY_EVENTS_REBALANCE_GRACE_MS'],
  message: 'must be at most JOURNY_EVENTS_SESSION_TIMEOUT_MS (half the group\'s rebalance timeout)',
});

export function loadJournyEventsConfig(env: Env = process.env): JournyEventsConfig {
  return loadConfig(withinRebalanceTimeout, env);
}

/** The validated environment, as a provider. */
export const JOURNY_EVENTS_CONFIG = Symbol('JOURNY_EVENTS_CONFIG');
