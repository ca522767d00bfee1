import { ConnectionNeedsReconnect, OrgSessions, type DescribeCache } from '@connector/org-access';
import { AuthError, RetryableError, backoffDelay, describeError } from '@connector/domain';
import type { Logger } from '@connector/observability';
import type { Connection, ConnectionsRepository, ImportJobsRepository, ProcessedCommit, RecordLinksRepository, StreamOffset, StreamOffsetsRepository } from '@connector/persistence';
import { CdcStream, ChangeEvent, ChangeStream, ChangeStreamOptions, PubSubChannel, PubSubStream, SalesforceRestClient, StreamProblem, StreamSource, committedBefore, toSalesforceSecond } from '@connector/salesforce';
import type { ImportCheckpoint, ImportRunner } from '../import/import-runner';
import { ChangeProcessor } from '../live/change-processor';
import { streamStart } from '../live/stream-start';
import { InboundModel, buildInboundModel } from '../model/inbound-model';
import type { JournyPublisher } from '../model/journy-publisher';

export interface WorkerDeps {
  connections: ConnectionsRepository;
  jobs: ImportJobsRepository;
  links: RecordLinksRepository;
  offsets: StreamOffsetsRepository;
  sessions: OrgSessions;
  /** The app's describe metadata of each connection's objects. */
  describes: DescribeCache;
  publisher: JournyPublisher;
  importer: ImportRunner;
  /** The instance's one channel to the Pub/Sub API (null: this instance streams over CometD only). */
  pubsub: PubSubChannel | null;
  logger: Logger;
  settings: WorkerSettings;
  metrics: WorkerMetrics;
}

export interface WorkerSettings {
  /** The change-event channel: all captured objects on one subscription. */
  channel: string;
  /** How soon the worker looks at its connection again after an import or a recovery step. */
  pollIntervalMs: number;
  /**
   * How often it looks while streaming, disabled or waiting for a reconnect: a change wakes it at once (the
   * connection-changes topic), and so does the periodic reconcile when the connection's revision moved or an import
   * job waits (`lookAgainIf`); this is the last safety net.
   */
  streamingPollMs: number;
  /** How often acknowledged replay ids are saved. */
  offsetFlushMs: number;
  /** Backoff ceiling for retrying a failed stream or import. */
  maxBackoffMs: number;
  /** The source of connections whose setting does not name one. */
  defaultSource: StreamSource;
  /** A Pub/Sub stream silent this long is rebuilt. */
  pubsubSilenceMs: number;
}

export interface WorkerMetrics {
  eventProcessed(outcome: string, commitTimestamp: number | null): void;
  recovered(kind: string): void;
}

export type WorkerState = 'starting' | 'idle' | 'importing' | 'streaming' | 'recovering' | 'retrying' | 'needs-reconnect' | 'stopped';

/** States a worker stays in until something changes: it looks again every `streamingPollMs`, or when woken. */
const SETTLED = new Set<WorkerState>(['streaming', 'idle', 'needs-reconnect']);

export interface WorkerStatus {
  connectionId: string;
  tenantId: string;
  state: WorkerState;
  since: number;
  lastError: string | null;
  lastContactAt: number | null;
  lastEventAt: number | null;
  replayId: string | null;
  /** The API delivering this connection's events (null: no stream open). */
  source: StreamSource | null;
  /** Why the stream runs on CometD although the connection asks for Pub/Sub. */
  fallbackReason: string | null;
}

/** The last event handled, or a newer place a keepalive named: what the stream resumes from. */
interface Position {
  source: StreamSource;
  replayId: string;
  /** The last processed event's commit (kept as it was when a keepalive moves the replay id). */
  commit: ProcessedCommit | null;
}

/**
 * Everything the ingest app does for one connection it owns: runs (or resumes) its import job, then keeps one
 * change-event subscription open, saving the replay id only once the event's commands are acknowledged.
 * While an import runs the subscription is closed: it resumes afterwards from the position stored before
 * the snapshot began, and events already in the snapshot are dropped record by record.
 */
