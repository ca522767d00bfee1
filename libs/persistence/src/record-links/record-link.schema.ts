import { Schema } from 'mongoose';

export const RECORD_LINKS_COLLECTION = 'record_links';

export const recordLinkSchema = new Schema(
  {
    _id: { type: String, required: true }, // <tenantId>:<connectionId>:<salesforceId>
    tenantId: { type: String, required: true },
    connectionId: { type: String, required: true },
    kind: { type: String, required: true },
    salesforceId: { type: String, required: true },
    journyId: { type: String },
    journyKey: { type: String, required: true },
    lastWritten: { type: String }, // JSON of Salesforce field → value
    lastWrittenAt: { type: Date },
    lastRead: { type: String }, // JSON of Salesforce field → value
    lastReadAt: { type: Date },
    deleted: { type: Boolean },
    updatedAt: { type: Date, required: true },
  },
  { collection: RECORD_LINKS_COLLECTION, versionKey: false },
);

// journy → Salesforce: find the Salesforce record of a user (email) or account (external id) without a lookup.
recordLinkSchema.index({ tenantId: 1, connectionId: 1, kind: 1, journyKey: 1 }, { name: 'connection_kind_key' });
// journy → Salesforce by journy id (events that carry the userId / accountId).
recordLinkSchema.index({ tenantId: 1, connectionId: 1, kind: 1, journyId: 1 }, { name: 'connection_kind_journy_id' });

/** What changed after the link was made; see RecordLinksRepository. The _id is the link's. */
export const recordLinkStateSchema = new Schema(
  {
    _id: { type: String, required: true },
    tenantId: { type: String, required: true },
    journyId: { type: String },
    lastWritten: { type: String },
    lastWrittenAt: { type: Date },
    writtenSince: { type: Schema.Types.Mixed }, // Salesforce field → value written since lastWritten
    lastRead: { type: String },
    lastReadAt: { type: Date },
    deleted: { type: Boolean },
    updatedAt: { type: Date, required: true },
  },
  { collection: 'record_link_states', versionKey: false },
);
