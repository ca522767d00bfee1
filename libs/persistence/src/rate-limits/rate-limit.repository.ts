import { Schema, type Connection as MongoConnection, type Model } from 'mongoose';

interface RateWindowDocument {
  _id: string; // <key>:<window start, ms>
  hits: number;
  endsAt: Date;
}

const rateWindowSchema = new Schema<RateWindowDocument>(
  {
    _id: { type: String, required: true },
    hits: { type: Number, required: true },
    endsAt: { type: Date, required: true },
  },
  { collection: 'rate_limits', versionKey: false },
);
rateWindowSchema.index({ endsAt: 1 }, { name: 'ends_at' });

/** Requests counted in this window and the one before it, for a sliding-window estimate. */
export interface RateCount {
  current: number;
  previous: number;
  /** How far into the current window `at` is, 0..1. */
  elapsed: number;
  windowEndsAt: number;
}

/**
 * Request counters shared by every instance of the API: one document per key and fixed window, incremented
 * atomically (an upsert), so N instances limit a tenant together instead of N times over. Windows that ended
 * are removed by `deleteEnded` (no TTL index: the local store has none).
 */
export class RateLimitsRepository {
  private readonly model: Model<RateWindowDocument>;
  /** Counts of windows that have ended, by id. */
  private readonly closed = new Map<string, number>();

  constructor(connection: MongoConnection) {
    this.model = (connection.models.RateWindow as Model<RateWindowDocument> | undefined) ?? connection.model<RateWindowDocument>('RateWindow', rateWindowSchema);
  }

  async ensureIndexes(): Promise<void> {
    await this.model.createCollection().catch(() => undefined);
    await this.model.createIndexes();
  }

  /** Counts one request of `key` at `at` and answers the counts of its window and the previous one. */
  async hit(key: string, windowMs: number, at = Date.now()): Promise<RateCount> {
    const start = Math.floor(at / windowMs) * windowMs;
    const previousId = `${key}:${start - windowMs}`;
    const [current, previous] = await Promise.all([
      this.model.findOneAndUpdate({ _id: `${key}:${start}` }, { $inc: { hits: 1 }, $set: { endsAt: new Date(start + windowMs) } }, { upsert: true, new: true }).lean<RateWindowDocument>(),
      this.closed.get(previousId) ?? this.model.findOne({ _id: previousId }).lean<RateWindowDocument>().then((doc) => doc?.hits ?? 0),
    ]);
    // An ended window's count no longer changes (by more than a straggler): read once, then from memory.
    if (this.closed.size > 10_000) this.closed.clear();
    this.closed.set(previousId, previous);
    return { current: current?.hits ?? 1, previous, elapsed: (at - start) / windowMs, windowEndsAt: start + windowMs };
  }

  /** Removes windows that ended before `before` (and so no longer count, even as a previous window). */
  async deleteEnded(before: Date): Promise<number> {
    return (await this.model.deleteMany({ endsAt: { $lt: before } })).deletedCount ?? 0;
  }
}
