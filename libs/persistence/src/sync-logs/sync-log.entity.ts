/** One stored record-level sync attempt (from connector.sync-log.v1), queryable by the log API. */
export interface SyncLogEntry {
  logId: string;
  tenantId: string;
  connectionId: string;
  occurredAt: Date;
  direction: 'SALESFORCE_TO_JOURNY' | 'JOURNY_TO_SALESFORCE';
  mode: 'INITIAL_IMPORT' | 'LIVE' | 'RESYNC';
  objectType: 'USER' | 'ACCOUNT' | 'MEMBERSHIP' | 'OTHER';
  operation: string;
  status: 'SUCCEEDED' | 'SKIPPED' | 'FAILED' | 'RETRYING';
  reason: string | null;
  message: string | null;
  error: { code: string; message: string; fields: string[] } | null;
  journy: { userId: string | null; email: string | null; accountId: string | null; domain: string | null };
  salesforce: { objectType: string | null; recordId: string | null };
  fields: { name: string; source: string | null; value: string | null }[];
  correlationId: string | null;
  attempt: number;
  durationMs: number | null;
}

/** How one record is named across both directions: any of these finds its whole timeline. */
export type RecordKey =
  | { kind: 'user'; value: string }
  | { kind: 'email'; value: string }
  | { kind: 'account'; value: string }
  | { kind: 'domain'; value: string }
  | { kind: 'sf'; value: string };

export function recordKeyString(key: RecordKey): string {
  const value = key.kind === 'email' || key.kind === 'domain' ? key.value.toLowerCase() : key.value;
  return `${key.kind}:${value}`;
}

export function recordKeysOf(entry: Pick<SyncLogEntry, 'journy' | 'salesforce'>): string[] {
  const keys: RecordKey[] = [];
  if (entry.journy.userId) keys.push({ kind: 'user', value: entry.journy.userId });
  if (entry.journy.email) keys.push({ kind: 'email', value: entry.journy.email });
  if (entry.journy.accountId) keys.push({ kind: 'account', value: entry.journy.accountId });
  if (entry.journy.domain) keys.push({ kind: 'domain', value: entry.journy.domain });
  if (entry.salesforce.recordId) keys.push({ kind: 'sf', value: entry.salesforce.recordId });
  return keys.map(recordKeyString);
}
