import { Schema } from 'mongoose';

export const RECORD_LINKS_COLLECTION = 'record_links';

export const recordLinkSchema = new Schema(
  {
    _id: { type: String, required: true }, // <connectionId>:<salesforceId>
    tenantId: { type: String, required: true },
    connectionId: { type: String, required: true },
    kind: { type: String, required: true },
    salesforceObject: { type: String, required: true },
    salesforceId: { type: String, required: true },
    journyId: { type: String, default: null },
    journyKey: { type: String, required: true },
    lastWritten: { type: Schema.Types.Mixed, default: {} },
    lastWrittenAt: { type: Date, default: null },
    lastRead: { type: Schema.Types.Mixed, default: {} },
    lastReadAt: { type: Date, default: null },
    deleted: { type: Boolean, default: false },
    updatedAt: { type: Date, required: true },
  },
  { collection: RECORD_LINKS_COLLECTION, versionKey: false, minimize: false },
);

// journy → Salesforce: find the Salesforce record of a user (email) or account (external id) without a lookup.
recordLinkSchema.index({ tenantId: 1, connectionId: 1, kind: 1, journyKey: 1 }, { name: 'connection_kind_key' });
// journy → Salesforce by journy id (events that carry the userId / accountId).
recordLinkSchema.index({ tenantId: 1, connectionId: 1, kind: 1, journyId: 1 }, { name: 'connection_kind_journy_id' });
