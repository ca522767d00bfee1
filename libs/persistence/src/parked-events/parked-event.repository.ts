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

interface ParkedEventDocument extends ParkedEvent {
  _id: string;
  parkedAt: Date;
}

const parkedEventSchema = new Schema(
  {
    _id: { type: String, required: true }, // <connection>:<partition>:<offset>
    tenantId: { type: String, required: true },
    connectionId: { type: String, required: true },
    partition: { type: Number, required: true },
    offset: { type: String, required: true },
    event: { type: String, required: true },
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

/** The parked events of each tenant's connections: written in arrival order, read back and removed once applied. */
export class ParkedEventsRepository {
  private readonly parked: Model<ParkedEventDocument>;
  private readonly leases: Model<ReplayLeaseDocument>;

  constructor(connection: MongoConnection) {
    this.parked = (connection.models.ParkedEvent as Model<ParkedEventDocument> | undefined) ?? connection.model<ParkedEventDocument>('ParkedEvent', parkedEventSchema);
    this.leases = (connection.models.ParkedReplayLease as Model<ReplayLeaseDocument> | undefined) ?? connection.model<ReplayLeaseDocument>('ParkedReplayLease', replayLeaseSchema);
  }

  async ensureIndexes(): Promise<void> {
    await this.parked.createCollection().catch(() => undefined);
    await this.parked.createIndexes();
    await this.leases.createCollection().catch(() => undefined);
  }

  async park(events: ParkedEvent[], at = new Date()): Promise<void> {
    await insertNew(this.parked.collection, events.map((e) => ({ _id: parkedEventId(e), ...e, parkedAt: at })));
  }

  /** A connection's parked events in arrival order (per partition by offset); of these partitions only, when given. */
  async list(tenantId: string, connectionId: string, limit = 5000, partitions?: number[]): Promise<ParkedEvent[]> {
    const docs = await this.parked.find({ tenantId, connectionId, ...ofPartitions(partitions) }).lean<ParkedEventDocument[]>();
    return docs
      .sort((a, b) => +a.parkedAt - +b.parkedAt || a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)))
      .slice(0, limit)
      .map(({ tenantId: t, connectionId: c, partition, offset, event }) => ({ tenantId: t, connectionId: c, partition, offset, event }));
  }

  /** The connections that have parked events (one read, however many connections there are); in these partitions, when given. */
  async connectionsWithEvents(partitions?: number[]): Promise<ConnectionRef[]> {
    const groups = await this.parked.aggregate<{ _id: ConnectionRef }>([{ $match: ofPartitions(partitions) }, { $group: { _id: { tenantId: '$tenantId', connectionId: '$connectionId' } } }]);
    return groups.map((g) => ({ tenantId: g._id.tenantId, connectionId: g._id.connectionId }));
  }

  async unpark(events: ParkedEvent[]): Promise<void> {
    await inParallel(events, READ_CONCURRENCY, async (e) => {
      await this.parked.deleteOne({ _id: parkedEventId(e), tenantId: e.tenantId });
    });
  }

  /**
   * Takes (or renews) the right to replay a connection's parked events for `ttlMs`: granted when nobody holds it,
   * when this holder does, or when the last holder's time ran out (a member that died). One document per
   * connection, written by _id: a single-document update, atomic on MongoDB and FerretDB alike.
   */
  async lease(tenantId: string, connectionId: string, holder: string, ttlMs: number, now = new Date()): Promise<boolean> {
    const _id = `${tenantId}:${connectionId}`;
    const until = new Date(now.getTime() + ttlMs);
    if ((await insertNew(this.leases.collection, [{ _id, tenantId, holder, until } as ReplayLeaseDocument])).length === 0) return true;
    const taken = await this.leases.updateOne({ _id, tenantId, $or: [{ holder }, { until: { $lt: now } }] }, { $set: { holder, until } });
    return taken.matchedCount > 0;
  }

  /** Gives the lease back (only the holder's own). */
  async releaseLease(tenantId: string, connectionId: string, holder: string): Promise<void> {
    await this.leases.deleteOne({ _id: `${tenantId}:${connectionId}`, holder });
  }
}

function ofPartitions(partitions: number[] | undefined): { partition?: { $in: number[] } } {
  return partitions ? { partition: { $in: partitions } } : {};
}

function parkedEventId(event: ParkedEvent): string {
  return `${event.connectionId}:${event.partition}:${event.offset}`;
}
