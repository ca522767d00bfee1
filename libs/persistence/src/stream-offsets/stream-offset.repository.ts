import { Schema, type Connection as MongoConnection, type Model } from 'mongoose';
import { isDuplicateKeyError } from '../errors';

/** How far a connection's change stream is durably processed on one channel. */
export interface StreamOffset {
  tenantId: string;
  connectionId: string;
  channel: string;
  replayId: number;
  /** The commit time of the last processed change: where a re-read by SystemModstamp starts (with an overlap). */
  commitTimestamp: number | null;
  updatedAt: Date;
}

interface StreamOffsetDocument extends StreamOffset {
  _id: string;
}

export const STREAM_OFFSETS_COLLECTION = 'stream_offsets';

const streamOffsetSchema = new Schema(
  {
    _id: { type: String, required: true }, // <connectionId>:<channel>
    tenantId: { type: String, required: true },
    connectionId: { type: String, required: true },
    channel: { type: String, required: true },
    replayId: { type: Number, required: true },
    commitTimestamp: { type: Number, default: null },
    updatedAt: { type: Date, required: true },
  },
  { collection: STREAM_OFFSETS_COLLECTION, versionKey: false },
);
// A connection's offsets on every channel (the health check of its streams, and deleting them with it).
streamOffsetSchema.index({ tenantId: 1, connectionId: 1 }, { name: 'tenant_connection' });

/** Replay positions. A save never moves an offset backwards (acknowledgements may arrive out of order). */
export class StreamOffsetsRepository {
  private readonly model: Model<StreamOffsetDocument>;

  constructor(connection: MongoConnection) {
    this.model = (connection.models.StreamOffset as Model<StreamOffsetDocument> | undefined) ?? connection.model<StreamOffsetDocument>('StreamOffset', streamOffsetSchema);
  }

  async ensureIndexes(): Promise<void> {
    await this.model.createCollection().catch(() => undefined);
    await this.model.createIndexes();
  }

  async get(tenantId: string, connectionId: string, channel: string): Promise<StreamOffset | null> {
    const found = await this.model.findOne({ _id: `${connectionId}:${channel}`, tenantId }).lean<StreamOffsetDocument>();
    if (!found) return null;
    const { _id: _ignored, ...offset } = found;
    return offset;
  }

  /** Saves the position if it is further than the stored one; returns whether it moved. */
  async advance(tenantId: string, connectionId: string, channel: string, position: { replayId: number; commitTimestamp: number | null }): Promise<boolean> {
    const _id = `${connectionId}:${channel}`;
    try {
      const result = await this.model.updateOne(
        { _id, tenantId, replayId: { $lt: position.replayId } },
        { $set: { replayId: position.replayId, commitTimestamp: position.commitTimestamp, updatedAt: new Date() }, $setOnInsert: { connectionId, channel } },
        { upsert: true },
      );
      return result.modifiedCount + result.upsertedCount > 0;
    } catch (error) {
      if (isDuplicateKeyError(error)) return false; // the stored offset is already further
      throw error;
    }
  }

  /**
   * A new starting point without a replay id: `replayId` -2 (replay everything retained) with the commit time
   * below which events are dropped (a first start, or after re-reading the records an invalid replay id or a
   * GAP made us miss), or -1 (the tip).
   */
  async reset(tenantId: string, connectionId: string, channel: string, commitTimestamp: number | null, replayId: -1 | -2 = -1): Promise<void> {
    await this.model.updateOne(
      { _id: `${connectionId}:${channel}` }, // _id alone: see RecordLinksRepository.upsertMany
      { $set: { tenantId, replayId, commitTimestamp, updatedAt: new Date() }, $setOnInsert: { connectionId, channel } },
      { upsert: true },
    );
  }

  async deleteForConnection(tenantId: string, connectionId: string): Promise<number> {
    return (await this.model.deleteMany({ tenantId, connectionId })).deletedCount;
  }
}
