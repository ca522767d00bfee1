import { insertNew } from '../insert-new';
import { Schema, type Connection as MongoConnection, type FilterQuery, type Model } from 'mongoose';
import { RecordKey, SyncLogEntry, recordKeyString, recordKeysOf } from './sync-log.entity';
import { syncLogSchema } from './sync-log.schema';

interface SyncLogDocument extends Omit<SyncLogEntry, 'logId'> {
  _id: string;
  keys: string[];
}

export interface SyncLogFilter {
  direction?: SyncLogEntry['direction'];
  objectType?: SyncLogEntry['objectType'];
  operation?: string;
  status?: SyncLogEntry['status'];
  /** Why a line was skipped or failed (NOT_IN_SEGMENT, SALESFORCE_REJECTED, …). */
  reason?: string;
  from?: Date;
  to?: Date;
  /** Entries naming every one of these keys (a user id and an email: that user's entries with that email). */
  records?: RecordKey[];
}

export interface SyncLogPage {
  entries: SyncLogEntry[];
  nextCursor: string | null;
}

const loggedConnectionSchema = new Schema<{ _id: string; at: Date }>({ _id: { type: String, required: true }, at: { type: Date, required: true } }, { collection: 'sync_log_connections', versionKey: false });

/** The sync log. Reads take the tenant and connection; writes are idempotent by logId. */
export class SyncLogsRepository {
  private readonly model: Model<SyncLogDocument>;
  /** One document per tenant and connection that has entries, by `_id`: whether it has any is a key lookup. */
  private readonly logged: Model<{ _id: string; at: Date }>;
  /** Connections marked in `logged` by this process. */
  private readonly marked = new Set<string>();

  constructor(connection: MongoConnection) {
    this.model = (connection.models.SyncLog as Model<SyncLogDocument> | undefined) ?? connection.model<SyncLogDocument>('SyncLog', syncLogSchema);
    this.logged = (connection.models.SyncLogConnection as Model<{ _id: string; at: Date }> | undefined) ?? connection.model<{ _id: string; at: Date }>('SyncLogConnection', loggedConnectionSchema);
  }

  async ensureIndexes(): Promise<void> {
    await this.model.createCollection().catch(() => undefined);
    await this.model.createIndexes();
    await this.logged.createCollection().catch(() => undefined);
  }

  /** Stores a batch; entries already stored (a re-delivery) are left as they are. Returns how many were new. */
  async insertMany(entries: SyncLogEntry[]): Promise<number> {
    if (entries.length === 0) return 0;
    const docs = entries.map((entry) => {
      const { logId, ...rest } = entry;
      return { _id: logId, ...rest, keys: recordKeysOf(entry) };
    });
    const existing = await insertNew(this.model.collection, docs);
    // Marked once per connection and process: later batches of the same connection write nothing more.
    const unmarked = [...new Set(entries.map((e) => `${e.tenantId}:${e.connectionId}`))].filter((id) => !this.marked.has(id));
    await Promise.all(unmarked.map((id) => this.logged.updateOne({ _id: id }, { $set: { at: new Date() } }, { upsert: true })));
    for (const id of unmarked) this.marked.add(id);
    return docs.length - existing.length;
  }

  /** Newest first, filtered, with an opaque cursor for the next page. */
  async query(tenantId: string, connectionId: string, filter: SyncLogFilter, limit: number, cursor?: string): Promise<SyncLogPage> {
    const query: FilterQuery<SyncLogDocument> = { tenantId, connectionId };
    if (filter.direction) query.direction = filter.direction;
    if (filter.objectType) query.objectType = filter.objectType;
    if (filter.operation) query.operation = filter.operation;
    if (filter.status) query.status = filter.status;
    if (filter.reason) query.reason = filter.reason;
    if (filter.records?.length) query.keys = { $all: filter.records.map(recordKeyString) };
    if (filter.from || filter.to) query.occurredAt = { ...(filter.from ? { $gte: filter.from } : {}), ...(filter.to ? { $lt: filter.to } : {}) };
    const after = cursor ? decodeCursor(cursor) : null;
    if (after) {
      query.$or = [{ occurredAt: { $lt: after.at } }, { occurredAt: after.at, _id: { $lt: after.id } }];
    }
    const found = await this.model.find(query).sort({ occurredAt: -1, _id: -1 }).limit(limit + 1).lean<SyncLogDocument[]>();
    const page = found.slice(0, limit);
    const last = page[page.length - 1];
    return { entries: page.map(toEntry), nextCursor: found.length > limit && last ? encodeCursor(last.occurredAt, last._id) : null };
  }

  /** Everything that happened to one record, in both directions, oldest first. */
  async timeline(tenantId: string, connectionId: string, record: RecordKey, limit = 500): Promise<SyncLogEntry[]> {
    const found = await this.model.find({ tenantId, connectionId, keys: recordKeyString(record) }).sort({ occurredAt: 1, _id: 1 }).limit(limit).lean<SyncLogDocument[]>();
    return found.map(toEntry);
  }

  /** Retention, across tenants: removes entries older than the cutoff. */
  /** Whether the tenant has had entries of the connection (its logs outlive a disconnected connection). */
  async hasAny(tenantId: string, connectionId: string): Promise<boolean> {
    return (await this.logged.findOne({ _id: `${tenantId}:${connectionId}` }, { _id: 1 }).lean()) !== null;
  }

  async deleteOlderThan(cutoff: Date): Promise<number> {
    const result = await this.model.deleteMany({ occurredAt: { $lt: cutoff } });
    return result.deletedCount;
  }
}

function toEntry(document: SyncLogDocument): SyncLogEntry {
  const { _id, keys: _keys, ...rest } = document;
  return { logId: _id, ...rest } as SyncLogEntry;
}

/**
 * A page position: `<ms>.<base64url of the entry id>`. Any string of that shape is a position (entries older than
 * the time, or as old with a smaller id), so the document can say exactly which cursors are accepted.
 */
export const CURSOR_PATTERN = '^[0-9]{1,15}\\.[A-Za-z0-9_-]{2,172}$';

function encodeCursor(at: Date, id: string): string {
  return `${at.getTime()}.${Buffer.from(id).toString('base64url')}`;
}

export class InvalidCursor extends Error {}

function decodeCursor(cursor: string): { at: Date; id: string } {
  if (!new RegExp(CURSOR_PATTERN).test(cursor)) throw new InvalidCursor('invalid cursor');
  const [ms, id] = cursor.split('.');
  return { at: new Date(Number(ms)), id: Buffer.from(id, 'base64url').toString('utf8') };
}
