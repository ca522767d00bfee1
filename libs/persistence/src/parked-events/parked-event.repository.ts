import { Schema, type Connection as MongoConnection, type Model } from 'mongoose';
import { READ_CONCURRENCY, inParallel } from '../in-parallel';
import { insertNew } from '../insert-new';
import type { ConnectionRef } from '../of-connections';

/** Events held back while their connection is paused (API quota), in arrival order, replayed when it resumes. */
export interface ParkedEvent {
  tenantId: string;
  connectionId: string;
  /** Arrival order: topic partition and offset. */
  partition: number;
  offset: string;
  /** The event as JSON. */
  event: string;
  /** The runs that hold it, when it was read back (`list`): unparking then touches only those. */
  runIds?: string[];
}

interface StoredEvent {
  offset: string;
  event: string;
}

/**
 * A run of one connection's parked events of one partition, in offset order: parking and unparking a flush's
 * events costs a write per partition, not per event. The run (small: what a connection's replay looks for) and
 * its events (up to a few hundred KB) are two documents with one _id, so that finding a connection's runs never
 * reads every connection's events: a store that cannot use the connection index for it (FerretDB on SQLite
 * scans) reads only runs. Documents of earlier versions hold their events inline (`events`, or one `event`);
 * they are read and removed the same way.
 */
interface ParkedRunDocument {
  _id: string; // <connection>:<partition>:<first offset>
  tenantId: string;
  connectionId: string;
  partition: number;
  /** The first and the last offset of the run, and how many events it holds. */
  offset: string;
  lastOffset?: string;
  count?: number;
  events?: StoredEvent[];
  event?: string;
  parkedAt: Date;
}

/** A run's events, under the run's _id. */
interface ParkedEventsDocument {
  _id: string;
  tenantId: string;
  partition: number;
  events: StoredEvent[];
}

/** The most events one document holds (a few hundred KB of events). */
const EVENTS_PER_DOCUMENT = 500;

const parkedRunSchema = new Schema(
  {
    _id: { type: String, required: true },
    tenantId: { type: String, required: true },
    connectionId: { type: String, required: true },
    partition: { type: Number, required: true },
    offset: { type: String, required: true },
    lastOffset: { type: String },
    count: { type: Number },
    events: { type: [{ _id: false, offset: String, event: String }], default: undefined },
    event: { type: String },
    parkedAt: { type: Date, required: true },
  },
  { collection: 'outbound_parked', versionKey: false },
);
parkedRunSchema.index({ tenantId: 1, connectionId: 1 }, { name: 'tenant_connection' });

const parkedEventsSchema = new Schema(
  {
    _id: { type: String, required: true },
    tenantId: { type: String, required: true },
    partition: { type: Number, required: true },
    events: { type: [{ _id: false, offset: String, event: String }], required: true },
  },
  { collection: 'outbound_parked_events', versionKey: false },
);

/**
 * The parked events of each tenant's connections: written in arrival order, read back and removed once applied.
 * Parking, the write that lets a batch go, uses the `control` connection; replaying (the reads of whole
 * connections, the removals) uses the app's, so a flush's park never queues behind replays.
 */
export class ParkedEventsRepository {
  private readonly runs: Model<ParkedRunDocument>;
  private readonly events: Model<ParkedEventsDocument>;
  private readonly parking: { runs: Model<ParkedRunDocument>; events: Model<ParkedEventsDocument> };

  constructor(connection: MongoConnection, control: MongoConnection = connection) {
    this.runs = runsModel(connection);
    this.events = eventsModel(connection);
    this.parking = { runs: runsModel(control), events: eventsModel(control) };
  }

  async ensureIndexes(): Promise<void> {
    await this.runs.createCollection().catch(() => undefined);
    await this.runs.createIndexes();
    await this.events.createCollection().catch(() => undefined);
  }

