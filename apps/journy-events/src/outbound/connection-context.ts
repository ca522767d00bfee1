import { fieldMetaFromDescribe, type SalesforceFieldMeta } from '@connector/mapping';
import type { Connection } from '@connector/persistence';
import type { SalesforceRestClient } from '@connector/salesforce';
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

/** Describe metadata per connection, read once per revision of its settings (and every ten minutes). */
export class ConnectionContexts {
  private readonly cache = new Map<string, { revision: number; at: number; context: ConnectionContext }>();

  async of(connection: Connection, client: SalesforceRestClient, onCall?: () => void): Promise<ConnectionContext> {
    const cached = this.cache.get(connection.id);
    if (cached && cached.revision === connection.revision && Date.now() - cached.at < DESCRIBE_TTL_MS) return cached.context;
    const describe = async (object: string) => {
      onCall?.();
      const body = await client.describe(object);
      return new Map((body.fields as Record<string, unknown>[]).map((f) => fieldMetaFromDescribe(f)).map((f) => [f.name.toLowerCase(), f] as const));
    };
    const [contactFields, accountFields] = [await describe('Contact'), await describe('Account')];
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

  forget(connectionId: string): void {
    this.cache.delete(connectionId);
  }
}
