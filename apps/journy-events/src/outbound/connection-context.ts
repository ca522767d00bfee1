import type { SalesforceFieldMeta } from '@connector/mapping';
import type { DescribeCache } from '@connector/org-access';
import type { Connection } from '@connector/persistence';
import { resolveMappings, type SyncRules } from '../model/plan';

/** What one connection writes, resolved against its org's describe metadata. */
export interface ConnectionContext {
  users: SyncRules;
  accounts: SyncRules;
  accountExternalIdField: string | null;
  createContacts: boolean;
  createAccounts: boolean;
  /** Contact fields by lower-cased name (LastName is required on create). */
  contactFields: ReadonlyMap<string, SalesforceFieldMeta>;
}

const DESCRIBE_TTL_MS = 10 * 60_000;

/** Each connection's settings resolved against its org's fields: again on a new revision, and every ten minutes. */
export class ConnectionContexts {
  private readonly cache = new Map<string, { revision: number; at: number; context: ConnectionContext }>();

  constructor(private readonly describes: DescribeCache) {}

  async of(connection: Connection, onCall?: () => void): Promise<ConnectionContext> {
    const cached = this.cache.get(connection.id);
    if (cached && cached.revision === connection.revision && Date.now() - cached.at < DESCRIBE_TTL_MS) return cached.context;
    // New settings may name a field created since the last read: read the org again for them.
    const refresh = cached !== undefined && cached.revision !== connection.revision;
    const contactFields = await this.describes.fields(connection, 'Contact', { onCall, refresh });
    const accountFields = await this.describes.fields(connection, 'Account', { onCall, refresh });
    const { destination } = connection.settings;
    const context: ConnectionContext = {
      users: { connectionId: connection.id, kind: 'USER', mappings: resolveMappings('Contact', destination.contactMappings, contactFields), segments: destination.userSegments },
      accounts: { connectionId: connection.id, kind: 'ACCOUNT', mappings: resolveMappings('Account', destination.accountMappings, accountFields), segments: destination.accountSegments },
      accountExternalIdField: connection.settings.accountExternalIdField ? (accountFields.get(connection.settings.accountExternalIdField.toLowerCase())?.name ?? null) : null,
      createContacts: destination.createContacts,
      createAccounts: destination.createAccounts,
      contactFields,
    };
    this.cache.set(connection.id, { revision: connection.revision, at: Date.now(), context });
    return context;
  }

  /** Resolves the connection again from fresh describe metadata (the org refused a field it listed). */
  forget(connectionId: string): void {
    this.cache.delete(connectionId);
    this.describes.forget(connectionId);
  }
}
