import { Schema } from 'mongoose';

export const OAUTH_STATES_COLLECTION = 'oauth_states';

const secret = new Schema({ keyId: String, iv: String, tag: String, ciphertext: String }, { _id: false });

export const oauthStateSchema = new Schema(
  {
    _id: { type: String, required: true }, // the nonce
    tenantId: { type: String, required: true },
    loginUrl: { type: String, required: true },
    environment: { type: String, required: true, enum: ['production', 'sandbox', 'custom'] },
    codeVerifier: { type: secret, required: true },
    returnUrl: { type: String, default: null },
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
  },
  { collection: OAUTH_STATES_COLLECTION, versionKey: false },
);

// The sweep of expired states (no TTL index: the test store lacks them).
oauthStateSchema.index({ expiresAt: 1 }, { name: 'expires_at' });
