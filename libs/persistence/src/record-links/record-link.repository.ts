import { CombinedCommands } from '@connector/domain';
import type { Connection as MongoConnection, Model, mongo } from 'mongoose';
import { READ_CONCURRENCY, inParallel } from '../in-parallel';
import { bulkWriteFailures } from '../bulk-write-failures';
import { insertNew } from '../insert-new';
import { byConnection, ofConnections, type ConnectionRef } from '../of-connections';
import { RecordLink, RecordLinkInput, normalizeJournyKey } from './record-link.entity';
import { recordLinkSchema, recordLinkStateSchema } from './record-link.schema';

/**
 * The stored form: compact, because an import writes one per record (millions) and a document's size is what
 * an insert costs. Field values are JSON text (one field instead of one per Salesforce field); absent optional
 * fields read as their defaults.
 *
 * What changes after a link is made (values read and written, deleted) goes to a state document of the same
 * _id: links are written once per imported record (millions, inserts only), states only for records that
 * change later. What journy-events writes is merged into `writtenSince` field by field (one upsert, no read);
 * a full `lastWritten` replaces both.
 */
interface RecordLinkStateDocument {
  _id: string;
  tenantId: string;
  journyId?: string | null;
  lastRead?: string;
  lastReadAt?: Date | null;
  lastWritten?: string;
  lastWrittenAt?: Date | null;
  writtenSince?: Record<string, unknown>;
  deleted?: boolean;
  updatedAt: Date;
}

interface RecordLinkDocument extends RecordLinkStateDocument {
  connectionId: string;
  kind: RecordLink['kind'];
  salesforceId: string;
  journyKey: string;
}

/** What journy-events wrote to a record; `linked` when it matched the record through its stored link. */
export type WrittenRecord = RecordLinkInput & { lastWritten: Record<string, unknown>; linked?: boolean };

/** A link as a writer matching many records needs it: which journy key is which Salesforce record. */
export interface LinkKeys {
  kind: RecordLink['kind'];
  journyKey: string;
  salesforceId: string;
}

const toKeys = (d: LinkKeys): LinkKeys => ({ kind: d.kind, journyKey: d.journyKey, salesforceId: d.salesforceId });

const OBJECT_OF: Record<RecordLink['kind'], RecordLink['salesforceObject']> = { USER: 'Contact', ACCOUNT: 'Account' };

/**
 * Written values of many records are merged by `update` commands of several statements: one round trip and one
 * command's overhead per batch instead of per record. FerretDB 1.24 keeps one of a database's 100 SQLite
 * connections per statement open until its command ends, and deadlocks that database when they run out (8
 * commands of 16 at once beside 120 single reads and updates did; 6 of 8 did not): so a command carries at most
 * UPDATES_PER_COMMAND statements, and the repository (one per process) sends one such command at a time. The
 * statements of every caller share the commands (`CombinedCommands`): the many small runs of one flush fill
 * commands together, and a big batch takes turns with them.
 */
export const UPDATES_PER_COMMAND = 8;

/**
 * Links of a connection. Every method takes the tenant and the connection, and both are part of a link's _id:
 * reads and writes go by _id, which MongoDB and FerretDB both serve from the primary key.
 */
export class RecordLinksRepository {
  private readonly model: Model<RecordLinkDocument>;
  private readonly states: Model<RecordLinkStateDocument>;
  private readonly stateMerges: CombinedCommands<mongo.AnyBulkWriteOperation<RecordLinkStateDocument>>;

  constructor(connection: MongoConnection) {
    this.model = (connection.models.RecordLink as Model<RecordLinkDocument> | undefined) ?? connection.model<RecordLinkDocument>('RecordLink', recordLinkSchema);
    this.states = (connection.models.RecordLinkState as Model<RecordLinkStateDocument> | undefined) ?? connection.model<RecordLinkStateDocument>('RecordLinkState', recordLinkStateSchema);
    this.stateMerges = new CombinedCommands((merges) => bulkWriteFailures(() => this.stateWrites().bulkWrite(merges, { ordered: false })), UPDATES_PER_COMMAND);
  }

