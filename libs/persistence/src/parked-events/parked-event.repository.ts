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
}

/**
 * A run of one connection's parked events of one partition, in offset order, stored together: parking and
 * unparking a flush's events costs a write per partition, not per event. `offset` is the run's first. A document
 * of one event (`event`, no `events`) is the form earlier versions stored; it is read and removed the same way.
 */
interface ParkedRunDocument {
  _id: string; // <connection>:<partition>:<first offset>
  tenantId: string;
  connectionId: string;
  partition: number;
  offset: string;
  events?: { offset: string; event: string }[];
  event?: string;
  parkedAt: Date;
}

/** The most events one document holds (a few hundred KB of events). */
const EVENTS_PER_DOCUMENT = 500;

const parkedEventSchema = new Schema(
  {
    _id: { type: String, required: true },
    tenantId: { type: String, required: true },
    connectionId: { type: String, required: true },
    partition: { type: Number, required: true },
    offset: { type: String, required: true },
    events: { type: [{ _id: false, offset: String, event: String }], default: undefined },
    event: { type: String },
    parkedAt: { type: Date, required: true },
  },
  { collection: 'outbound_parked', versionKey: false },
);
parkedEventSchema.index({ tenantId: 1, connectionId: 1 }, { name: 'tenant_connection' });

/** Who replays a connection's parked events now, until when (renewed while it does). */
interface ReplayLeaseDocument {
  _id: string; // <tenantId>:<connectionId>
  tenantId: string;
  holder: string;
  until: Date;
}

const replayLeaseSchema = new Schema(
  {
    _id: { type: String, required: true },
    tenantId: { type: String, required: true },
    holder: { type: String, required: true },
    until: { type: Date, required: true },
  },
  { collection: 'outbound_parked_leases', versionKey: false },
);

/**
 * The parked events of each tenant's connections: written in arrival order, read back and removed once applied.
 * Parking and leases, the writes that let a batch go, use the `control` connection; replaying (the reads of
 * whole connections, the removals) uses the app's, so a flush's park never queues behind replays.
 */
export class ParkedEventsRepository {
  private readonly parked: Model<ParkedRunDocument>;
  private readonly parking: Model<ParkedRunDocument>;
  private readonly leases: Model<ReplayLeaseDocument>;

  constructor(connection: MongoConnection, control: MongoConnection = connection) {
    this.parked = parkedModel(connection);
    this.parking = parkedModel(control);
    this.leases = (control.models.ParkedReplayLease as Model<ReplayLeaseDocument> | undefined) ?? control.model<ReplayLeaseDocument>('ParkedReplayLease', replayLeaseSchema);
  }

  async ensureIndexes(): Promise<void> {
    await this.parked.createCollection().catch(() => undefined);
    await this.parked.createIndexes();
    await this.leases.createCollection().catch(() => undefined);
  }

  /**
   * Parks events, one document per connection, partition and run of up to EVENTS_PER_DOCUMENT. Parking the
   * same events again (a batch consumed again after a crash) finds their document there and adds nothing.
   */
  async park(events: ParkedEvent[], at = new Date()): Promise<void> {
    const docs: ParkedRunDocument[] = [];
    for (const run of groupBy(events, (e) => `${e.tenantId}\u0000${e.connectionId}\u0000${e.partition}`)) {
      run.sort((a, b) => compareOffsets(a.offset, b.offset));
      for (let start = 0; start < run.length; start += EVENTS_PER_DOCUMENT) {
        const part = run.slice(start, start + EVENTS_PER_DOCUMENT);
        const [{ tenantId, connectionId, partition, offset }] = part;
        docs.push({ _id: `${connectionId}:${partition}:${offset}`, tenantId, connectionId, partition, offset, events: part.map((e) => ({ offset: e.offset, event: e.event })), parkedAt: at });
      }
    }
    await insertNew(this.parking.collection, docs);
  }

  /** A connection's parked events in arrival order (per partition by offset); of these partitions only, when given. */
  async list(tenantId: string, connectionId: string, limit = 5000, partitions?: number[]): Promise<ParkedEvent[]> {
    const docs = await this.parked.find({ tenantId, connectionId, ...ofPartitions(partitions) }).lean<ParkedRunDocument[]>();
    docs.sort((a, b) => +a.parkedAt - +b.parkedAt || a.partition - b.partition || compareOffsets(a.offset, b.offset));
    const seen = new Set<string>();
    const events: ParkedEvent[] = [];
    for (const doc of docs) {
      for (const { offset, event } of eventsOf(doc)) {
        const key = `${doc.partition}:${offset}`;
        if (seen.has(key)) continue; // parked twice in runs that overlap
        seen.add(key);
        events.push({ tenantId: doc.tenantId, connectionId: doc.connectionId, partition: doc.partition, offset, event });
      }
    }
    return events.slice(0, limit);
  }