  /**
   * Parks events, one run per connection, partition and up to EVENTS_PER_DOCUMENT events: the events first, then
   * the runs that point at them (one write each). Parking the same events again (a batch consumed again after
   * a crash) finds their documents there and adds nothing.
   */
  async park(events: ParkedEvent[], at = new Date()): Promise<void> {
    const runs: ParkedRunDocument[] = [];
    const stored: ParkedEventsDocument[] = [];
    for (const group of groupBy(events, (e) => `${e.tenantId}\u0000${e.connectionId}\u0000${e.partition}`)) {
      group.sort((a, b) => compareOffsets(a.offset, b.offset));
      for (let start = 0; start < group.length; start += EVENTS_PER_DOCUMENT) {
        const part = group.slice(start, start + EVENTS_PER_DOCUMENT);
        const [{ tenantId, connectionId, partition, offset }] = part;
        const _id = `${connectionId}:${partition}:${offset}`;
        runs.push({ _id, tenantId, connectionId, partition, offset, lastOffset: part[part.length - 1].offset, count: part.length, parkedAt: at });
        stored.push({ _id, tenantId, partition, events: part.map((e) => ({ offset: e.offset, event: e.event })) });
      }
    }
    await insertNew(this.parking.events.collection, stored);
    await insertNew(this.parking.runs.collection, runs);
  }

  /**
   * A connection's parked events in arrival order (per partition by offset), the first `limit` of them; of these
   * partitions only, when given. Reads the connection's runs, then the events of those it needs by _id (with
   * any run overlapping them, parked twice after a crash, so that an event is listed once and unparked from both).
   */
  async list(tenantId: string, connectionId: string, limit = 5000, partitions?: number[]): Promise<ParkedEvent[]> {
    const runs = await this.runs.find({ tenantId, connectionId, ...ofPartitions(partitions) }).lean<ParkedRunDocument[]>();
    runs.sort((a, b) => +a.parkedAt - +b.parkedAt || a.partition - b.partition || compareOffsets(a.offset, b.offset));
    const needed = runsFor(runs, limit);
    const eventsOfRun = new Map<string, StoredEvent[]>();
    await inParallel(needed, READ_CONCURRENCY, async (run) => {
      const stored = await this.eventsOf(run);
      eventsOfRun.set(run._id, stored);
      if (stored.length === 0) await this.runs.deleteOne({ _id: run._id }); // a run left without events holds nothing
    });
    const seen = new Map<string, ParkedEvent>();
    const listed: ParkedEvent[] = [];
    for (const run of needed) {
      for (const { offset, event } of eventsOfRun.get(run._id)!) {
        const key = `${run.partition}:${offset}`;
        const earlier = seen.get(key);
        if (earlier) { // parked twice in runs that overlap: listed once, removed from both
          earlier.runIds!.push(run._id);
          continue;
        }
        const parked: ParkedEvent = { tenantId: run.tenantId, connectionId: run.connectionId, partition: run.partition, offset, event, runIds: [run._id] };
        seen.set(key, parked);
        listed.push(parked);
      }
    }
    return listed.slice(0, limit);
  }

  /** The connections that have parked events (one read of the runs, however many connections); in these partitions, when given. */
  async connectionsWithEvents(partitions?: number[]): Promise<ConnectionRef[]> {
    const groups = await this.runs.aggregate<{ _id: ConnectionRef }>([{ $match: ofPartitions(partitions) }, { $group: { _id: { tenantId: '$tenantId', connectionId: '$connectionId' } } }]);
    return groups.map((g) => ({ tenantId: g._id.tenantId, connectionId: g._id.connectionId }));
  }

  /**
   * Removes applied events: a run whose events are all applied is deleted (the run first, then its events), one
   * with some left keeps those. Events read back by `list` name their runs, each read and written by _id alone
   * (the one filter every MongoDB-compatible store answers from its primary key); others are found by reading
   * the connection's runs. A connection's events are unparked by one holder at a time (the replay lease), so no
   * two removals rewrite one run at once.
   */
  async unpark(events: ParkedEvent[]): Promise<void> {
    const byRun = new Map<string, ParkedEvent[]>();
    for (const e of events) {
      for (const id of e.runIds ?? []) {
        const applied = byRun.get(id);
        if (applied) applied.push(e);
        else byRun.set(id, [e]);
      }
    }
    const unnamed = groupBy(events.filter((e) => e.runIds === undefined), (e) => `${e.tenantId}\u0000${e.connectionId}`);
    await inParallel(unnamed, READ_CONCURRENCY, async (applied) => {
      const [{ tenantId, connectionId }] = applied;
      const runs = await this.runs.find({ tenantId, connectionId, partition: { $in: [...new Set(applied.map((e) => e.partition))] } }).lean<ParkedRunDocument[]>();
      await inParallel(runs, READ_CONCURRENCY, (run) => this.removeFrom(run, applied));
    });
    await inParallel([...byRun], READ_CONCURRENCY, async ([id, applied]) => {
      const run = await this.runs.findOne({ _id: id }).lean<ParkedRunDocument>();
      if (run && run.tenantId === applied[0].tenantId) await this.removeFrom(run, applied);
    });
  }

