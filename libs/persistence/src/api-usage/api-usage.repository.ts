import { Schema, type Connection as MongoConnection, type Model } from 'mongoose';
import { isDuplicateKeyError } from '../errors';

/** A connection's use of its org's daily API allocation, as last seen by any app (Sforce-Limit-Info, /limits). */
export interface ApiUsageSnapshot {
  connectionId: string;
  tenantId: string;
  used: number;
  limit: number;
  /** Set while journy → Salesforce writes are paused for quota; null when running. */
  pausedUntil: Date | null;
  pauseReason: string | null;
  observedAt: Date;
}

interface ApiUsageDocument extends Omit<ApiUsageSnapshot, 'connectionId'> {
  _id: string;
}

const apiUsageSchema = new Schema(
  {
    _id: { type: String, required: true }, // the connection id
    tenantId: { type: String, required: true },
    used: { type: Number, required: true },
    limit: { type: Number, required: true },
    pausedUntil: { type: Date, default: null },
    pauseReason: { type: String, default: null },
    observedAt: { type: Date, required: true },
  },
  { collection: 'api_usage', versionKey: false },
);
apiUsageSchema.index({ pausedUntil: 1 });

/** One small document per connection, written by whichever app saw the newest figures; read by the API. */
export class ApiUsageRepository {
  private readonly model: Model<ApiUsageDocument>;

  constructor(connection: MongoConnection) {
    this.model = (connection.models.ApiUsage as Model<ApiUsageDocument> | undefined) ?? connection.model<ApiUsageDocument>('ApiUsage', apiUsageSchema);
  }

  async ensureIndexes(): Promise<void> {
    await this.model.createCollection().catch(() => undefined);
    await this.model.createIndexes();
  }

  /**
   * Stores the figures; the pause fields only when given (a pause taken or lifted), so that an instance reporting
   * usage never clears a pause another one took.
   */
  async save(snapshot: Omit<ApiUsageSnapshot, 'pausedUntil' | 'pauseReason'> & Partial<Pick<ApiUsageSnapshot, 'pausedUntil' | 'pauseReason'>>): Promise<void> {
    const { connectionId, ...fields } = snapshot;
    const set = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
    // No $setOnInsert (mongoose adds one for schema defaults): FerretDB applies it to existing documents too, which
    // would clear a stored pause. Reads default the absent pause fields.
    const write = () => this.model.updateOne({ _id: connectionId }, { $set: set }, { upsert: true, setDefaultsOnInsert: false });
    try {
      await write();
    } catch (error) {
      // Two first writes at once (another app observed usage): the store may refuse the second insert of the
      // upsert instead of updating (FerretDB does, MongoDB retries itself). The document exists now: update it.
      if (!isDuplicateKeyError(error)) throw error;
      await write();
    }
  }

  async find(tenantId: string, connectionId: string): Promise<ApiUsageSnapshot | null> {
    const doc = await this.model.findOne({ _id: connectionId }).lean<ApiUsageDocument>();
    if (!doc || doc.tenantId !== tenantId) return null;
    return toSnapshot(doc);
  }

  /**
   * Every connection paused past `now`, of every tenant: what an instance's quota governor reads in one query
   * instead of one per connection. Internal to the apps; the API reads by tenant (`find`).
   */
  async pausedPast(now: Date): Promise<ApiUsageSnapshot[]> {
    const docs = await this.model.find({ pausedUntil: { $gt: now } }).lean<ApiUsageDocument[]>();
    return docs.map(toSnapshot);
  }
}

function toSnapshot(doc: ApiUsageDocument): ApiUsageSnapshot {
  return { connectionId: doc._id, tenantId: doc.tenantId, used: doc.used, limit: doc.limit, pausedUntil: doc.pausedUntil ?? null, pauseReason: doc.pauseReason ?? null, observedAt: doc.observedAt };
}
