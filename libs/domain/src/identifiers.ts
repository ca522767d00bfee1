import { createHash } from 'node:crypto';

/** A journy project: the unit of tenancy. Every stored document and every query is scoped to one. */
export type TenantId = string & { readonly __brand: 'TenantId' };
export type ConnectionId = string & { readonly __brand: 'ConnectionId' };

export type EntityType = 'USER' | 'ACCOUNT';

const TENANT_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export function tenantId(value: string): TenantId {
  if (!TENANT_ID.test(value)) {
    throw new TypeError(`invalid tenant id ${JSON.stringify(value)}: expected 1-64 letters, digits, '_' or '-'`);
  }
  return value as TenantId;
}

export function connectionId(value: string): ConnectionId {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(value)) {
    throw new TypeError(`invalid connection id ${JSON.stringify(value)}`);
  }
  return value as ConnectionId;
}

/** The Kafka key of a profile event: all events of one entity land on one partition, in order. */
export function profileEventKey(tenant: TenantId | string, type: EntityType, id: string): string {
  return `${tenant}:${type}:${id}`;
}

/** Salesforce ids are 15 (case-sensitive) or 18 (case-safe) characters; we store the 18-character form. */
export function isSalesforceId(value: string): boolean {
  return /^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/.test(value);
}

const CHECKSUM_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';

/** Salesforce's 18-character form: three checksum characters encode which letters of the 15 are upper case. */
export function toSalesforceId18(id: string): string {
  if (!/^[a-zA-Z0-9]{15}$/.test(id) && !/^[a-zA-Z0-9]{18}$/.test(id)) {
    throw new TypeError(`invalid Salesforce id ${JSON.stringify(id)}`);
  }
  const base = id.slice(0, 15);
  let suffix = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) {
      const c = base.charCodeAt(chunk * 5 + i);
      if (c >= 65 && c <= 90) bits |= 1 << i;
    }
    suffix += CHECKSUM_ALPHABET[bits];
  }
  return base + suffix;
}

/** A deterministic id: the same record and change always give the same id (consumers apply it once). */
export function stableId(prefix: string, ...parts: (string | number | null)[]): string {
  return `${prefix}_${createHash('sha256').update(parts.map((p) => String(p ?? '')).join('\u0000')).digest('base64url').slice(0, 27)}`;
}
