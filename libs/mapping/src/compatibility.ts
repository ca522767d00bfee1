import type { SalesforceFieldMeta, SalesforceFieldType } from './field-meta';

/** journy property types: string, number, boolean, ISO datetime, list of strings. */
export type JournyType = 'string' | 'number' | 'boolean' | 'datetime' | 'string_array';

export const JOURNY_TYPES: readonly JournyType[] = ['string', 'number', 'boolean', 'datetime', 'string_array'];

/**
 * Which journy types a Salesforce field type can take. Text takes anything (written as text; lists joined);
 * numbers take numbers; dates and datetimes take datetimes; a multi-select picklist takes a list or a string.
 * Ids, references, compound and binary fields take nothing from journy.
 */
export const COMPATIBILITY: Record<SalesforceFieldType, readonly JournyType[]> = {
  string: ['string', 'number', 'boolean', 'datetime', 'string_array'],
  textarea: ['string', 'number', 'boolean', 'datetime', 'string_array'],
  encryptedstring: ['string'],
  email: ['string'],
  phone: ['string', 'number'],
  url: ['string'],
  picklist: ['string', 'number', 'boolean'],
  combobox: ['string', 'number', 'boolean'],
  multipicklist: ['string_array', 'string'],
  int: ['number'],
  double: ['number'],
  currency: ['number'],
  percent: ['number'],
  boolean: ['boolean'],
  date: ['datetime'],
  datetime: ['datetime'],
  time: [],
  id: [],
  reference: [],
  address: [],
  location: [],
  base64: [],
};

export function canTake(field: SalesforceFieldMeta, type: JournyType): boolean {
  return (COMPATIBILITY[field.type] ?? []).includes(type);
}

/** A field the connector may write from journy: writable on create or update, not computed, of a mappable type. */
export function isMappable(field: SalesforceFieldMeta): boolean {
  return (field.createable || field.updateable) && !field.calculated && (COMPATIBILITY[field.type] ?? []).length > 0;
}

/**
 * Whether an Account field can hold journy's account id ("External ID for Accounts"): a text or number field
 * Salesforce can look records up by (external id, id lookup or unique), that the connector can write.
 */
export function canServeAsAccountId(field: SalesforceFieldMeta): boolean {
  return (
    (field.externalId || field.idLookup || field.unique) &&
    ['string', 'email', 'int', 'double'].includes(field.type) &&
    (field.createable || field.updateable) &&
    !field.calculated &&
    field.name !== 'Id'
  );
}