  async ensureIndexes(): Promise<void> {
    await this.model.createCollection().catch(() => undefined);
    await this.model.createIndexes();
    await this.states.createCollection().catch(() => undefined);
    await this.states.createIndexes();
  }

  /**
   * Creates or refreshes links (idempotent: replaying an import leaves the same state). New links are inserted in
   * one batch; existing ones are updated one by one, keeping what this call does not set (journy id, last
   * written values).
   */
  async upsertMany(tenantId: string, connectionId: string, links: RecordLinkInput[], at = new Date()): Promise<void> {
    if (links.length === 0) return;
    const unique = [...new Map(links.map((link) => [link.salesforceId, link])).values()];
    const docs = unique.map((link) => ({ _id: linkId(tenantId, connectionId, link.salesforceId), ...this.changes(tenantId, connectionId, link, at) }) as RecordLinkDocument);
    const existing = new Set(await insertNew(this.model.collection, docs));
    if (existing.size === 0) return;
    const again = unique.filter((link) => existing.has(linkId(tenantId, connectionId, link.salesforceId)));
    const stored = new Map((await this.findBySalesforceIds(tenantId, connectionId, again.map((l) => l.salesforceId))).map((l) => [l.salesforceId, l]));
    await inParallel(again, READ_CONCURRENCY, async (link) => {
      const id = linkId(tenantId, connectionId, link.salesforceId);
      const key = normalizeJournyKey(link.kind, link.journyKey);
      if (stored.get(link.salesforceId)?.journyKey !== key) await this.model.updateOne({ _id: id }, { $set: { journyKey: key, updatedAt: at } });
      const state: Partial<RecordLinkStateDocument> = { deleted: false };
      if (link.journyId !== undefined) state.journyId = link.journyId;
      if (link.lastRead !== undefined) Object.assign(state, { lastRead: JSON.stringify(link.lastRead), lastReadAt: at });
      if (link.lastWritten !== undefined) Object.assign(state, { lastWritten: JSON.stringify(link.lastWritten), lastWrittenAt: at });
      await this.writeState(tenantId, id, state, at);
    });
  }

  async findBySalesforceIds(tenantId: string, connectionId: string, ids: string[]): Promise<RecordLink[]> {
    if (ids.length === 0) return [];
    const found = await inParallel([...new Set(ids)], READ_CONCURRENCY, async (id) => {
      const [link, state] = await Promise.all([
        this.model.findOne({ _id: linkId(tenantId, connectionId, id) }).lean<RecordLinkDocument>(),
        this.states.findOne({ _id: linkId(tenantId, connectionId, id) }).lean<RecordLinkStateDocument>(),
      ]);
      return link && link.tenantId === tenantId ? toLink(link, state) : null;
    });
    return found.filter((l): l is RecordLink => l !== null);
  }

  /** By email (users) or external id (accounts); several links for one key mean an ambiguous match. */
  async findByJournyKeys(tenantId: string, connectionId: string, kind: RecordLink['kind'], keys: string[]): Promise<RecordLink[]> {
    if (keys.length === 0) return [];
    const normalized = keys.map((k) => normalizeJournyKey(kind, k));
    const found = await this.model.find({ tenantId, connectionId, kind, journyKey: { $in: normalized } }).lean<RecordLinkDocument[]>();
    const links = await this.findBySalesforceIds(tenantId, connectionId, found.map((d) => d.salesforceId)); // with their state
    return links.filter((l) => !l.deleted);
  }

  /**
   * Every link of a connection as key → Salesforce id (one read of the collection), for writers that match many
   * records at once; null when the connection has more than `limit` links (then match record by record).
   */
  async keysOf(tenantId: string, connectionId: string, limit: number): Promise<LinkKeys[] | null> {
    const docs = await this.model.find({ tenantId, connectionId }, { kind: 1, journyKey: 1, salesforceId: 1 }).limit(limit + 1).lean<Pick<RecordLinkDocument, 'kind' | 'journyKey' | 'salesforceId'>[]>();
    if (docs.length > limit) return null;
    return docs.map(toKeys);
  }

