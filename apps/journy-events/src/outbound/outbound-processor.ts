import { ApiQuota, ConnectionNeedsReconnect, type DescribeCache, type OrgSessions } from '@connector/org-access';
import { AuthError, IntegrationError, RetryableError, backoffDelay, describeError, inParallel, whenSettled } from '@connector/domain';
import { TOPICS, syncLogKey, type AvroProducer, type ConsumedMessage, type SyncLogRecord } from '@connector/kafka';
import type { Logger } from '@connector/observability';
import type { Connection, ConnectionsRepository, LinkKeys, OutboundLink, OutboundLinksRepository, ParkedEvent, ParkedEventsRepository, RecordLinksRepository } from '@connector/persistence';
import { entityKey, type ProfileEvent } from '../model/profile-event';
import { ConnectionContexts } from './connection-context';
import { ConnectionSync, type CachedEntity, type Directory } from './connection-sync';
import { emptyMemory } from '../model/plan';
import { outboundLog } from './outbound-log';
import { LruCache } from './state-cache';
import { Directories, type DirectoryOwner } from './directories';
import { connectionOfCacheKey, entityCacheKey } from './entity-cache-key';
import { PartitionsHeld } from './partitions-held';
import { REBALANCING, runOutcome, type RunProgress } from './run-cutoff';
import type { ReplayLeases } from './replay-lease';

export interface OutboundProcessorDeps {
  connections: ConnectionsRepository;
  links: OutboundLinksRepository;
  parked: ParkedEventsRepository;
  /** Who applies a connection's parked events now (one member at a time, across a handover). */
  leases: ReplayLeases;
  recordLinks: RecordLinksRepository;
  sessions: OrgSessions;
  describes: DescribeCache;
  quota: ApiQuota;
  producer: AvroProducer;
  /**
   * Copies one event to the profile events' DLQ, naming the connection that could not apply it: the consumed
   * message's own bytes, or (a parked event) its value encoded again.
   */
  deadLetter(event: HeldEvent, error: unknown, connectionId: string): Promise<void>;
  logger: Logger;
  /** rebalanceGraceMs: how long runs still applying get to finish once the group is heard rebalancing. */
  options: { bulkMinRecords: number; cacheSize: number; rebalanceGraceMs: number };
  metrics: {
    records(outcome: string, count: number): void;
    apiCall(kind: string): void;
    latency(ms: number): void;
    ignored(reason: string, count: number): void;
  };
}

/** One connection's work on a flush. */
interface Run extends RunProgress<SyncLogRecord[]> {
  connection: Connection;
  messages: ConsumedMessage<ProfileEvent>[];
  /** Taken off the flush for being slow: its events are parked while it finishes. */
  detached: boolean;
  /** The write that parks a detached run's events. */
  parking?: Promise<unknown>;
}

/** How long a flush waits for a slow connection once half of its connections are done, ms. */
const STRAGGLER_BUDGET_MS = 1000;

/** One event as the processor holds it: consumed now (with its bytes), or read back from the parked store. */
export interface HeldEvent {
  value: ProfileEvent;
  partition: number;
  offset: string;
  raw?: ConsumedMessage<ProfileEvent>['raw'];
}

/** A tenant's connections are re-read on every change heard (ConnectionChangesListener), and at least this often. */
const CONNECTIONS_TTL_MS = 60_000;
/** How often parked events are tried again (the Nest shell's schedule), ms. */
export const RESUME_EVERY_MS = 5000;
/** How many connections replay their parked events at once. */
const RESUME_CONCURRENCY = 16;
/** Backoff of a connection whose Salesforce fails transiently: from 5 s, doubling, to 5 min, with jitter. */
const BACKOFF = { initialMs: 5000, maxMs: 5 * 60_000 };
/** Refusals that say the connection's settings no longer fit its org (a field or object gone, access lost). */
const CONNECTION_ERROR_CODES = new Set(['INVALID_FIELD', 'INVALID_TYPE', 'INSUFFICIENT_ACCESS_OR_READONLY', 'INSUFFICIENT_ACCESS', 'API_DISABLED_FOR_ORG', 'API_CURRENTLY_DISABLED', 'INVALID_FIELD_FOR_INSERT_UPDATE']);
/** How long the first partition batch waits for the others of the same fetch, and the most events combined. */
const COMBINE_WINDOW_MS = 15;
const COMBINE_MAX_EVENTS = 5000;
/** How often a flush in progress heartbeats its partitions' consumer group. */
const HEARTBEAT_EVERY_MS = 2000;