export class ConnectionWorker {
  private state: WorkerState = 'starting';
  private since = Date.now();
  private lastError: string | null = null;
  private stream: ChangeStream | null = null;
  private streamKey = '';
  private position: Position | null = null;
  /** Tries of events whose handling failed, by replay id (kept only until the event passes). */
  private readonly eventFailures = new Map<string, number>();
  private pendingOffset: Position | null = null;
  /** The position last saved, or read when the stream started: a keepalive bringing no other is not saved again. */
  private saved: Pick<Position, 'source' | 'replayId'> | null = null;
  /** Pub/Sub was refused for this org: CometD until this time, then Pub/Sub is tried again. */
  private fallback: { reason: string; until: number } | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  private wakeUp: (() => void) | null = null;
  private readonly abort = new AbortController();
  private loop: Promise<void> | null = null;
  private problem: StreamProblem | null = null;
  private failures = 0;
  private describeCache: { key: string; model: InboundModel } | null = null;
  /** The connection's revision when this worker last read it. */
  private seenRevision: number | null = null;

  constructor(readonly tenantId: string, readonly connectionId: string, private readonly deps: WorkerDeps) {}

  start(): void {
    this.loop ??= this.run();
  }

  /** Something changed (a connection change, a stream problem): look again now. */
  wake(): void {
    this.wakeUp?.();
  }

  /**
   * The periodic read of all connections saw this one: look again now when its revision is not the one this worker
   * read last, or when an import job waits.
   */
  lookAgainIf(seen: { revision: number; importJob: boolean }): void {
    if (!SETTLED.has(this.state)) return; // it looks again soon anyway (starting, retrying) or is importing
    if (seen.revision !== this.seenRevision || seen.importJob) this.wake();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.wake();
    await this.loop;
    await this.closeStream();
    this.setState('stopped');
  }

  status(): WorkerStatus {
    return {
      connectionId: this.connectionId, tenantId: this.tenantId, state: this.state, since: this.since, lastError: this.lastError,
      lastContactAt: this.stream?.lastContactTime() || null, lastEventAt: this.stream?.lastEventTime() || null, replayId: this.position?.replayId ?? null,
      source: this.stream?.source ?? null, fallbackReason: this.fallback?.reason ?? null,
    };
  }

  private get log(): Logger {
    return this.deps.logger;
  }

  private async run(): Promise<void> {
    while (!this.abort.signal.aborted) {
      let delay = this.deps.settings.pollIntervalMs;
      try {
        await this.step();
        this.failures = 0;
        if (SETTLED.has(this.state)) delay = this.deps.settings.streamingPollMs;
      } catch (error) {
        if (this.abort.signal.aborted) break;
        await this.closeStream();
        if (error instanceof ConnectionNeedsReconnect) {
          this.setState('needs-reconnect', error.message);
        } else {
          this.failures += 1;
          delay = backoffDelay(this.failures, { initialMs: 1000, maxMs: this.deps.settings.maxBackoffMs });
          this.setState('retrying', describeError(error).message);
          this.log.warn({ error: describeError(error), retryInMs: delay, failures: this.failures }, 'connection worker failed; retrying');
        }
      }
      await this.sleep(delay);
    }
  }

  /** One look at the connection: what should run, and make it so. */
  private async step(): Promise<void> {
    const connection = await this.deps.connections.findById(this.tenantId, this.connectionId);
    this.seenRevision = connection?.revision ?? null;
    if (!connection || !connection.enabled || connection.status === 'NEEDS_RECONNECT') {
      await this.closeStream();
      this.setState(connection?.status === 'NEEDS_RECONNECT' ? 'needs-reconnect' : 'idle', connection?.statusReason ?? null);
      return;
    }
    const problem = this.problem;
    this.problem = null;
    if (problem) await this.handleProblem(connection, problem);
    const job = await this.deps.jobs.findActive(this.tenantId, this.connectionId);
    if (job) {
      await this.closeStream();
      await this.ensureStartingPoint(connection);
      this.setState('importing');
      const rest = this.deps.sessions.client(connection);
      const model = await this.model(connection, rest);
      const outcome = await this.deps.importer.run(connection, job, rest, model, this.abort.signal);
      this.log.info({ importId: job.id, outcome }, 'import ended');
      this.describeCache = null; // the next stream start reads the relationships' snapshot time
      return;
    }
    if (this.stream && this.streamKey !== streamKeyOf(connection)) await this.closeStream(); // new settings: new model
    if (!this.stream) await this.openStream(connection);
    this.setState('streaming');
  }

  /** The stream's starting point exists before any snapshot begins: a replay id, or (first time) all retained above a floor of now. */
  private async ensureStartingPoint(connection: Connection): Promise<StreamOffset> {
    const stored = await this.deps.offsets.get(this.tenantId, connection.id, this.deps.settings.channel);
    if (stored) return stored;
    const floor = toSalesforceSecond(Date.now());
    await this.deps.offsets.reset(this.tenantId, connection.id, this.deps.settings.channel, floor, 'EARLIEST');
    return (await this.deps.offsets.get(this.tenantId, connection.id, this.deps.settings.channel))!;
  }

