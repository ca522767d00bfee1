import { Schema, type Connection as MongoConnection, type Model } from 'mongoose';
import { isDuplicateKeyError } from '../errors';

/** Which Salesforce API a stored replay id belongs to (the ids of one do not resume the other). */
export type OffsetSource = 'cometd' | 'pubsub';

/** The last change a connection durably processed: its commit, and its place in the transaction. */
export interface ProcessedCommit {
  commitTimestamp: number | null;
  /** Salesforce's system change number of the transaction (increases with each commit). */
  commitNumber: number | null;
  sequenceNumber: number | null;
}

/** How far a connection's change stream is durably processed on one channel. */
export interface StreamOffset extends ProcessedCommit {
  tenantId: string;
  connectionId: string;
  channel: string;
  /** The source of `replayId`; null when the stream starts from a preset. */
  source: OffsetSource | null;
  /** The last processed event's replay id, opaque, in its source's encoding (CometD: decimal; Pub/Sub: base64). */
  replayId: string | null;
  /**
   * Where to start without a replay id: EARLIEST (all retained, with `commitTimestamp` as the floor below which
   * events are dropped), or LATEST (the tip).
   */
  preset: 'EARLIEST' | 'LATEST' | null;
  /** Why the connection's stream runs on another source than its setting (Pub/Sub refused for the org), if it does. */
  fallbackReason: string | null;
  updatedAt: Date;
}

interface StreamOffsetDocument extends Omit<StreamOffset, 'replayId'> {
  _id: string;
  /** A string; a number in offsets saved before Pub/Sub (CometD ids, -1 the tip, -2 all retained). */
  replayId: string | number | null;
  /** CometD's replay id as a number: a save never moves it backwards. */
  order: number | null;
}

export const STREAM_OFFSETS_COLLECTION = 'stream_offsets';

const streamOffsetSchema = new Schema(
  {
    _id: { type: String, required: true }, // <connectionId>:<channel>
    tenantId: { type: String, required: true },
    connectionId: { type: String, required: true },
    channel: { type: String, required: true },
    source: { type: String, default: null },
    replayId: { type: Schema.Types.Mixed, default: null },
    order: { type: Number, default: null },
    preset: { type: String, default: null },
    commitTimestamp: { type: Number, default: null },
    commitNumber: { type: Number, default: null },
    sequenceNumber: { type: Number, default: null },
    fallbackReason: { type: String, default: null },
    updatedAt: { type: Date, required: true },
  },
  { collection: STREAM_OFFSETS_COLLECTION, versionKey: false },
);
// A connection's offsets on every channel (the health check of its streams, and deleting them with it).
streamOffsetSchema.index({ tenantId: 1, connectionId: 1 }, { name: 'tenant_connection' });

/**
 * Replay positions. A CometD save never moves an offset backwards (acknowledgements may arrive out of order);
 * a Pub/Sub replay id is opaque, so it is saved as it comes (one worker acknowledges a connection's events in order).
 */
export class StreamOffsetsRepository {
  private readonly model: Model<StreamOffsetDocument>;

  constructor(connection: MongoConnection) {
    this.model = (connection.models.StreamOffset as Model<StreamOffsetDocument> | undefined) ?? connection.model<StreamOffsetDocument>('StreamOffset', streamOffsetSchema);
  }

  async ensureIndexes(): Promise<void> {
    await this.model.createCollection().catch(() => undefined);
    await this.model.createIndexes();
  }

  /** Read by `_id` alone (the one filter FerretDB answers from its primary key) and kept only when the tenant's. */
  async get(tenantId: string, connectionId: string, channel: string): Promise<StreamOffset | null> {
    const found = await this.model.findOne({ _id: `${connectionId}:${channel}` }).lean<StreamOffsetDocument>();
    return found && found.tenantId === tenantId ? toOffset(found) : null;
  }

  /** A connection's offsets on all its channels. */
  async forConnection(tenantId: string, connectionId: string): Promise<StreamOffset[]> {
    return (await this.model.find({ tenantId, connectionId }).lean<StreamOffsetDocument[]>()).map(toOffset);
  }

  /**
   * Saves the replay id of a processed event (with its commit), or a newer position a Pub/Sub keepalive named
   * (without one: the commit stays); returns whether it moved.
   */
  async advance(tenantId: string, connectionId: string, channel: string, source: OffsetSource, replayId: string, commit?: ProcessedCommit): Promise<boolean> {
    const _id = `${connectionId}:${channel}`;
    const order = source === 'cometd' ? Number(replayId) : null;
    // A CometD id moves only forwards over a CometD position; anything else is replaced.
    const filter = order === null ? { _id, tenantId } : { _id, tenantId, $or: [{ source: { $ne: 'cometd' } }, { order: null }, { order: { $lt: order } }] };
    try {
      const result = await this.model.updateOne(
        filter,
        { $set: { source, replayId, order, preset: null, updatedAt: new Date(), ...(commit ?? {}) }, $setOnInsert: { connectionId, channel } },
        { upsert: true },
      );
      return result.modifiedCount + result.upsertedCount > 0;
    } catch (error) {
      if (isDuplicateKeyError(error)) return false; // the stored offset is already further
      throw error;
    }
  }

  /**
   * A new starting point without a replay id: EARLIEST (replay everything retained) with the commit time below
   * which events are dropped (a first start, or after re-reading the records an invalid replay id or a GAP made
   * us miss), or LATEST (the tip).
   */
  async reset(tenantId: string, connectionId: string, channel: string, commitTimestamp: number | null, preset: 'EARLIEST' | 'LATEST' = 'LATEST'): Promise<void> {
    await this.model.updateOne(
      { _id: `${connectionId}:${channel}` }, // _id alone: see RecordLinksRepository.upsertMany
      { $set: { tenantId, source: null, replayId: null, order: null, preset, commitTimestamp, commitNumber: null, sequenceNumber: null, updatedAt: new Date() }, $setOnInsert: { connectionId, channel } },
      { upsert: true },
    );
  }

  /** Records why the stream runs on another source than its setting (null: it no longer does). */
  async setFallback(tenantId: string, connectionId: string, channel: string, reason: string | null): Promise<void> {
    await this.model.updateOne({ _id: `${connectionId}:${channel}`, tenantId }, { $set: { fallbackReason: reason } });
  }

  async deleteForConnection(tenantId: string, connectionId: string): Promise<number> {
    return (await this.model.deleteMany({ tenantId, connectionId })).deletedCount;
  }
}

function toOffset(document: StreamOffsetDocument): StreamOffset {
  const { _id: _ignored, order: _order, replayId, ...rest } = document;
  const base = { ...rest, commitNumber: rest.commitNumber ?? null, sequenceNumber: rest.sequenceNumber ?? null, fallbackReason: rest.fallbackReason ?? null };
  if (typeof replayId === 'number') {
    // Saved before Pub/Sub: a CometD replay id, or -1 / -2 for the tip / all retained.
    if (replayId >= 0) return { ...base, source: 'cometd', replayId: String(replayId), preset: null };
    return { ...base, source: null, replayId: null, preset: replayId === -2 ? 'EARLIEST' : 'LATEST' };
  }
  return { ...base, source: (rest.source as OffsetSource | null) ?? null, replayId: replayId ?? null, preset: rest.preset ?? null };
}
