import { DEFAULT_MAPPINGS, JournyValue, SalesforceFieldMeta, domainFromWebsite, toJournyValue } from '@connector/mapping';
import type { ConnectionSettings } from '@connector/persistence';
import { soqlSelect, type Row } from '@connector/salesforce';

/** One Salesforce field read into one journy property. */
export interface InboundField {
  field: string;
  property: string;
  meta: SalesforceFieldMeta;
}

/**
 * What the import and the live capture read from a connection's org: which fields become which journy
 * properties (the default mappings and the connection's own, read in the other direction), typed by describe.
 */
export interface InboundModel {
  /** The Account field holding journy's account id; without it, accounts and memberships can't be keyed. */
  externalIdField: string | null;
  contact: InboundField[];
  account: InboundField[];
  /** The org has AccountContactRelation (Contacts to Multiple Accounts); else memberships come from Contact.AccountId. */
  hasAccountContactRelation: boolean;
}

export type ObjectName = 'Account' | 'Contact' | 'AccountContactRelation';
export const CAPTURED_OBJECTS: readonly ObjectName[] = ['Account', 'Contact', 'AccountContactRelation'];

/** Fields with no property of their own: keys and relationships, handled by name. */
const KEY_FIELDS: Record<'Contact' | 'Account', ReadonlySet<string>> = {
  Contact: new Set(['email', 'accountid']),
  Account: new Set(['website']),
};

export function buildInboundModel(
  settings: ConnectionSettings,
  describe: { Account: ReadonlyMap<string, SalesforceFieldMeta>; Contact: ReadonlyMap<string, SalesforceFieldMeta> },
  hasAccountContactRelation: boolean,
): InboundModel {
  const pick = (object: 'Contact' | 'Account', mappings: { journyProperty: string; salesforceField: string }[]): InboundField[] => {
    const out = new Map<string, InboundField>();
    for (const mapping of [...DEFAULT_MAPPINGS[object], ...mappings]) {
      const meta = describe[object].get(mapping.salesforceField.toLowerCase());
      if (!meta || KEY_FIELDS[object].has(meta.name.toLowerCase())) continue;
      if (object === 'Account' && settings.accountExternalIdField && meta.name.toLowerCase() === settings.accountExternalIdField.toLowerCase()) continue;
      if (!out.has(meta.name)) out.set(meta.name, { field: meta.name, property: mapping.journyProperty, meta });
    }
    return [...out.values()];
  };
  const externalId = settings.accountExternalIdField ? (describe.Account.get(settings.accountExternalIdField.toLowerCase())?.name ?? null) : null;
  return {
    externalIdField: externalId,
    contact: pick('Contact', settings.destination.contactMappings),
    account: pick('Account', settings.destination.accountMappings),
    hasAccountContactRelation,
  };
}

/** The SOQL of each object's read: every field the model needs, and SystemModstamp (where a record was when read). */
export function selectFields(model: InboundModel, object: ObjectName): string[] {
  switch (object) {
    case 'Contact':
      return unique(['Id', 'Email', 'AccountId', 'SystemModstamp', ...(model.externalIdField ? [`Account.${model.externalIdField}`] : []), ...model.contact.map((f) => f.field)]);
    case 'Account':
      return unique(['Id', 'Website', 'SystemModstamp', ...(model.externalIdField ? [model.externalIdField] : []), ...model.account.map((f) => f.field)]);
    case 'AccountContactRelation':
      return ['Id', 'ContactId', 'AccountId', 'SystemModstamp', 'Contact.Email', ...(model.externalIdField ? [`Account.${model.externalIdField}`] : [])];
  }
}

/** The read of an object (optionally filtered); relations in account order, so an account's members come together. */
export function selectSoql(model: InboundModel, object: ObjectName, where?: string): string {
  return soqlSelect({ object, fields: selectFields(model, object), where, orderBy: object === 'AccountContactRelation' ? 'AccountId' : undefined });
}

export type { Row } from '@connector/salesforce';

export interface Converted {
  properties: Record<string, JournyValue>;
  /** Fields whose value could not be converted: left out, with the reason. */
  rejected: { field: string; reason: string }[];
  /** Field → raw value read, for the link (change detection and echo suppression later). */
  read: Record<string, unknown>;
}

/** Converts the fields of a row that the model maps (only those present in the row: a change event carries the changed ones). */
export function convertFields(fields: InboundField[], row: Row, present: (field: string) => boolean = (f) => f in row): Converted {
  const out: Converted = { properties: {}, rejected: [], read: {} };
  for (const field of fields) {
    if (!present(field.field)) continue;
    const raw = row[field.field] ?? null;
    out.read[field.field] = raw;
    const converted = toJournyValue(field.meta, raw);
    if (converted.ok) out.properties[field.property] = converted.value;
    else out.rejected.push({ field: field.field, reason: converted.reason });
  }
  return out;
}

/** The user key: a trimmed, lower-cased email, or null when the contact has none. */
export function emailOf(row: Row): string | null {
  const email = row.Email;
  if (typeof email !== 'string' || !email.trim()) return null;
  return email.trim().toLowerCase();
}

/** The account key: the External ID field's value as text, or null. */
export function externalIdOf(model: InboundModel, row: Row, prefix = ''): string | null {
  if (!model.externalIdField) return null;
  const value = row[`${prefix}${model.externalIdField}`];
  if (value === null || value === undefined || String(value).trim() === '') return null;
  return String(value).trim();
}

export { domainFromWebsite };

/** SystemModstamp (ISO or Bulk's text) in ms, or null. */
export function modstampOf(row: Row): number | null {
  const value = row.SystemModstamp;
  if (typeof value !== 'string' || !value) return null;
  const ms = Date.parse(value.replace(/\+0000$/, 'Z'));
  return Number.isFinite(ms) ? ms : null;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