  /** Removes the applied events from one run, by _id. */
  private async removeFrom(run: ParkedRunDocument, applied: ParkedEvent[]): Promise<void> {
    const done = new Set(applied.map((e) => `${e.partition}:${e.offset}`));
    const all = await this.eventsOf(run);
    const left = all.filter((e) => !done.has(`${run.partition}:${e.offset}`));
    if (left.length === all.length) return;
    const inline = isInline(run);
    if (left.length === 0) {
      await this.runs.deleteOne({ _id: run._id });
      if (!inline) await this.events.deleteOne({ _id: run._id });
    } else if (inline) await this.runs.updateOne({ _id: run._id }, { $set: { events: left }, $unset: { event: '' } });
    else await this.events.updateOne({ _id: run._id }, { $set: { events: left } });
  }

  /** A run's events: inline (earlier versions), or its events document (none: removed, or never written). */
  private async eventsOf(run: ParkedRunDocument): Promise<StoredEvent[]> {
    if (run.events) return run.events;
    if (run.event !== undefined) return [{ offset: run.offset, event: run.event }];
    const stored = await this.events.findOne({ _id: run._id }).lean<ParkedEventsDocument>();
    return stored && stored.tenantId === run.tenantId ? stored.events : [];
  }
}

/**
 * The runs (in order) whose events make the first `limit`, counted without reading them (a run of an earlier
 * version counts its inline events), with every later run of the same partitions that overlaps one of them.
 */
function runsFor(runs: ParkedRunDocument[], limit: number): ParkedRunDocument[] {
  let counted = 0;
  let cut = 0;
  while (cut < runs.length && counted < limit) counted += countOf(runs[cut++]);
  const chosen = runs.slice(0, cut);
  const overlapping = runs.slice(cut).filter((later) => chosen.some((run) => run.partition === later.partition && overlaps(run, later)));
  return [...chosen, ...overlapping];
}

function countOf(run: ParkedRunDocument): number {
  return run.count ?? run.events?.length ?? 1;
}

function overlaps(a: ParkedRunDocument, b: ParkedRunDocument): boolean {
  const [aLast, bLast] = [lastOffsetOf(a), lastOffsetOf(b)];
  return aLast === null || bLast === null || (compareOffsets(a.offset, bLast) <= 0 && compareOffsets(b.offset, aLast) <= 0);
}

/** The run's last offset; null when the document does not say (then it is read whenever it could overlap). */
function lastOffsetOf(run: ParkedRunDocument): string | null {
  if (run.lastOffset !== undefined) return run.lastOffset;
  if (run.events) return run.events.reduce((last, e) => (compareOffsets(e.offset, last) > 0 ? e.offset : last), run.offset);
  return run.event !== undefined ? run.offset : null;
}

function isInline(run: ParkedRunDocument): boolean {
  return run.events !== undefined || run.event !== undefined;
}

function runsModel(connection: MongoConnection): Model<ParkedRunDocument> {
  return (connection.models.ParkedEvent as Model<ParkedRunDocument> | undefined) ?? connection.model<ParkedRunDocument>('ParkedEvent', parkedRunSchema);
}

function eventsModel(connection: MongoConnection): Model<ParkedEventsDocument> {
  return (connection.models.ParkedEventRun as Model<ParkedEventsDocument> | undefined) ?? connection.model<ParkedEventsDocument>('ParkedEventRun', parkedEventsSchema);
}

function groupBy(events: ParkedEvent[], keyOf: (e: ParkedEvent) => string): ParkedEvent[][] {
  const groups = new Map<string, ParkedEvent[]>();
  for (const e of events) {
    const key = keyOf(e);
    const group = groups.get(key);
    if (group) group.push(e);
    else groups.set(key, [e]);
  }
  return [...groups.values()];
}

function ofPartitions(partitions: number[] | undefined): { partition?: { $in: number[] } } {
  return partitions ? { partition: { $in: partitions } } : {};
}

function compareOffsets(a: string, b: string): number {
  const [x, y] = [BigInt(a), BigInt(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}
