/**
 * The pairing of a journy user or account with its Salesforce record, per connection, with what was last
 * written to and read from Salesforce: later syncs find the counterpart without a lookup, and skip no-op
 * writes and echoes of the connector's own changes.
 */
export interface RecordLink {
  tenantId: string;
  connectionId: string;
  kind: 'USER' | 'ACCOUNT';
  salesforceObject: 'Contact' | 'Account';
  salesforceId: string;
  /** journy's id (userId / accountId) once known. */
  journyId: string | null;
  /** How the two sides match: the email (users) or the External ID field's value (accounts), lower-cased for email. */
  journyKey: string;
  /** Field values the connector last wrote to Salesforce (by Salesforce field). */
  lastWritten: Record<string, unknown>;
  lastWrittenAt: Date | null;
  /** Field values last read from Salesforce and sent to journy (by Salesforce field). */
  lastRead: Record<string, unknown>;
  lastReadAt: Date | null;
  /** The Salesforce record was deleted (the link is kept; journy records are never deleted). */
  deleted: boolean;
  updatedAt: Date;
}

export type RecordLinkInput = Pick<RecordLink, 'kind' | 'salesforceObject' | 'salesforceId' | 'journyKey'> & Partial<Pick<RecordLink, 'journyId' | 'lastRead' | 'lastWritten'>>;

export function normalizeJournyKey(kind: RecordLink['kind'], key: string): string {
  return kind === 'USER' ? key.trim().toLowerCase() : key.trim();
}