  /** The connection's setting, or the instance default; CometD while Pub/Sub is refused for the org. */
  private sourceFor(connection: Connection): StreamSource {
    const wanted = connection.settings.source.changeStream ?? this.deps.settings.defaultSource;
    if (wanted !== 'pubsub') return wanted;
    if (!this.deps.pubsub) return 'cometd';
    if (this.fallback && this.fallback.until > Date.now()) return 'cometd';
    this.fallback = null;
    return 'pubsub';
  }

  private createStream(connection: Connection, source: StreamSource, options: ChangeStreamOptions): ChangeStream {
    const session = this.deps.sessions.session(connection);
    if (source === 'pubsub') return new PubSubStream(this.deps.pubsub!, session, { ...options, orgId: connection.org.orgId, silenceTimeoutMs: this.deps.settings.pubsubSilenceMs });
    return new CdcStream(session, options);
  }

  private async openStream(connection: Connection): Promise<void> {
    const stored = await this.ensureStartingPoint(connection);
    const source = this.sourceFor(connection);
    const start = streamStart(stored, source);
    this.position = stored.source === source && stored.replayId !== null ? { source, replayId: stored.replayId, commit: stored } : null;
    this.saved = this.position;
    const { floor, handover } = start;
    // Moving from the other source: live events wait until the records changed since its last commit are read again.
    const reread = handover ? new Gate() : null;
    const lastImport = (await this.deps.jobs.list(this.tenantId, connection.id, 5)).find((j) => j.state === 'SUCCEEDED');
    const processor = await this.processor(connection, (lastImport?.checkpoint as ImportCheckpoint | null)?.queriedAt?.AccountContactRelation ?? null);
    const stream = this.createStream(connection, source, {
      channel: this.deps.settings.channel,
      replayFrom: () => (this.position?.source === source ? { replayId: this.position.replayId } : start.replay),
      onEvent: async (event: ChangeEvent) => {
        await reread?.passed;
        await this.apply(event, source, processor, floor);
      },
      onIdlePosition: (replayId) => this.moveTo({ source, replayId, commit: null }),
      onReconnect: (reason, attempt) => {
        this.log.warn({ source, reason, attempt }, 'change stream dropped: reconnecting from the acknowledged position');
        this.deps.metrics.recovered('stream-reconnect');
      },
      onProblem: (problem) => {
        this.problem = problem;
        this.log.warn({ problem: { ...problem, error: problem.kind === 'handler-failed' ? describeError(problem.error) : problem.error } }, 'change stream problem');
        this.wake();
      },
    });
    this.stream = stream;
    this.streamKey = streamKeyOf(connection);
    await stream.start();
    if (reread && handover) {
      // Subscribed at the tip first, so nothing committed from here on is missed; what the other source did not get
      // to is read again by SystemModstamp (Salesforce's second precision, with the usual overlap).
      try {
        await processor.rereadSince(handover.commitTimestamp ?? connection.createdAt.getTime(), `change stream moved to ${source}`);
        this.deps.metrics.recovered('source-handover');
        reread.open();
      } catch (error) {
        reread.fail(error); // the waiting events fail the stream, which is closed and opened again
        throw error;
      }
    }
    if (source === (connection.settings.source.changeStream ?? this.deps.settings.defaultSource) && stored.fallbackReason) {
      await this.deps.offsets.setFallback(this.tenantId, connection.id, this.deps.settings.channel, null);
    }
    this.log.info({ channel: this.deps.settings.channel, source, replayFrom: start.replay, floor, handover: start.handover }, 'change stream subscribed');
  }

