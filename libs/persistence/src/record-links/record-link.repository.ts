import type { Connection as MongoConnection, Model } from 'mongoose';
import { RecordLink, RecordLinkInput, normalizeJournyKey } from './record-link.entity';
import { recordLinkSchema } from './record-link.schema';

interface RecordLinkDocument extends RecordLink {
  _id: string;
}

/** Links of a connection. Every method takes the tenant and the connection. */
export class RecordLinksRepository {
  private readonly model: Model<RecordLinkDocument>;

  constructor(connection: MongoConnection) {
    this.model = (connection.models.RecordLink as Model<RecordLinkDocument> | undefined) ?? connection.model<RecordLinkDocument>('RecordLink', recordLinkSchema);
  }

  async ensureIndexes(): Promise<void> {
    await this.model.createCollection().catch(() => undefined);
    await this.model.createIndexes();
  }

  /** Creates or refreshes links in one bulk write (idempotent: replaying an import leaves the same state). */
  async upsertMany(tenantId: string, connectionId: string, links: RecordLinkInput[], at = new Date()): Promise<void> {
    if (links.length === 0) return;
    await this.model.bulkWrite(
      links.map((link) => {
        const set: Record<string, unknown> = {
          tenantId, connectionId, kind: link.kind, salesforceObject: link.salesforceObject, salesforceId: link.salesforceId,
          journyKey: normalizeJournyKey(link.kind, link.journyKey), deleted: false, updatedAt: at,
        };
        if (link.journyId !== undefined) set.journyId = link.journyId;
        if (link.lastRead !== undefined) Object.assign(set, { lastRead: link.lastRead, lastReadAt: at });
        if (link.lastWritten !== undefined) Object.assign(set, { lastWritten: link.lastWritten, lastWrittenAt: at });
        const onInsert: Record<string, unknown> = {};
        if (link.journyId === undefined) onInsert.journyId = null;
        if (link.lastRead === undefined) Object.assign(onInsert, { lastRead: {}, lastReadAt: null });
        if (link.lastWritten === undefined) Object.assign(onInsert, { lastWritten: {}, lastWrittenAt: null });
        // Filtered by _id alone: FerretDB turns an upsert whose filter also names another field into an insert
        // (duplicate key). The _id embeds the connection, which belongs to one tenant; tenantId is set with it.
        return { updateOne: { filter: { _id: `${connectionId}:${link.salesforceId}` }, update: { $set: set, $setOnInsert: onInsert }, upsert: true } };
      }),
      { ordered: false },
    );
  }

  async findBySalesforceIds(tenantId: string, connectionId: string, ids: string[]): Promise<RecordLink[]> {
    if (ids.length === 0) return [];
    return this.strip(await this.model.find({ _id: { $in: ids.map((id) => `${connectionId}:${id}`) }, tenantId }).lean<RecordLinkDocument[]>());
  }

  /** By email (users) or external id (accounts); several links for one key mean an ambiguous match. */
  async findByJournyKeys(tenantId: string, connectionId: string, kind: RecordLink['kind'], keys: string[]): Promise<RecordLink[]> {
    if (keys.length === 0) return [];
    const normalized = keys.map((k) => normalizeJournyKey(kind, k));
    return this.strip(await this.model.find({ tenantId, connectionId, kind, journyKey: { $in: normalized }, deleted: false }).lean<RecordLinkDocument[]>());
  }

  /** Remembers what was written to Salesforce (merged field by field), for no-op and echo detection. */
  async recordWritten(tenantId: string, connectionId: string, salesforceId: string, values: Record<string, unknown>, at = new Date()): Promise<void> {
    const set: Record<string, unknown> = { lastWrittenAt: at, updatedAt: at };
    for (const [field, value] of Object.entries(values)) set[`lastWritten.${field}`] = value;
    await this.model.updateOne({ _id: `${connectionId}:${salesforceId}`, tenantId }, { $set: set });
  }

  /** Remembers values read from Salesforce and sent to journy (merged field by field), for change detection. */
  async recordRead(tenantId: string, connectionId: string, salesforceId: string, values: Record<string, unknown>, journyKey?: string, at = new Date()): Promise<void> {
    const set: Record<string, unknown> = { lastReadAt: at, updatedAt: at };
    for (const [field, value] of Object.entries(values)) set[`lastRead.${field}`] = value;
    if (journyKey !== undefined) set.journyKey = journyKey;
    await this.model.updateOne({ _id: `${connectionId}:${salesforceId}`, tenantId }, { $set: set });
  }

  async markDeleted(tenantId: string, connectionId: string, salesforceId: string, deleted: boolean, at = new Date()): Promise<void> {
    await this.model.updateOne({ _id: `${connectionId}:${salesforceId}`, tenantId }, { $set: { deleted, updatedAt: at } });
  }

  /** Plain objects, with absent optional values as null (stores differ in keeping a null set on insert). */
  private strip(documents: RecordLinkDocument[]): RecordLink[] {
    return documents.map(({ _id: _ignored, ...rest }) => ({
      ...rest,
      journyId: rest.journyId ?? null,
      lastRead: rest.lastRead ?? {},
      lastReadAt: rest.lastReadAt ?? null,
      lastWritten: rest.lastWritten ?? {},
      lastWrittenAt: rest.lastWrittenAt ?? null,
      deleted: rest.deleted ?? false,
    }));
  }
}
