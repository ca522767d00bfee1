import type { Connection as MongoConnection, Model } from 'mongoose';
import type { OAuthState } from './oauth-state.entity';
import { oauthStateSchema } from './oauth-state.schema';

interface OAuthStateDocument extends Omit<OAuthState, 'nonce'> {
  _id: string;
}

/** Pending authorizations. The tenant comes from the signed state; consuming one is atomic and single-use. */
export class OAuthStatesRepository {
  private readonly model: Model<OAuthStateDocument>;

  constructor(connection: MongoConnection) {
    this.model = (connection.models.OAuthState as Model<OAuthStateDocument> | undefined) ?? connection.model<OAuthStateDocument>('OAuthState', oauthStateSchema);
  }

  async ensureIndexes(): Promise<void> {
    await this.model.createCollection().catch(() => undefined);
    await this.model.createIndexes();
  }

  async create(tenantId: string, state: Omit<OAuthState, 'tenantId'>): Promise<void> {
    const { nonce, ...rest } = state;
    await this.model.create({ _id: nonce, tenantId, ...rest });
  }

  /** Removes and returns the state when it exists, belongs to the tenant and has not expired; null otherwise. */
  async consume(tenantId: string, nonce: string, now = new Date()): Promise<OAuthState | null> {
    const found = await this.model.findOneAndDelete({ _id: nonce, tenantId }).lean<OAuthStateDocument>();
    if (!found || found.expiresAt.getTime() <= now.getTime()) return null;
    const { _id, ...rest } = found;
    return { nonce: _id, ...rest };
  }

  /** Deletes expired states; returns how many. Tenant-independent housekeeping. */
  async deleteExpired(now = new Date()): Promise<number> {
    const result = await this.model.deleteMany({ expiresAt: { $lte: now } });
    return result.deletedCount;
  }
}
