import { randomBytes } from 'node:crypto';
import type { Connection as MongoConnection, Model } from 'mongoose';
import { DuplicateError, RevisionConflictError, isDuplicateKeyError } from '../errors';
import { Connection, ConnectionPatch, NewConnection, defaultSettings } from './connection.entity';
import { connectionSchema } from './connection.schema';

interface ConnectionDocument extends Omit<Connection, 'id'> {
  _id: string;
}

export function newConnectionId(): string {
  return `con_${randomBytes(12).toString('hex')}`;
}

/** Connections of a tenant. Every method takes the tenant: one tenant never reads or changes another's. */
export class ConnectionsRepository {
  private readonly model: Model<ConnectionDocument>;

  constructor(connection: MongoConnection) {
    this.model = (connection.models.Connection as Model<ConnectionDocument> | undefined) ?? connection.model<ConnectionDocument>('Connection', connectionSchema);
  }

  async ensureIndexes(): Promise<void> {
    await this.model.createCollection().catch(() => undefined);
    await this.model.createIndexes();
  }

  /** `id` may be chosen beforehand (e.g. to bind encrypted credentials to it); by default a new one. */
  async create(tenantId: string, input: NewConnection, id: string = newConnectionId()): Promise<Connection> {
    const now = new Date();
    try {
      const created = await this.model.create({
        _id: id,
        tenantId,
        name: input.name,
        enabled: input.enabled ?? true,
        status: 'CONNECTED',
        statusReason: null,
        org: input.org,
        credentials: input.credentials,
        settings: input.settings ?? defaultSettings(),
        revision: 1,
        createdAt: now,
        updatedAt: now,
      });
      return toConnection(created.toObject() as ConnectionDocument);
    } catch (error) {
      if (isDuplicateKeyError(error)) {
        throw new DuplicateError(`Salesforce org ${input.org.orgId} is already connected in this project`, { cause: error });
      }
      throw error;
    }
  }

  /** Read by `_id` alone (the one filter FerretDB answers from its primary key) and kept only when the tenant's. */
  async findById(tenantId: string, id: string): Promise<Connection | null> {
    const found = await this.model.findOne({ _id: id }).lean<ConnectionDocument>();
    return found && found.tenantId === tenantId ? toConnection(found) : null;
  }

  async findByOrg(tenantId: string, orgId: string): Promise<Connection | null> {
    const found = await this.model.findOne({ tenantId, 'org.orgId': orgId }).lean<ConnectionDocument>();
    return found ? toConnection(found) : null;
  }

  async list(tenantId: string): Promise<Connection[]> {
    const found = await this.model.find({ tenantId }).sort({ createdAt: -1 }).lean<ConnectionDocument[]>();
    return found.map(toConnection);
  }

  /**
   * The enabled connections of several tenants (newest first), read together: one query per TENANTS_PER_READ
   * tenants instead of one per tenant. Every tenant asked for is in the result, with none when it has none.
   */
  async listEnabledOf(tenantIds: string[]): Promise<Map<string, Connection[]>> {
    const unique = [...new Set(tenantIds)];
    const result = new Map(unique.map((tenantId) => [tenantId, [] as Connection[]]));
    for (let start = 0; start < unique.length; start += TENANTS_PER_READ) {
      const found = await this.model.find({ tenantId: { $in: unique.slice(start, start + TENANTS_PER_READ) }, enabled: true }).sort({ createdAt: -1 }).lean<ConnectionDocument[]>();
      for (const document of found) result.get(document.tenantId)?.push(toConnection(document));
    }
    return result;
  }

  /**
   * Every tenant's connection ids with their revision, for the background workers that divide connections between
   * instances (the ingest app's owners): a worker whose connection's revision moved reads it again, through the
   * tenant-scoped methods.
   */
  async listAllIds(): Promise<{ id: string; tenantId: string; revision: number }[]> {
    const found = await this.model.find({}, { _id: 1, tenantId: 1, revision: 1 }).lean<{ _id: string; tenantId: string; revision: number }[]>();
    return found.map((c) => ({ id: c._id, tenantId: c.tenantId, revision: c.revision }));
  }

  /**
   * Applies a patch and bumps the revision. With `expectedRevision`, refuses when someone else changed the
   * connection in between (RevisionConflictError). Null when the tenant has no such connection.
   */
  async update(tenantId: string, id: string, patch: ConnectionPatch, expectedRevision?: number): Promise<Connection | null> {
    const filter: Record<string, unknown> = { _id: id, tenantId };
    if (expectedRevision !== undefined) filter.revision = expectedRevision;
    const set: Record<string, unknown> = { updatedAt: new Date() };
    for (const [key, value] of Object.entries(patch)) {
      if (value !== undefined) set[key] = value;
    }
    try {
      const updated = await this.model
        .findOneAndUpdate(filter, { $set: set, $inc: { revision: 1 } }, { new: true, timestamps: false })
        .lean<ConnectionDocument>();
      if (updated) return toConnection(updated);
    } catch (error) {
      if (isDuplicateKeyError(error)) throw new DuplicateError('another connection of this project holds that Salesforce org', { cause: error });
      throw error;
    }
    if (expectedRevision !== undefined && (await this.model.exists({ _id: id, tenantId }))) {
      throw new RevisionConflictError(`connection ${id} changed since revision ${expectedRevision}`);
    }
    return null;
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    const result = await this.model.deleteOne({ _id: id, tenantId });
    return result.deletedCount === 1;
  }
}

/** Tenants one `listEnabledOf` query asks for. */
const TENANTS_PER_READ = 500;

function toConnection(document: ConnectionDocument): Connection {
  const { _id, ...rest } = document;
  return { id: _id, ...rest };
}
