/** What the mapping engine needs of a Salesforce field, read from describe metadata. */
export type SalesforceFieldType =
  | 'id' | 'string' | 'textarea' | 'email' | 'phone' | 'url' | 'picklist' | 'multipicklist' | 'combobox'
  | 'int' | 'double' | 'currency' | 'percent' | 'boolean' | 'date' | 'datetime' | 'reference' | 'address' | 'location' | 'base64' | 'time' | 'encryptedstring';

export interface SalesforceFieldMeta {
  name: string;
  label: string;
  type: SalesforceFieldType;
  length: number;
  precision: number;
  scale: number;
  digits: number;
  nillable: boolean;
  createable: boolean;
  updateable: boolean;
  unique: boolean;
  externalId: boolean;
  idLookup: boolean;
  calculated: boolean;
  picklistValues: string[];
  restrictedPicklist: boolean;
  referenceTo: string[];
}

/** Reads the describe JSON of one field (as Salesforce returns it) into the engine's shape. */
export function fieldMetaFromDescribe(field: Record<string, unknown>): SalesforceFieldMeta {
  return {
    name: String(field.name),
    label: String(field.label ?? field.name),
    type: String(field.type) as SalesforceFieldType,
    length: Number(field.length ?? 0),
    precision: Number(field.precision ?? 0),
    scale: Number(field.scale ?? 0),
    digits: Number(field.digits ?? 0),
    nillable: field.nillable === true,
    createable: field.createable === true,
    updateable: field.updateable === true,
    unique: field.unique === true,
    externalId: field.externalId === true,
    idLookup: field.idLookup === true,
    calculated: field.calculated === true,
    picklistValues: Array.isArray(field.picklistValues) ? (field.picklistValues as { value: string; active?: boolean }[]).filter((p) => p.active !== false).map((p) => p.value) : [],
    restrictedPicklist: field.restrictedPicklist === true,
    referenceTo: Array.isArray(field.referenceTo) ? (field.referenceTo as string[]) : [],
  };
}
