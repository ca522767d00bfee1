import type { Row } from './records';

/** Change Data Capture events as Salesforce delivers them (CometD and Pub/Sub alike), and how to read their header. */

/** The channel (CometD) and topic (Pub/Sub) of every entity selected for Change Data Capture. */
export const ALL_CHANGES_CHANNEL = '/data/ChangeEvents';

export interface ChangeEventHeader {
  entityName: string;
  recordIds: string[];
  changeType: string;
  changeOrigin: string;
  transactionKey: string;
  sequenceNumber: number;
  commitTimestamp: number;
  commitNumber: number;
  commitUser: string;
  changedFields?: string[];
  nulledFields?: string[];
  diffFields?: string[];
}

export interface ChangeEvent {
  channel: string;
  /** Opaque, in the delivering source's encoding (CometD: a decimal number; Pub/Sub: the bytes as base64). */
  replayId: string;
  /** Set when the event arrived but could not be read (a payload or bitmap that does not match its schema). */
  decodeError?: string;
  header: ChangeEventHeader;
  /** The record's fields in the event: all non-null ones on create, only changed ones on update (null: cleared). */
  fields: Record<string, unknown>;
}

/** What a change type asks of a subscriber: a record change, or a gap to re-read (GAP_* events name no values). */
export type ChangeKind = 'CREATE' | 'UPDATE' | 'DELETE' | 'UNDELETE' | 'GAP' | 'UNKNOWN';

export function changeKindOf(changeType: string): ChangeKind {
  if (changeType.startsWith('GAP_')) return 'GAP';
  if (changeType === 'CREATE' || changeType === 'UPDATE' || changeType === 'DELETE' || changeType === 'UNDELETE') return changeType;
  return 'UNKNOWN';
}

/**
 * Whether a change was written by the API client that calls itself `clientId` (Sforce-Call-Options): its
 * changeOrigin is `com/salesforce/api/<rest|bulkapi|soap>/<version>;client=<clientId>`.
 */
export function madeByClient(changeOrigin: string | undefined, clientId: string): boolean {
  if (!changeOrigin) return false;
  return changeOrigin.split(';').some((part) => part.trim() === `client=${clientId}`);
}

/** `Name.LastName` → `LastName`, `BillingAddress.City` → `BillingCity`: compound parts as the fields they are. */
export function plainFieldName(name: string): string {
  const [parent, child] = name.split('.', 2);
  if (!child) return name;
  if (parent === 'Name') return child;
  if (parent.endsWith('Address')) return `${parent.slice(0, -'Address'.length)}${child}`;
  return name;
}

/** A change event body with compound fields (`Name: {FirstName, LastName}`, addresses) spread into their parts. */
export function flattenCompound(fields: Record<string, unknown>): Row {
  const out: Row = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value && typeof value === 'object' && !Array.isArray(value) && (key === 'Name' || key.endsWith('Address'))) {
      for (const [child, v] of Object.entries(value as Record<string, unknown>)) out[plainFieldName(`${key}.${child}`)] = v;
    } else {
      out[key] = value;
    }
  }
  return out;
}
