import { Schema, type Connection as MongoConnection, type Model } from 'mongoose';
import { insertNew } from '../insert-new';
import type { ConnectionRef } from '../of-connections';

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
 * Who may apply a connection's parked events now, across journy-events members (see ReplayLeases). On the
 * `control` connection, with parking: the writes that let a rebalancing member go never wait behind replays.
 */
export class ReplayLeasesRepository {
  private readonly leases: Model<ReplayLeaseDocument>;

  constructor(control: MongoConnection) {
    this.leases = (control.models.ParkedReplayLease as Model<ReplayLeaseDocument> | undefined) ?? control.model<ReplayLeaseDocument>('ParkedReplayLease', replayLeaseSchema);
  }

  async ensureIndexes(): Promise<void> {
    await this.leases.createCollection().catch(() => undefined);
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

  /**
   * Extends the holder's leases by `ttlMs` (one write); never takes one it no longer holds (released, or run out
   * and taken by another member). Kept or not, in the order asked.
   */
  async renewAll(connections: ConnectionRef[], holder: string, ttlMs: number, now = new Date()): Promise<boolean[]> {
    if (connections.length === 0) return [];
    const ids = connections.map((c) => leaseId(c.tenantId, c.connectionId));
    const unique = [...new Set(ids)];
    const renewed = await this.leases.updateMany({ _id: { $in: unique }, holder }, { $set: { until: new Date(now.getTime() + ttlMs) } });
    if (renewed.matchedCount === unique.length) return ids.map(() => true);
    const mine = new Set((await this.leases.find({ _id: { $in: unique }, holder }, { _id: 1 }).lean<ReplayLeaseDocument[]>()).map((doc) => doc._id));
    return ids.map((id) => mine.has(id));
  }

  /** Gives the lease back (only the holder's own). */
  async releaseLease(tenantId: string, connectionId: string, holder: string): Promise<void> {
    await this.leases.deleteOne({ _id: leaseId(tenantId, connectionId), holder });
  }
}

function leaseId(tenantId: string, connectionId: string): string {
  return `${tenantId}:${connectionId}`;
}
