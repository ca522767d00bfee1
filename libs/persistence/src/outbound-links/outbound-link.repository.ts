import { Schema, type Connection as MongoConnection, type Model } from 'mongoose';
import { READ_CONCURRENCY, inParallel } from '../in-parallel';
import { insertNew } from '../insert-new';
import { byConnection, ofConnections, type ConnectionRef } from '../of-connections';

/**
 * journy → Salesforce: which Salesforce record a journy user or account is, per connection, found by the journy
 * side's key (the _id, so both stores answer from the primary key). Holds only what changes rarely: the
 * Salesforce id, the segments the entity is in, and (users) the account its contact is attached to. What
 * changes on every event (values last written, the entity's version) stays in the app's memory: losing it
 * costs a re-write, never a wrong skip.
 */
export interface OutboundLink {
  tenantId: string;
  connectionId: string;
  kind: 'USER' | 'ACCOUNT';
  /** userId / accountId when journy gave one, else email / domain: see `entityKey`. */
  entityKey: string;
  salesforceId: string | null;
  /** The entity's segment ids as last known; null: never told. */
  segments: string[] | null;
  /** Users: the journy account id whose Salesforce account the contact is attached to. */
  accountId: string | null;
  updatedAt: Date;
}

interface OutboundLinkDocument extends Omit<OutboundLink, 'tenantId' | 'connectionId' | 'kind' | 'entityKey'> {
  _id: string;
  tenantId: string;
  connectionId: string;
}

const outboundLinkSchema = new Schema(
  {
    _id: { type: String, required: true }, // <tenant>:<connection>:<USER|ACCOUNT>:<entityKey>
    tenantId: { type: String, required: true },
    connectionId: { type: String, required: true },
    salesforceId: { type: String, default: null },
    segments: { type: [String], default: null },
    accountId: { type: String, default: null },
    updatedAt: { type: Date, required: true },
  },
  { collection: 'outbound_links', versionKey: false },
);
// A connection's links read at once (journy-events' directory, once per connection and process): without it each
// read scans every connection's links, which grows with the fleet squared.
outboundLinkSchema.index({ tenantId: 1, connectionId: 1 }, { name: 'tenant_connection' });

export class OutboundLinksRepository {
  private readonly links: Model<OutboundLinkDocument>;

  constructor(connection: MongoConnection) {
    this.links = (connection.models.OutboundLink as Model<OutboundLinkDocument> | undefined) ?? connection.model<OutboundLinkDocument>('OutboundLink', outboundLinkSchema);
  }

  async ensureIndexes(): Promise<void> {
    await this.links.createCollection().catch(() => undefined);
    await this.links.createIndexes();
  }

  /** The stored links of these entities (by _id, a few at a time); absent ones are not in the map. */
  async find(tenantId: string, connectionId: string, kind: OutboundLink['kind'], entityKeys: string[]): Promise<Map<string, OutboundLink>> {
    const found = new Map<string, OutboundLink>();
    await inParallel([...new Set(entityKeys)], READ_CONCURRENCY, async (key) => {
      const doc = await this.links.findOne({ _id: outboundLinkId(tenantId, connectionId, kind, key) }).lean<OutboundLinkDocument>();
      if (doc && doc.tenantId === tenantId) found.set(key, toOutboundLink(doc, kind, key));
    });
    return found;
  }

  /** Every link of a connection (one read), or null when it has more than `limit`. */
  async listAll(tenantId: string, connectionId: string, limit: number): Promise<OutboundLink[] | null> {
    const docs = await this.links.find({ tenantId, connectionId }).limit(limit + 1).lean<OutboundLinkDocument[]>();
    if (docs.length > limit) return null;
    return docs.map(fromDocument);
  }

  /**
   * Every link of several connections in one read, by connection; null when they hold more than `limit` together
   * (then read them one by one).
   */
  async listAllOf(connections: ConnectionRef[], limit: number): Promise<Map<string, OutboundLink[]> | null> {
    const docs = await this.links.find(ofConnections(connections)).limit(limit + 1).lean<OutboundLinkDocument[]>();
    if (docs.length > limit) return null;
    return byConnection(connections, docs, fromDocument);
  }

  /** Stores links: new ones inserted together, changed ones updated side by side (rare: a new id, a segment move). */
  async save(links: OutboundLink[], at = new Date()): Promise<void> {
    if (links.length === 0) return;
    const docs = links.map((link) => ({
      _id: outboundLinkId(link.tenantId, link.connectionId, link.kind, link.entityKey),
      tenantId: link.tenantId, connectionId: link.connectionId, salesforceId: link.salesforceId, segments: link.segments, accountId: link.accountId, updatedAt: at,
    }));
    const existing = new Set(await insertNew(this.links.collection, docs));
    await inParallel(docs.filter((doc) => existing.has(doc._id)), READ_CONCURRENCY, async (doc) => {
      await this.links.updateOne({ _id: doc._id }, { $set: { salesforceId: doc.salesforceId, segments: doc.segments, accountId: doc.accountId, updatedAt: at } });
    });
  }
}

function fromDocument(doc: OutboundLinkDocument): OutboundLink {
  const [kind, ...key] = doc._id.slice(`${doc.tenantId}:${doc.connectionId}:`.length).split(':');
  return toOutboundLink(doc, kind as OutboundLink['kind'], key.join(':'));
}

function toOutboundLink(doc: OutboundLinkDocument, kind: OutboundLink['kind'], entityKey: string): OutboundLink {
  return { tenantId: doc.tenantId, connectionId: doc.connectionId, kind, entityKey, salesforceId: doc.salesforceId ?? null, segments: doc.segments ?? null, accountId: doc.accountId ?? null, updatedAt: doc.updatedAt };
}

export function outboundLinkId(tenantId: string, connectionId: string, kind: OutboundLink['kind'], entityKey: string): string {
  return `${tenantId}:${connectionId}:${kind}:${entityKey}`;
}
