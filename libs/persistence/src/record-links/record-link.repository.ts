import type { Connection as MongoConnection, Model } from 'mongoose';
import { insertNew } from '../errors';
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

  /**
   * Creates or refreshes links (idempotent: replaying an import leaves the same state). New links are inserted in
   * one batch; existing ones keep what this call does not set (journy id, last written values). Few existing
   * links are updated one by one; many (a re-import) are replaced as a batch, merged in memory, because bulk
   * updates crawl on FerretDB.
   */
  async upsertMany(tenantId: string, connectionId: string, links: RecordLinkInput[], at = new Date()): Promise<void> {
    if (links.length === 0) return;
    const unique = [...new Map(links.map((link) => [link.salesforceId, link])).values()];
    const docs = unique.map((link) => this.newDocument(tenantId, connectionId, link, at));
    const existing = new Set(await insertNew(this.model.collection, docs));
    if (existing.size === 0) return;
    const again = unique.filter((link) => existing.has(`${connectionId}:${link.salesforceId}`));
    if (again.length <= 20) {
      for (const link of again) {
        await this.model.updateOne({ _id: `${connectionId}:${link.salesforceId}`, tenantId }, { $set: this.changes(tenantId, connectionId, link, at) });
      }
      return;
    }
    const stored = new Map((await this.model.find({ _id: { $in: [...existing] }, tenantId }).lean<RecordLinkDocument[]>()).map((d) => [d._id, d]));
    const merged = again.map((link) => ({ ...stored.get(`${connectionId}:${link.salesforceId}`), ...this.changes(tenantId, connectionId, link, at), _id: `${connectionId}:${link.salesforceId}` }));
    await this.model.deleteMany({ _id: { $in: merged.map((d) => d._id) }, tenantId });
    await insertNew(this.model.collection, merged);
  }

  private changes(tenantId: string, connectionId: string, link: RecordLinkInput, at: Date): Record<string, unknown> {
    const set: Record<string, unknown> = {
      tenantId, connectionId, kind: link.kind, salesforceObject: link.salesforceObject, salesforceId: link.salesforceId,
      journyKey: normalizeJournyKey(link.kind, link.journyKey), deleted: false, updatedAt: at,
    };
    if (link.journyId !== undefined) set.journyId = link.journyId;
    if (link.lastRead !== undefined) Object.assign(set, { lastRead: link.lastRead, lastReadAt: at });
    if (link.lastWritten !== undefined) Object.assign(set, { lastWritten: link.lastWritten, lastWrittenAt: at });
    return set;
  }

  private newDocument(tenantId: string, connectionId: string, link: RecordLinkInput, at: Date): RecordLinkDocument {
    // The _id embeds the connection, which belongs to one tenant.
    return {
      _id: `${connectionId}:${link.salesforceId}`, journyId: null, lastRead: {}, lastReadAt: null, lastWritten: {}, lastWrittenAt: null,
      ...(this.changes(tenantId, connectionId, link, at) as Omit<RecordLink, 'journyId' | 'lastRead' | 'lastReadAt' | 'lastWritten' | 'lastWrittenAt'>),
    };
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