  /** `keysOf` for several connections in one read, by connection; null when they hold more than `limit` together. */
  async keysOfMany(connections: ConnectionRef[], limit: number): Promise<Map<string, LinkKeys[]> | null> {
    const docs = await this.model.find(ofConnections(connections), { tenantId: 1, connectionId: 1, kind: 1, journyKey: 1, salesforceId: 1 }).limit(limit + 1)
      .lean<Pick<RecordLinkDocument, 'tenantId' | 'connectionId' | 'kind' | 'journyKey' | 'salesforceId'>[]>();
    if (docs.length > limit) return null;
    return byConnection(connections, docs, toKeys);
  }

  /** Remembers what was written to Salesforce (merged field by field), for no-op and echo detection. */
  async recordWritten(tenantId: string, connectionId: string, salesforceId: string, values: Record<string, unknown>, at = new Date()): Promise<void> {
    const id = linkId(tenantId, connectionId, salesforceId);
    if (!(await this.model.exists({ _id: id, tenantId }))) return;
    await this.patchWritten(tenantId, id, values, at);
  }

  /**
   * Remembers values read from Salesforce and sent to journy (merged field by field into the link as the caller
   * read it: only the connection's owner writes them), for change detection.
   */
  async recordRead(link: RecordLink, values: Record<string, unknown>, journyKey?: string, forgetWritten: string[] = [], at = new Date()): Promise<void> {
    const id = linkId(link.tenantId, link.connectionId, link.salesforceId);
    if (journyKey !== undefined && normalizeJournyKey(link.kind, journyKey) !== link.journyKey) {
      await this.model.updateOne({ _id: id }, { $set: { journyKey: normalizeJournyKey(link.kind, journyKey), updatedAt: at } }); // rare: an email or account id changed
    }
    const state: Partial<RecordLinkStateDocument> = { lastRead: JSON.stringify({ ...link.lastRead, ...values }), lastReadAt: at };
    // Values Salesforce has moved away from (someone else changed them since) are no longer this connector's echo.
    const stale = forgetWritten.filter((field) => field in link.lastWritten);
    if (stale.length > 0) state.lastWritten = JSON.stringify(Object.fromEntries(Object.entries(link.lastWritten).filter(([field]) => !stale.includes(field))));
    await this.writeState(link.tenantId, id, state, at);
  }

  /**
   * Remembers what journy-events wrote to each record (merged field by field), creating the link of a record it
   * wrote but that was never imported: live capture and re-reads then recognise those values as its echo.
   * Nothing is read: the links of records not known to be linked are inserted together (the duplicates are the
   * links that exist), and every linked record gets one upsert of its written fields. A failed insert costs
   * FerretDB about as much as the upsert, so `linked` (the caller matched the record through its link) skips it.
   */
  async recordWrittenMany(tenantId: string, connectionId: string, writes: WrittenRecord[], at = new Date()): Promise<void> {
    if (writes.length === 0) return;
    const merged = new Map<string, WrittenRecord>();
    for (const write of writes) {
      const earlier = merged.get(write.salesforceId);
      merged.set(write.salesforceId, { ...write, linked: write.linked || earlier?.linked, lastWritten: { ...earlier?.lastWritten, ...write.lastWritten } });
    }
    const unique = [...merged.values()];
    const unknown = unique.filter((write) => !write.linked);
    const existing = new Set(await insertNew(this.model.collection, unknown.map((write) => ({ _id: linkId(tenantId, connectionId, write.salesforceId), ...this.changes(tenantId, connectionId, write, at) }) as RecordLinkDocument)));
    const linked = unique.filter((write) => write.linked || existing.has(linkId(tenantId, connectionId, write.salesforceId)));
    await this.stateMerges.write(linked.map((write) => this.writtenMerge(tenantId, linkId(tenantId, connectionId, write.salesforceId), write.lastWritten, at)));
  }

  async markDeleted(tenantId: string, connectionId: string, salesforceId: string, deleted: boolean, at = new Date()): Promise<void> {
    await this.writeState(tenantId, linkId(tenantId, connectionId, salesforceId), { deleted }, at);
  }