  /** The connections that have parked events (one read, however many connections there are); in these partitions, when given. */
  async connectionsWithEvents(partitions?: number[]): Promise<ConnectionRef[]> {
    const groups = await this.parked.aggregate<{ _id: ConnectionRef }>([{ $match: ofPartitions(partitions) }, { $group: { _id: { tenantId: '$tenantId', connectionId: '$connectionId' } } }]);
    return groups.map((g) => ({ tenantId: g._id.tenantId, connectionId: g._id.connectionId }));
  }

  /**
   * Removes applied events: a document whose events are all applied is deleted, one with some left keeps those.
   * One read per connection, then one write per document touched. A connection's events are unparked by one
   * holder at a time (the replay lease), so no two removals rewrite one document at once.
   */
  async unpark(events: ParkedEvent[]): Promise<void> {
    await inParallel(groupBy(events, (e) => `${e.tenantId}\u0000${e.connectionId}`), READ_CONCURRENCY, async (applied) => {
      const [{ tenantId, connectionId }] = applied;
      const done = new Set(applied.map((e) => `${e.partition}:${e.offset}`));
      const partitions = [...new Set(applied.map((e) => e.partition))];
      const docs = await this.parked.find({ tenantId, connectionId, partition: { $in: partitions } }).lean<ParkedRunDocument[]>();
      await inParallel(docs, READ_CONCURRENCY, async (doc) => {
        const all = eventsOf(doc);
        const left = all.filter((e) => !done.has(`${doc.partition}:${e.offset}`));
        if (left.length === all.length) return;
        if (left.length === 0) await this.parked.deleteOne({ _id: doc._id, tenantId });
        else await this.parked.updateOne({ _id: doc._id, tenantId }, { $set: { events: left } });
      });
    });
  }

  /**
   * Takes (or renews) the right to replay a connection's parked events for `ttlMs`: granted when nobody holds it,
   * when this holder does, or when the last holder's time ran out (a member that died). One document per
   * connection, keyed by it: each grant is a conditional update of that one document.
   */
  async lease(tenantId: string, connectionId: string, holder: string, ttlMs: number, now = new Date()): Promise<boolean> {
    return (await this.leaseAll([{ tenantId, connectionId }], holder, ttlMs, now))[0];
  }

  /**
   * `lease` for many connections at once (a rebalance detaches dozens of runs; a holder renews all it holds):
   * one insert of the free ones, then, for those already there, one conditional update and one read of which
   * are the holder's now. Granted or not, in the order asked.
   */
  async leaseAll(connections: ConnectionRef[], holder: string, ttlMs: number, now = new Date()): Promise<boolean[]> {
    if (connections.length === 0) return [];
    const until = new Date(now.getTime() + ttlMs);
    const ids = connections.map((c) => leaseId(c.tenantId, c.connectionId));
    const docs = [...new Map(connections.map((c, i) => [ids[i], { _id: ids[i], tenantId: c.tenantId, holder, until }])).values()];
    const existing = await insertNew(this.leases.collection, docs);
    if (existing.length > 0) {
      await this.leases.updateMany({ _id: { $in: existing }, $or: [{ holder }, { until: { $lt: now } }] }, { $set: { holder, until } });
    }
    const mine = new Set(existing.length === 0 ? [] : (await this.leases.find({ _id: { $in: existing } }, { _id: 1, holder: 1 }).lean<ReplayLeaseDocument[]>())
      .filter((doc) => doc.holder === holder).map((doc) => doc._id));
    const taken = new Set(existing);
    return ids.map((id) => !taken.has(id) || mine.has(id));
  }

  /** Gives the lease back (only the holder's own). */
  async releaseLease(tenantId: string, connectionId: string, holder: string): Promise<void> {
    await this.leases.deleteOne({ _id: leaseId(tenantId, connectionId), holder });
  }
}

function leaseId(tenantId: string, connectionId: string): string {
  return `${tenantId}:${connectionId}`;
}

function parkedModel(connection: MongoConnection): Model<ParkedRunDocument> {
  return (connection.models.ParkedEvent as Model<ParkedRunDocument> | undefined) ?? connection.model<ParkedRunDocument>('ParkedEvent', parkedEventSchema);
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

function eventsOf(doc: ParkedRunDocument): { offset: string; event: string }[] {
  return doc.events ?? (doc.event === undefined ? [] : [{ offset: doc.offset, event: doc.event }]);
}

function compareOffsets(a: string, b: string): number {
  const [x, y] = [BigInt(a), BigInt(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}