  /** One event of the stream, in order: applied, or logged with why not; its replay id saved once acknowledged. */
  private async apply(event: ChangeEvent, source: StreamSource, processor: ChangeProcessor, floor: number | null): Promise<void> {
    if (event.decodeError) {
      // Delivered, but not readable against its schema: logged FAILED, never retried (it would fail the same way).
      this.log.error({ replayId: event.replayId, error: event.decodeError }, 'change event unreadable: logged and passed');
      await processor.skipEvent(event, 'UNREADABLE_EVENT', event.decodeError.slice(0, 1000), 'FAILED');
      this.acknowledge(source, event);
      this.deps.metrics.eventProcessed('unreadable', null);
      return;
    }
    if (floor !== null && typeof event.header?.commitTimestamp === 'number' && committedBefore(event.header.commitTimestamp, floor)) {
      // Replayed from the retention window, but older than where this stream starts: logged, not applied.
      await processor.skipEvent(event, 'OLDER_THAN_STREAM_START', `committed at ${new Date(event.header.commitTimestamp).toISOString()}, before this connection's stream starts (${new Date(floor).toISOString()})`);
      this.acknowledge(source, event);
      this.deps.metrics.eventProcessed('older-than-start', event.header.commitTimestamp);
      return;
    }
    const started = Date.now();
    try {
      await processor.handle(event);
    } catch (error) {
      // Transient trouble (Salesforce, the store, Kafka) is retried; an event that keeps failing for a reason
      // of its own is logged FAILED after a few tries and passed, so one event never wedges the stream.
      const attempts = this.recordFailure(event.replayId);
      if (isTransient(error) || attempts < HANDLER_ATTEMPTS) throw error;
      const described = describeError(error);
      this.log.error({ replayId: event.replayId, attempts, error: described }, 'change event failed for good: logged and passed');
      await processor.skipEvent(event, 'HANDLER_FAILED', `not applied after ${attempts} tries: ${described.code}: ${described.message}`.slice(0, 1000), 'FAILED');
      this.deps.metrics.eventProcessed('failed', event.header?.commitTimestamp ?? null);
    }
    this.eventFailures.delete(event.replayId);
    this.acknowledge(source, event);
    this.log.debug({ replayId: event.replayId, entity: event.header?.entityName, changeType: event.header?.changeType, ms: Date.now() - started, lagMs: Date.now() - (event.header?.commitTimestamp ?? Date.now()) }, 'change event processed');
    this.deps.metrics.eventProcessed('processed', event.header?.commitTimestamp ?? null);
  }

  private recordFailure(replayId: string): number {
    const attempts = (this.eventFailures.get(replayId) ?? 0) + 1;
    this.eventFailures.set(replayId, attempts);
    return attempts;
  }

  /** The event's commands are acknowledged: its replay id may be saved (batched). */
  private acknowledge(source: StreamSource, event: ChangeEvent): void {
    const header = event.header as Partial<ChangeEvent['header']> | undefined;
    const commit = { commitTimestamp: typeof header?.commitTimestamp === 'number' && header.commitTimestamp > 0 ? header.commitTimestamp : Date.now(), commitNumber: typeof header?.commitNumber === 'number' ? header.commitNumber : null, sequenceNumber: typeof header?.sequenceNumber === 'number' ? header.sequenceNumber : null };
    this.moveTo({ source, replayId: event.replayId, commit });
  }

  private moveTo(position: Position): void {
    this.position = position;
    // An idle org's keepalives repeat the position already saved (or waiting to be): no store write for them.
    const known = this.pendingOffset ?? this.saved;
    if (!position.commit && known?.source === position.source && known.replayId === position.replayId) return;
    // A keepalive's position keeps the commit of the last event a pending save carries.
    this.pendingOffset = position.commit || !this.pendingOffset ? position : { ...position, commit: this.pendingOffset.commit };
    this.flushTimer ??= setTimeout(() => void this.flushOffset(), this.deps.settings.offsetFlushMs);
  }

  private async flushOffset(): Promise<void> {
    this.flushTimer = null;
    const pending = this.pendingOffset;
    this.pendingOffset = null;
    if (!pending) return;
    try {
      await this.deps.offsets.advance(this.tenantId, this.connectionId, this.deps.settings.channel, pending.source, pending.replayId, pending.commit ?? undefined);
      this.saved = pending;
    } catch (error) {
      this.log.warn({ error: describeError(error) }, 'could not save the replay id; will save a later one');
    }
  }