  /** Sets fields of the link's state (one upsert); a full `lastWritten` replaces the values merged since. */
  private async writeState(tenantId: string, id: string, fields: Partial<RecordLinkStateDocument>, at: Date): Promise<void> {
    const replacesWritten = fields.lastWritten !== undefined;
    await this.stateWrites().updateOne(
      { _id: id },
      { $set: { ...fields, updatedAt: at }, $setOnInsert: { tenantId }, ...(replacesWritten ? { $unset: { writtenSince: '' } } : {}) },
      { upsert: true },
    );
  }

  /** Merges written values into the link's state field by field (dotted paths: Salesforce API names only). */
  private async patchWritten(tenantId: string, id: string, values: Record<string, unknown>, at: Date): Promise<void> {
    await this.stateWrites().bulkWrite([this.writtenMerge(tenantId, id, values, at)]);
  }

  /** The upsert that merges written values into a link's state. */
  private writtenMerge(tenantId: string, id: string, values: Record<string, unknown>, at: Date): mongo.AnyBulkWriteOperation<RecordLinkStateDocument> {
    const set: Record<string, unknown> = { lastWrittenAt: at, updatedAt: at };
    for (const [field, value] of Object.entries(writtenFields(values))) set[`writtenSince.${field}`] = value;
    return { updateOne: { filter: { _id: id }, update: { $set: set, $setOnInsert: { tenantId } }, upsert: true } };
  }

  private stateWrites(): mongo.Collection<RecordLinkStateDocument> {
    return this.states.collection as unknown as mongo.Collection<RecordLinkStateDocument>;
  }

  /** What a write of this input sets: only the fields it carries (absent ones stay as stored, or default). */
  private changes(tenantId: string, connectionId: string, link: RecordLinkInput, at: Date): Partial<RecordLinkDocument> {
    const set: Partial<RecordLinkDocument> = { tenantId, connectionId, kind: link.kind, salesforceId: link.salesforceId, journyKey: normalizeJournyKey(link.kind, link.journyKey), updatedAt: at };
    if (link.journyId !== undefined) set.journyId = link.journyId;
    if (link.lastRead !== undefined) Object.assign(set, { lastRead: JSON.stringify(link.lastRead), lastReadAt: at });
    if (link.lastWritten !== undefined) Object.assign(set, { lastWritten: JSON.stringify(link.lastWritten), lastWrittenAt: at });
    return set;
  }
}

function linkId(tenantId: string, connectionId: string, salesforceId: string): string {
  return `${tenantId}:${connectionId}:${salesforceId}`;
}

/** Written values by Salesforce API name, which a dotted path can carry (no dots, no `$`); any other name is refused. */
function writtenFields(values: Record<string, unknown>): Record<string, unknown> {
  for (const field of Object.keys(values)) {
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(field)) throw new Error(`not a Salesforce field name: ${JSON.stringify(field)}`);
  }
  return values;
}

function parse(json: string | Record<string, unknown> | undefined): Record<string, unknown> {
  if (!json) return {};
  return typeof json === 'string' ? (JSON.parse(json) as Record<string, unknown>) : json; // objects: links stored before the compact form
}

function toLink(base: RecordLinkDocument, state: RecordLinkStateDocument | null = null): RecordLink {
  const document = { ...base, ...(state ? withoutUndefined({ ...state, _id: base._id, tenantId: base.tenantId }) : {}) } as RecordLinkDocument;
  return {
    tenantId: document.tenantId,
    connectionId: document.connectionId,
    kind: document.kind,
    salesforceObject: OBJECT_OF[document.kind],
    salesforceId: document.salesforceId,
    journyId: document.journyId ?? null,
    journyKey: document.journyKey,
    lastRead: parse(document.lastRead),
    lastReadAt: document.lastReadAt ?? null,
    lastWritten: { ...parse(document.lastWritten), ...(state?.writtenSince ?? {}) },
    lastWrittenAt: document.lastWrittenAt ?? null,
    deleted: document.deleted ?? false,
    updatedAt: document.updatedAt,
  };
}


function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
