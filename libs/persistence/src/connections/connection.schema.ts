import { Schema } from 'mongoose';

const secret = new Schema({ keyId: String, iv: String, tag: String, ciphertext: String }, { _id: false });
const mapping = new Schema({ journyProperty: String, journyType: String, salesforceField: String }, { _id: false });

export const CONNECTIONS_COLLECTION = 'connections';

export const connectionSchema = new Schema(
  {
    _id: { type: String, required: true },
    tenantId: { type: String, required: true },
    name: { type: String, required: true },
    enabled: { type: Boolean, required: true },
    status: { type: String, required: true, enum: ['CONNECTED', 'NEEDS_RECONNECT'] },
    statusReason: { type: String, default: null },
    org: {
      orgId: { type: String, required: true },
      instanceUrl: { type: String, required: true },
      loginUrl: { type: String, required: true },
      environment: { type: String, required: true, enum: ['production', 'sandbox', 'custom'] },
      integrationUserId: { type: String, required: true },
      username: { type: String, default: null },
    },
    credentials: {
      accessToken: { type: secret, required: true },
      refreshToken: { type: secret, default: null },
      issuedAt: { type: Date, required: true },
      scope: { type: String, default: null },
    },
    settings: {
      accountExternalIdField: { type: String, default: null },
      source: { ongoingImport: { type: Boolean, default: false }, changeStream: { type: String, enum: ['pubsub', 'cometd', null], default: null } },
      destination: {
        userSegments: { type: [String], default: [] },
        accountSegments: { type: [String], default: [] },
        createContacts: { type: Boolean, default: false },
        createAccounts: { type: Boolean, default: false },
        contactMappings: { type: [mapping], default: [] },
        accountMappings: { type: [mapping], default: [] },
      },
    },
    revision: { type: Number, required: true },
  },
  { collection: CONNECTIONS_COLLECTION, timestamps: true, versionKey: false, minimize: false },
);

// One connection per Salesforce org and tenant; the OAuth callback finds a reconnecting org by it.
connectionSchema.index({ tenantId: 1, 'org.orgId': 1 }, { unique: true, name: 'tenant_org_unique' });
// A tenant's connections, newest first (the settings API's list).
connectionSchema.index({ tenantId: 1, createdAt: -1 }, { name: 'tenant_created' });
