/** The public API's answers as the console reads them; test/unit/console-contract.spec.ts checks them against the API's schemas. */

export interface Mapping {
  journyProperty: string;
  journyType: JournyType;
  salesforceField: string;
}

export type JournyType = 'string' | 'number' | 'boolean' | 'datetime' | 'string_array';
export const JOURNY_TYPES: JournyType[] = ['string', 'number', 'boolean', 'datetime', 'string_array'];

export interface ApiUsage {
  used: number;
  limit: number;
  remaining: number;
  paused: boolean;
  pausedUntil: string | null;
  pauseReason: string | null;
  observedAt: string;
}

export interface Connection {
  id: string;
  name: string;
  enabled: boolean;
  status: 'CONNECTED' | 'NEEDS_RECONNECT';
  statusReason: string | null;
  salesforce: { orgId: string; instanceUrl: string; environment: 'production' | 'sandbox' | 'custom'; username: string | null };
  settings: {
    accountExternalIdField: string | null;
    source: { ongoingImport: boolean; changeStream: 'pubsub' | 'cometd' | null };
    destination: {
      userSegments: string[];
      accountSegments: string[];
      createContacts: boolean;
      createAccounts: boolean;
      contactMappings: Mapping[];
      accountMappings: Mapping[];
      defaultContactMappings: Mapping[];
      defaultAccountMappings: Mapping[];
    };
  };
  revision: number;
  apiUsage?: ApiUsage | null;
  stream?: { source: 'pubsub' | 'cometd' | null; fallbackReason: string | null; lastCommitAt: string | null; updatedAt: string } | null;
  createdAt: string;
  updatedAt: string;
}

export interface SalesforceField {
  name: string;
  label: string;
  type: string;
  updateable: boolean;
  createable: boolean;
  externalId: boolean;
  unique: boolean;
  mappable: boolean;
  accepts: JournyType[];
  canServeAsAccountId?: boolean;
}

export interface ImportCounts {
  read: number;
  published: number;
  skipped: number;
  failed: number;
}

export type ImportObject = 'Account' | 'Contact' | 'AccountContactRelation';
export const IMPORT_OBJECTS: ImportObject[] = ['Account', 'Contact', 'AccountContactRelation'];

export interface ImportJob {
  id: string;
  connectionId: string;
  state: 'PENDING' | 'RUNNING' | 'CANCELLING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
  phase: 'ACCOUNTS' | 'CONTACTS' | 'RELATIONSHIPS' | 'DONE' | null;
  counts: Record<ImportObject, ImportCounts>;
  errors: { at: string; code: string; message: string }[];
  requestedBy: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export type Direction = 'SALESFORCE_TO_JOURNY' | 'JOURNY_TO_SALESFORCE';
export type LogStatus = 'SUCCEEDED' | 'SKIPPED' | 'FAILED' | 'RETRYING';
export type LogObject = 'USER' | 'ACCOUNT' | 'MEMBERSHIP' | 'OTHER';

export interface LogEntry {
  logId: string;
  occurredAt: string;
  direction: Direction;
  mode: 'INITIAL_IMPORT' | 'LIVE' | 'RESYNC';
  objectType: LogObject;
  operation: string;
  status: LogStatus;
  reason: string | null;
  message: string | null;
  error: { code: string; message: string; fields: string[] } | null;
  journy: { userId: string | null; email: string | null; accountId: string | null; domain: string | null };
  salesforce: { objectType: string | null; recordId: string | null };
  fields: { name: string; source: string | null; value: string | null }[];
  attempt: number;
  durationMs: number | null;
}

export interface LogPage {
  logs: LogEntry[];
  nextCursor: string | null;
}