/** What a partition batch brings of its consumer group: a heartbeat, and a signal aborted when the group rebalances. */
export interface GroupTies {
  heartbeat?: () => Promise<void>;
  rebalancing?: AbortSignal;
}

/** Resolves when one of the signals is aborted (never, with none). */
function whenAnyAborted(signals: (AbortSignal | undefined)[]): Promise<void> {
  return new Promise((resolve) => {
    for (const signal of signals) {
      if (signal?.aborted) return resolve();
      signal?.addEventListener('abort', () => resolve(), { once: true });
    }
  });
}

/**
 * journy → Salesforce for a batch of profile events (one partition's, in order): every enabled connection of
 * each event's tenant applies the events independently and in parallel. A connection that can't spend API
 * calls (quota reserve reached, REQUEST_LIMIT_EXCEEDED, a grant to reconnect) has its events parked in the
 * store, in order, and replayed when it can again: the other connections, and the partition, go on.
 */
export class OutboundProcessor {
  private readonly cache: LruCache<CachedEntity>;
  private readonly directories: Directories;
  private readonly contexts: ConnectionContexts;
  private readonly tenants = new Map<string, { at: number; connections: Connection[] }>();
  /** Connections with parked events (and their tenants): new events queue behind them. */
  private readonly parked = new Map<string, string>();
  private readonly locks = new Map<string, Promise<unknown>>();
  /** Connections whose parked events are being replayed. */
  private readonly resuming = new Set<string>();
  /** Batches being applied, per connection. */
  private readonly active = new Map<string, number>();
  /** Since when each connection with parked events has held them, and the latest reason. */
  private readonly heldSince = new Map<string, { since: number; reason: string }>();
  /** Connections backing off after transient failures: attempts so far, and when to try again. */
  private readonly backoffs = new Map<string, { attempts: number; until: number; reason: string }>();
  private parkedLoaded = false;
  private readonly partitions = new PartitionsHeld();
  private readonly pending: (GroupTies & { messages: ConsumedMessage<ProfileEvent>[]; resolve: () => void; reject: (error: unknown) => void })[] = [];
  private combineTimer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: OutboundProcessorDeps) {
    this.directories = new Directories(deps.options.cacheSize, (connections, limit) => this.loadDirectories(connections, limit));
    this.cache = new LruCache(deps.options.cacheSize, (key, entry) => {
      if (entry.link) this.directories.linkForgotten(connectionOfCacheKey(key));
    });
    this.contexts = new ConnectionContexts(deps.describes);
  }

  /** Connections whose events have been held back (parked) for at least `forMs`, with why. */
  heldConnections(forMs: number): { connectionId: string; since: string; reason: string }[] {
    const now = Date.now();
    return [...this.heldSince].filter(([, h]) => now - h.since >= forMs).map(([connectionId, h]) => ({ connectionId, since: new Date(h.since).toISOString(), reason: h.reason }));
  }

  /**
   * After a rebalance: a partition gained may have been written by another instance, so memory of every entity
   * (and every directory, which spans partitions) is forgotten, and the connections with events parked in it (by
   * a member that left, say) are read again. A member that only gave partitions away (another joined) keeps its
   * memory: nobody else wrote what it still holds. Parked events are replayed by their partition's holder.
   */
  assigned(partitions: number[]): void {
    this.deps.logger.info({ partitions }, 'partitions assigned');
    if (!this.partitions.assign(partitions)) return;
    this.cache.clear();
    this.directories.clear();
    this.parkedLoaded = false;
  }

  /**
   * Partition batches that arrive together (one fetch) are applied together: one write call can then carry
   * records of every partition. Order is kept: a partition's next batch waits for this one to resolve.
   */
  handleBatch(messages: ConsumedMessage<ProfileEvent>[], group: GroupTies = {}): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ ...group, messages, resolve, reject });
      if (this.pending.reduce((n, p) => n + p.messages.length, 0) >= COMBINE_MAX_EVENTS) return void this.flush();
      this.combineTimer ??= setTimeout(() => void this.flush(), COMBINE_WINDOW_MS);
    });
  }

  private async flush(): Promise<void> {
    if (this.combineTimer) clearTimeout(this.combineTimer);
    this.combineTimer = null;
    const batch = this.pending.splice(0);
    if (batch.length === 0) return;
    // However long Salesforce takes (a slow org, a Bulk job), the group keeps hearing from this member.
    const beating = setInterval(() => { for (const b of batch) void b.heartbeat?.().catch(() => undefined); }, HEARTBEAT_EVERY_MS);
    try {
      await this.process(batch.flatMap((b) => b.messages), whenAnyAborted(batch.map((b) => b.rebalancing)));
      for (const b of batch) b.resolve();
    } catch (error) {
      for (const b of batch) b.reject(error);
    } finally {
      clearInterval(beating);
    }
  }

  private async process(messages: ConsumedMessage<ProfileEvent>[], rebalancing: Promise<void>): Promise<void> {
    await this.loadParked();
    const byTenant = new Map<string, ConsumedMessage<ProfileEvent>[]>();
    for (const message of messages) {
      const list = byTenant.get(message.value.tenantId) ?? [];
      list.push(message);
      byTenant.set(message.value.tenantId, list);
    }
    const runs: Run[] = [];
    const connectionsOf = await this.enabledConnections([...byTenant.keys()]);
    for (const [tenantId, list] of byTenant) {
      const connections = connectionsOf.get(tenantId) ?? [];
      if (connections.length === 0) this.deps.metrics.ignored('NO_CONNECTION', list.length);
      for (const connection of connections) runs.push({ connection, messages: list, detached: false, logs: Promise.resolve([]) });
    }
    // The directories the runs will need that memory lacks (all of them after a rebalance) are read together.
    this.directories.ofAll(runs.filter((r) => !this.parked.has(r.connection.id)).map((r) => r.connection));
    for (const run of runs) run.logs = this.forConnection(run.connection, run.messages, run);
    const started = Date.now();
    const logs = (await this.settle(runs, rebalancing)).flat();
    const applied = Date.now();
    await this.publish(logs);
    this.deps.logger.debug({ events: messages.length, applyMs: applied - started, publishMs: Date.now() - applied }, 'events handled');
  }

  /**
   * Waits for every connection's run, but not for a slow org: once half of the runs are done (the fastest of two or
   * three), a run still working after STRAGGLER_BUDGET_MS is detached. Its events are parked (durably, so the
   * partition's offset may move and its later events queue behind them) and it goes on in the background; when it
   * has applied them it unparks them, and its log lines are published then. Slow means slower than its peers: when
   * most orgs of a flush are slow (the machine or the store is), parking them all would only add store work. For
   * the same reason a run that has had its last Salesforce answer (it is storing links and logging) is waited for.
   * When the group rebalances, the whole group waits for this flush: the runs still working get the grace
   * (`rebalanceGraceMs`) to finish, which costs less than parking and replaying their events when they are nearly
   * done; those still working then are detached, and the members that take their partitions over replay the parked
   * events once the detached runs are done.
   */
  private async settle(runs: Run[], rebalancing: Promise<void>): Promise<SyncLogRecord[][]> {
    const stragglers = runs.length <= 1 ? new Promise<never>(() => undefined) : whenSettled(runs.map((r) => r.logs), Math.max(1, Math.floor(runs.length / 2)))
      .then(() => new Promise<void>((resolve) => setTimeout(resolve, STRAGGLER_BUDGET_MS).unref()));
    const finished = new Set<Run>();
    for (const run of runs) void run.logs.then(() => finished.add(run), () => finished.add(run));
    const handover = rebalancing.then(() => {
      const graceMs = this.deps.options.rebalanceGraceMs;
      const applying = runs.length - finished.size;
      if (applying > 0 && graceMs > 0) this.deps.logger.info({ connections: applying, of: runs.length, graceMs }, 'group rebalancing: waiting for the connections still applying before parking them');
      return new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
    });
    const outcomes = await Promise.all(runs.map((run) => runOutcome(run, stragglers, handover)));
    const late = runs.filter((_, i) => !Array.isArray(outcomes[i]));
    if (late.length === 0) return outcomes as SyncLogRecord[][];
    const handedOver = outcomes.some((o) => o === REBALANCING);
    if (handedOver) this.deps.logger.info({ connections: late.length, of: runs.length }, 'group rebalancing: the connections still applying are parked so that the group can settle');
    else for (const run of late) this.deps.logger.info({ tenantId: run.connection.tenantId, connectionId: run.connection.id, events: run.messages.length }, 'connection slow: its events are parked while it finishes, the partition goes on');
    const detaching = Date.now();
    const held = await this.detach(late, handedOver
      ? 'the consumer group rebalanced while it was applied: finished in the background, then replayed where the partition went'
      : 'Salesforce is slow to answer: applied in the background, the partition goes on');
    const detached = { connections: late.length, events: late.reduce((n, r) => n + r.messages.length, 0), ms: Date.now() - detaching };
    if (handedOver) this.deps.logger.info(detached, 'runs detached for the rebalance: parked and leased');
    else this.deps.logger.debug(detached, 'slow runs detached: parked and leased');
    let next = 0; // the late runs, in the order of `runs`
    return outcomes.map((o) => (Array.isArray(o) ? o : held[next++]));
  }

  /**
   * Parks the runs' events (one write) while they go on in the background, each under its connection's replay
   * lease until done (the leases taken in one write too). Returns each run's log lines, in order.
   */
  private async detach(runs: Run[], reason: string): Promise<SyncLogRecord[][]> {
    const parking = this.parkAll(runs, reason);
    for (const run of runs) Object.assign(run, { detached: true, parking });
    // Until a run is done, a member that takes the partition over does not replay its events beside it. The two
    // writes go side by side: the flush (and the partitions' offsets) waits for both.
    const leasing = this.deps.leases.holdAll(runs.map((run) => ({ tenantId: run.connection.tenantId, connectionId: run.connection.id })))
      .catch((error) => {
        this.deps.logger.warn({ connections: runs.length, error: describeError(error) }, 'replay leases of detached runs not taken');
        return runs.map(() => null);
      });
    const [held, leases] = await Promise.all([parking, leasing]).catch(async (error: unknown) => {
      for (const lease of await leasing) void lease?.release(); // nothing parked: nothing for them to guard
      throw error;
    });
    runs.forEach((run, i) => {
      void run.logs.then((late) => this.publish(late))
        .catch((error) => this.deps.logger.warn({ connectionId: run.connection.id, error: describeError(error) }, 'a detached run failed; its events stay parked and are tried again'))
        .finally(() => void leases[i]?.release());
    });
    return held;
  }

  /**
   * Applies the events to one connection, or parks them. Batches of different partitions (disjoint entities) of
   * one connection may run at once; replaying parked events waits until none runs. A run detached for being
   * slow unparks its events once it has applied them (before it counts as finished, so no replay repeats them).
   */
  private async forConnection(connection: Connection, messages: ConsumedMessage<ProfileEvent>[], run?: Run): Promise<SyncLogRecord[]> {
    if (this.parked.has(connection.id)) return this.park(connection, messages, 'earlier events of this connection are waiting');
    const blocked = await this.blocked(connection);
    if (blocked) return this.park(connection, messages, blocked);
    this.active.set(connection.id, (this.active.get(connection.id) ?? 0) + 1);
    try {
      const result = await this.applyOrIsolate(connection, messages, run);
      if (run?.detached && !result.parked) {
        await run.parking?.catch(() => undefined); // unparked only once the park is written, not before it
        await this.deps.parked.unpark(this.parkedOf(connection, messages));
      }
      return result.logs;
    } finally {
      this.active.set(connection.id, (this.active.get(connection.id) ?? 1) - 1);
    }
  }

  /**
   * One connection's failure stays its own. Every error is decided here, never left to fail the partition:
   * - a pause (quota, a grant to reconnect) or a transient failure (5xx, timeouts, locks that did not clear):
   *   the events are parked in order and the connection backs off alone;
   * - a refusal that says the settings no longer fit the org (a field gone, access lost): parked too, with
   *   describe read again before the next try, so that fixing the org or the settings resumes it;
   * - anything else (a refusal of one unusual event, a bug it hits): the batch is halved until the event that
   *   fails is alone; it goes to the DLQ with the connection named and a FAILED log line, the others apply.
   * Only failures of what every connection shares (the store, Kafka) go up, for the whole batch to be retried.
   */
  private async applyOrIsolate(connection: Connection, messages: ConsumedMessage<ProfileEvent>[], run?: Run): Promise<{ logs: SyncLogRecord[]; parked: boolean }> {
    try {
      const logs = await this.apply(connection, messages.map((m) => m.value), run);
      this.backoffs.delete(connection.id);
      return { logs, parked: false };
    } catch (error) {
      if (isSharedInfrastructureError(error)) throw error;
      const parked = (logs: SyncLogRecord[]) => ({ logs, parked: true });
      const pause = this.pauseReason(connection, error);
      if (pause !== null) return parked(await this.park(connection, messages, pause));
      if (error instanceof RetryableError) return parked(await this.park(connection, messages, this.backOff(connection, error)));
      if (error instanceof IntegrationError && CONNECTION_ERROR_CODES.has(error.code)) {
        this.contexts.forget(connection.id);
        return parked(await this.park(connection, messages, this.backOff(connection, error, 'the org refused the connection’s settings')));
      }
      if (messages.length > 1) {
        const half = Math.ceil(messages.length / 2);
        const first = await this.applyOrIsolate(connection, messages.slice(0, half), run);
        if (first.parked) return parked([...first.logs, ...(await this.park(connection, messages.slice(half), 'earlier events of this connection are waiting'))]);
        const second = await this.applyOrIsolate(connection, messages.slice(half), run);
        return { logs: [...first.logs, ...second.logs], parked: second.parked };
      }
      return { logs: await this.deadLetter(connection, messages[0], error), parked: false };
    }
  }

  /** Starts or lengthens the connection's backoff; returns the reason its events are held. */
  private backOff(connection: Connection, error: RetryableError | IntegrationError, what = 'Salesforce failed transiently'): string {
    const attempts = (this.backoffs.get(connection.id)?.attempts ?? 0) + 1;
    const wait = Math.max(error instanceof RetryableError ? (error.retryAfterMs ?? 0) : 0, backoffDelay(attempts, BACKOFF));
    const reason = `${what} (${error.code}: ${error.message.slice(0, 300)}); try ${attempts + 1} in ${Math.round(wait / 1000)} s`;
    this.backoffs.set(connection.id, { attempts, until: Date.now() + wait, reason });
    this.deps.logger.warn({ tenantId: connection.tenantId, connectionId: connection.id, error: describeError(error), attempts, retryInMs: wait }, 'connection backing off; its events are parked');
    return reason;
  }

  private async deadLetter(connection: Connection, message: HeldEvent, error: unknown): Promise<SyncLogRecord[]> {
    await this.deps.deadLetter(message, error, connection.id);
    const described = describeError(error);
    this.deps.logger.warn({ tenantId: connection.tenantId, connectionId: connection.id, offset: message.offset, partition: message.partition, error: described }, 'event sent to the dead-letter topic: this connection could not apply it');
    this.deps.metrics.records('DEAD_LETTERED', 1);
    const { value } = message;
    return [outboundLog({
      tenantId: connection.tenantId, connectionId: connection.id, objectType: value.entityType, operation: 'UPDATE', status: 'FAILED', reason: 'DEAD_LETTERED',
      message: `not applied: ${described.code}: ${described.message.slice(0, 500)} (the event is in ${TOPICS.profileEvents.name}.dlq)`,
      entity: value.entity, salesforce: { objectType: value.entityType === 'USER' ? 'Contact' : 'Account', recordId: null }, eventIds: [value.eventId],
    })];
  }

  private async apply(connection: Connection, events: ProfileEvent[], run?: Run): Promise<SyncLogRecord[]> {
    if (run) run.pastSalesforce = false;
    const client = this.deps.sessions.client(connection);
    const context = await this.contexts.of(connection, () => this.deps.metrics.apiCall('describe'));
    const directory = await this.directories.of(connection);
    const sync = new ConnectionSync(
      {
        directory, publish: (logs) => this.publish(logs), links: this.deps.links, recordLinks: this.deps.recordLinks, cache: this.cache, bulkMinRecords: this.deps.options.bulkMinRecords,
        onCall: (kind) => this.deps.metrics.apiCall(kind), onSalesforceDone: () => { if (run) run.pastSalesforce = true; },
      },
      connection, client, context,
    );
    const outcome = await sync.run(events);
    this.deps.logger.debug({ tenantId: connection.tenantId, connectionId: connection.id, events: events.length, logs: outcome.logs.length, written: outcome.applied, ...outcome.timings }, 'batch applied');
    for (const ms of outcome.latencies) this.deps.metrics.latency(ms);
    const counts = new Map<string, number>();
    for (const log of outcome.logs) counts.set(log.status, (counts.get(log.status) ?? 0) + 1);
    for (const [status, n] of counts) this.deps.metrics.records(status, n);
    return []; // published with the batch
  }

  /**
   * The connections' directories as the store holds them (see Directory), of at most `limit` entries of each
   * kind: one read per collection for all of them (after a rebalance a flush meets every connection at once), or
   * one per connection when together they pass the limit.
   */
  private async loadDirectories(connections: DirectoryOwner[], limit: number): Promise<Map<string, Directory>> {
    const started = Date.now();
    const refs = connections.map((c) => ({ tenantId: c.tenantId, connectionId: c.id }));
    const [outbound, imported] = await Promise.all([this.deps.links.listAllOf(refs, limit), this.deps.recordLinks.keysOfMany(refs, limit)]);
    const directories = new Map<string, Directory>();
    if (outbound === null || imported === null) {
      await Promise.all(connections.map(async (c) => directories.set(c.id, await this.loadDirectory(c, limit))));
    } else {
      for (const c of connections) directories.set(c.id, this.directoryOf(c, outbound.get(c.id) ?? [], imported.get(c.id) ?? []));
    }
    this.deps.logger.info({ connections: connections.length, together: outbound !== null && imported !== null, ms: Date.now() - started }, 'connection directories loaded');
    return directories;
  }

  private async loadDirectory(connection: DirectoryOwner, limit: number): Promise<Directory> {
    const [outbound, imported] = await Promise.all([
      this.deps.links.listAll(connection.tenantId, connection.id, limit),
      this.deps.recordLinks.keysOf(connection.tenantId, connection.id, limit),
    ]);
    return this.directoryOf(connection, outbound, imported);
  }

  /** A directory from what the store holds (null: more than memory may hold); its outbound links go to the cache. */
  private directoryOf(connection: DirectoryOwner, outbound: OutboundLink[] | null, imported: LinkKeys[] | null): Directory {
    for (const link of outbound ?? []) {
      const key = entityCacheKey(connection.id, link.kind, link.entityKey);
      if (!this.cache.get(key)) this.cache.set(key, { memory: emptyMemory(link.segments), link });
    }
    const directory: Directory = { complete: outbound !== null, contacts: new Map(), accounts: new Map() };
    for (const link of imported ?? []) {
      const map = link.kind === 'USER' ? directory.contacts : directory.accounts;
      map.set(link.journyKey, [...(map.get(link.journyKey) ?? []), link.salesforceId]);
    }
    this.deps.logger.debug({ tenantId: connection.tenantId, connectionId: connection.id, outboundLinks: outbound?.length ?? 'too many', importedLinks: imported?.length ?? 'too many' }, 'connection directory loaded');
    return directory;
  }

  /** Why a failure pauses the connection instead of retrying the batch (null: retry the batch). */
  private pauseReason(connection: Connection, error: unknown): string | null {
    if (error instanceof RetryableError && error.code === 'REQUEST_LIMIT_EXCEEDED') {
      this.deps.quota.exhausted(connection, error.message);
      return `REQUEST_LIMIT_EXCEEDED: ${error.message}`;
    }
    if (error instanceof ConnectionNeedsReconnect || error instanceof AuthError) return `the connection needs reconnecting: ${error.message}`;
    return null;
  }

  private async blocked(connection: Connection): Promise<string | null> {
    if (connection.status === 'NEEDS_RECONNECT') return 'the connection needs reconnecting';
    const backoff = this.backoffs.get(connection.id);
    if (backoff && Date.now() < backoff.until) return backoff.reason;
    const blocked = await this.deps.quota.blocked(connection, () => this.deps.sessions.client(connection));
    return blocked ? `paused until ${blocked.until.toISOString()}: ${blocked.reason}` : null;
  }

  private parkedOf(connection: Connection, messages: ConsumedMessage<ProfileEvent>[]): ParkedEvent[] {
    return messages.map((m) => ({ tenantId: connection.tenantId, connectionId: connection.id, partition: m.partition, offset: m.offset, event: JSON.stringify(m.value) }));
  }

  private async park(connection: Connection, messages: ConsumedMessage<ProfileEvent>[], reason: string): Promise<SyncLogRecord[]> {
    const [logs] = await this.parkAll([{ connection, messages }], reason);
    return logs;
  }

  /** Parks the events of several connections in one write; per connection, a RETRYING log line per entity. */
  private async parkAll(held: { connection: Connection; messages: ConsumedMessage<ProfileEvent>[] }[], reason: string): Promise<SyncLogRecord[][]> {
    await this.deps.parked.park(held.flatMap(({ connection, messages }) => this.parkedOf(connection, messages)));
    return held.map(({ connection, messages }) => {
      this.parked.set(connection.id, connection.tenantId);
      this.heldSince.set(connection.id, { since: this.heldSince.get(connection.id)?.since ?? Date.now(), reason });
      this.deps.metrics.records('PARKED', messages.length);
      const seen = new Set<string>();
      const logs: SyncLogRecord[] = [];
      for (const { value } of messages) {
        const key = `${value.entityType}:${entityKey(value)}`;
        if (seen.has(key)) continue;
        seen.add(key);
        logs.push(outboundLog({
          tenantId: connection.tenantId, connectionId: connection.id, objectType: value.entityType, operation: 'UPDATE', status: 'RETRYING', reason: 'CONNECTION_PAUSED',
          message: `held back and applied when the connection resumes (${reason})`, entity: value.entity, salesforce: { objectType: value.entityType === 'USER' ? 'Contact' : 'Account', recordId: null }, eventIds: [value.eventId],
        }));
      }
      return logs;
    });
  }

  /**
   * Replays parked events of connections that may write again, oldest first, and removes them once applied.
   * Connections resume side by side (a slow org's replay never holds up another's), RESUME_CONCURRENCY at a
   * time; one whose replay from an earlier round is still running is left to it.
   */
  async resumeParked(): Promise<void> {
    // A member that has not joined yet would read every partition's parked events and directories, then drop them
    // at its first assignment: the members holding the partitions replay them.
    if (!this.partitions.joined) return;
    await this.loadParked();
    const due = [...this.parked].filter(([connectionId]) => !this.resuming.has(connectionId));
    for (const [connectionId] of due) this.resuming.add(connectionId);
    // Their directories, when memory lacks them (after a start or a rebalance), are read together.
    const now = Date.now();
    this.directories.ofAll(due.filter(([id]) => !((this.backoffs.get(id)?.until ?? 0) > now)).map(([id, tenantId]) => ({ id, tenantId })));
    await inParallel(due, RESUME_CONCURRENCY, async ([connectionId, tenantId]) => {
      try {
        await this.publish(await this.exclusive(connectionId, () => this.resumeConnection(connectionId, tenantId)));
      } finally {
        this.resuming.delete(connectionId);
      }
    });
  }

  private async resumeConnection(connectionId: string, tenantId: string): Promise<SyncLogRecord[]> {
    for (let i = 0; i < 600 && (this.active.get(connectionId) ?? 0) > 0; i++) await new Promise((resolve) => setTimeout(resolve, 50)); // batches that began before the pause
    if ((this.active.get(connectionId) ?? 0) > 0) return [];
    const backoff = this.backoffs.get(connectionId);
    if (backoff && Date.now() < backoff.until) return []; // not due yet: no store read
    const connection = await this.deps.connections.findById(tenantId, connectionId);
    if (connection?.enabled && (await this.blocked(connection))) return [];
    // Read and applied under the lease: a member that held these partitions before may still be applying them.
    const lease = await this.deps.leases.hold(tenantId, connectionId);
    if (!lease) return [];
    try {
      const events = await this.deps.parked.list(tenantId, connectionId, 2000, this.partitions.partitions ?? undefined);
      if (events.length === 0) {
        this.parked.delete(connectionId);
        this.heldSince.delete(connectionId);
        return [];
      }
      if (!connection || !connection.enabled) {
        await this.deps.parked.unpark(events); // the connection is gone or off: nothing to apply them to
        this.deps.logger.info({ connectionId, count: events.length }, 'parked events dropped: the connection is deleted or disabled');
        return [];
      }
      const logs = await this.replay(connection, events);
      this.backoffs.delete(connectionId);
      this.deps.logger.info({ tenantId: connection.tenantId, connectionId, count: events.length }, 'parked events applied');
      return logs;
    } catch (error) {
      if (!connection || this.pauseReason(connection, error) !== null) return [];
      if (error instanceof RetryableError || error instanceof IntegrationError) this.backOff(connection, error, 'parked events failed');
      else this.deps.logger.warn({ connectionId, error: describeError(error) }, 'parked events failed; will try again');
      return [];
    } finally {
      await lease.release();
    }
  }

  /**
   * Applies parked events in order and unparks them. A failure that the connection must wait out (a pause, a
   * transient or settings error) is thrown: what is left stays parked. Any other failure is one event's: it is
   * found by halving, dead-lettered and unparked, and the others apply.
   */
  private async replay(connection: Connection, events: ParkedEvent[]): Promise<SyncLogRecord[]> {
    try {
      const logs = await this.apply(connection, events.map((e) => JSON.parse(e.event) as ProfileEvent));
      await this.deps.parked.unpark(events);
      return logs;
    } catch (error) {
      const waitOut = isSharedInfrastructureError(error) || this.pauseReason(connection, error) !== null || error instanceof RetryableError || (error instanceof IntegrationError && CONNECTION_ERROR_CODES.has(error.code));
      if (waitOut) throw error;
      if (events.length > 1) {
        const half = Math.ceil(events.length / 2);
        return [...(await this.replay(connection, events.slice(0, half))), ...(await this.replay(connection, events.slice(half)))];
      }
      const [event] = events;
      const logs = await this.deadLetter(connection, { value: JSON.parse(event.event) as ProfileEvent, partition: event.partition, offset: event.offset }, error);
      await this.deps.parked.unpark(events);
      return logs;
    }
  }

  /** At start and when partitions are gained: the connections with events parked in the partitions held. */
  private async loadParked(): Promise<void> {
    if (this.parkedLoaded) return;
    for (const { tenantId, connectionId } of await this.deps.parked.connectionsWithEvents(this.partitions.partitions ?? undefined)) this.parked.set(connectionId, tenantId);
    this.parkedLoaded = true;
  }

  /** A connection of the tenant changed: its connections are read from the store again when next needed. */
  connectionChanged(tenantId: string): void {
    this.tenants.delete(tenantId);
    this.deps.logger.info({ tenantId }, 'connection change heard; the tenant\'s connections will be re-read');
  }

  /** The tenants' enabled connections: from memory when read in the last CONNECTIONS_TTL_MS, the others read together. */
  private async enabledConnections(tenantIds: string[]): Promise<Map<string, Connection[]>> {
    const now = Date.now();
    const result = new Map<string, Connection[]>();
    const stale: string[] = [];
    for (const tenantId of tenantIds) {
      const cached = this.tenants.get(tenantId);
      if (cached && now - cached.at < CONNECTIONS_TTL_MS) result.set(tenantId, cached.connections);
      else stale.push(tenantId);
    }
    if (stale.length === 0) return result;
    for (const [tenantId, connections] of await this.deps.connections.listEnabledOf(stale)) {
      this.tenants.set(tenantId, { at: now, connections });
      result.set(tenantId, connections);
    }
    return result;
  }

  private async publish(logs: SyncLogRecord[]): Promise<void> {
    for (let start = 0; start < logs.length; start += 2000) {
      await this.deps.producer.send(TOPICS.syncLog.name, 'connector.sync-log.v1', logs.slice(start, start + 2000).map((log) => ({ key: syncLogKey(log), value: log })));
    }
  }

  private exclusive<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(key) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(work);
    this.locks.set(key, next);
    void next.finally(() => { if (this.locks.get(key) === next) this.locks.delete(key); }).catch(() => undefined);
    return next;
  }
}

/** A failure of what every connection shares (the store, Kafka): not one connection's to keep. */
function isSharedInfrastructureError(error: unknown): boolean {
  const name = error instanceof Error ? error.name : '';
  return /^(Mongo|KafkaJS)/.test(name) || (error instanceof RetryableError && error.code === 'SCHEMA_REGISTRY_UNAVAILABLE');
}