  private async handleProblem(connection: Connection, problem: StreamProblem): Promise<void> {
    await this.closeStream();
    if (problem.kind === 'auth') throw new ConnectionNeedsReconnect(connection.id);
    if (problem.kind === 'source-unavailable') {
      // The org cannot use Pub/Sub (an edition or permission): CometD carries its events; Pub/Sub is tried again later.
      this.fallback = { reason: `Pub/Sub refused: ${problem.error}`.slice(0, 500), until: Date.now() + PUBSUB_RETRY_AFTER_MS };
      this.log.warn({ reason: problem.error }, 'Pub/Sub refused for this org: streaming over CometD instead');
      this.deps.metrics.recovered('pubsub-fallback');
      await this.deps.offsets.setFallback(this.tenantId, connection.id, this.deps.settings.channel, this.fallback.reason);
      return;
    }
    if (problem.kind === 'replay-invalid') {
      // The stored position is gone: re-read what changed since the last processed commit, then replay all
      // that is retained from a floor taken before the re-read (nothing between the two is missed).
      this.setState('recovering', problem.error);
      const stored = await this.deps.offsets.get(this.tenantId, connection.id, this.deps.settings.channel);
      const since = stored?.commitTimestamp ?? connection.createdAt.getTime();
      const floor = toSalesforceSecond(Date.now());
      const processor = await this.processor(connection, null);
      await processor.rereadSince(since, 'replay id invalid or expired');
      await this.deps.offsets.reset(this.tenantId, connection.id, this.deps.settings.channel, floor, 'EARLIEST');
      this.position = null;
      this.deps.metrics.recovered('replay-invalid');
      return;
    }
    throw new Error(problem.kind === 'handler-failed' ? `event ${problem.replayId} could not be processed: ${describeError(problem.error).message}` : `subscribe failed: ${problem.error}`);
  }

  private async processor(connection: Connection, relationsSnapshotAt: number | null): Promise<ChangeProcessor> {
    const rest = this.deps.sessions.client(connection);
    return new ChangeProcessor({
      connection, model: await this.model(connection, rest), rest, links: this.deps.links, publisher: this.deps.publisher, logger: this.log, relationsSnapshotAt,
      onOutcome: (outcome) => this.deps.metrics.eventProcessed(outcome, null),
    });
  }

  private async closeStream(): Promise<void> {
    const stream = this.stream;
    this.stream = null;
    if (stream) await stream.stop();
    if (this.flushTimer) clearTimeout(this.flushTimer);
    await this.flushOffset();
  }

  /** The inbound model from fresh describe metadata, built again when the connection's settings change. */
  private async model(connection: Connection, rest: SalesforceRestClient): Promise<InboundModel> {
    if (this.describeCache?.key === streamKeyOf(connection)) return this.describeCache.model;
    const global = await rest.request<{ sobjects: { name: string }[] }>('GET', '/sobjects');
    const hasAcr = global.sobjects.some((o) => o.name === 'AccountContactRelation');
    const model = buildInboundModel(connection.settings, { Account: await this.deps.describes.fields(connection, 'Account', { refresh: true }), Contact: await this.deps.describes.fields(connection, 'Contact', { refresh: true }) }, hasAcr);
    this.describeCache = { key: streamKeyOf(connection), model };
    return model;
  }

  private setState(state: WorkerState, error: string | null = null): void {
    if (state !== this.state) {
      this.state = state;
      this.since = Date.now();
    }
    this.lastError = error;
  }

  private async sleep(ms: number): Promise<void> {
    if (this.abort.signal.aborted) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    });
    this.wakeUp = null;
  }
}

/** What the stream and its model depend on (not the credentials: a refreshed token changes the revision too). */
function streamKeyOf(connection: Connection): string {
  return JSON.stringify([connection.org.instanceUrl, connection.settings]);
}

/** How often one change event may fail for a reason of its own before it is logged FAILED and passed. */
const HANDLER_ATTEMPTS = 3;

/** A promise opened (or failed) later: events wait on it until the hand-over's re-read is done. */
class Gate {
  private settle: { open: () => void; fail: (error: unknown) => void } = { open: () => undefined, fail: () => undefined };
  readonly passed = new Promise<void>((open, fail) => (this.settle = { open, fail }));

  constructor() {
    this.passed.catch(() => undefined); // a failure reaches the events waiting, not the process
  }

  open(): void {
    this.settle.open();
  }

  fail(error: unknown): void {
    this.settle.fail(error);
  }
}

/** After Pub/Sub was refused for an org, how long its stream stays on CometD before Pub/Sub is tried again. */
const PUBSUB_RETRY_AFTER_MS = 60 * 60_000;

/** Failures worth retrying as they are: Salesforce's transient ones, the store's, Kafka's. */
function isTransient(error: unknown): boolean {
  const name = error instanceof Error ? error.name : '';
  return error instanceof RetryableError || error instanceof AuthError || /^(Mongo|KafkaJS)/.test(name);
}
