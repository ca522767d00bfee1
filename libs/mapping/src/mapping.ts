import { COMPATIBILITY, JOURNY_TYPES, JournyType, canTake, isMappable } from './compatibility';
import type { SalesforceFieldMeta } from './field-meta';

export type MappedObject = 'Contact' | 'Account';

export interface FieldMapping {
  journyProperty: string;
  salesforceField: string;
}

export interface TypedFieldMapping extends FieldMapping {
  /** The journy property's type, as journy's schema knows it. */
  journyType: JournyType;
}

/** The defaults of the product document, always present and not editable. */
export const DEFAULT_MAPPINGS: Record<MappedObject, readonly (FieldMapping & { journyType: JournyType })[]> = {
  Contact: [
    { journyProperty: 'email', salesforceField: 'Email', journyType: 'string' },
    { journyProperty: 'first_name', salesforceField: 'FirstName', journyType: 'string' },
    { journyProperty: 'last_name', salesforceField: 'LastName', journyType: 'string' },
    { journyProperty: 'phone', salesforceField: 'Phone', journyType: 'string' },
  ],
  Account: [
    { journyProperty: 'domain', salesforceField: 'Website', journyType: 'string' },
    { journyProperty: 'name', salesforceField: 'Name', journyType: 'string' },
  ],
};

export interface MappingProblem {
  /** Which mapping: its index in the list and its pair, so the UI can point at it. */
  index: number;
  mapping: string;
  reason: string;
}

const PROPERTY = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}$/;

/**
 * Checks extra mappings against the object's describe metadata: the property name is sane, the field exists and
 * is writable, its type can take the journy type, and no Salesforce field is written by two mappings (defaults
 * included). Returns every problem, not just the first.
 */
export function validateMappings(object: MappedObject, mappings: TypedFieldMapping[], fields: ReadonlyMap<string, SalesforceFieldMeta>): MappingProblem[] {
  const problems: MappingProblem[] = [];
  const targets = new Map<string, string>(DEFAULT_MAPPINGS[object].map((m) => [m.salesforceField.toLowerCase(), `default mapping ${m.journyProperty} → ${m.salesforceField}`]));
  mappings.forEach((mapping, index) => {
    const label = `${mapping.journyProperty} → ${mapping.salesforceField}`;
    const problem = (reason: string) => problems.push({ index, mapping: label, reason });
    if (!PROPERTY.test(mapping.journyProperty)) return problem(`"${mapping.journyProperty}" is not a valid journy property name`);
    if (!JOURNY_TYPES.includes(mapping.journyType)) return problem(`unknown journy type "${mapping.journyType}"`);
    const field = fields.get(mapping.salesforceField.toLowerCase());
    if (!field) return problem(`${object} has no field ${mapping.salesforceField}`);
    if (!isMappable(field)) {
      return problem(field.calculated ? `${object}.${field.name} is computed by Salesforce and cannot be written` : `${object}.${field.name} (${field.type}) cannot be written by the connector`);
    }
    if (!canTake(field, mapping.journyType)) {
      return problem(`${object}.${field.name} is a ${field.type} field and cannot take a journy ${mapping.journyType} (it takes ${COMPATIBILITY[field.type].join(', ')})`);
    }
    const taken = targets.get(field.name.toLowerCase());
    if (taken) return problem(`${object}.${field.name} is already written by ${taken}`);
    targets.set(field.name.toLowerCase(), `mapping ${label}`);
  });
  return problems;
}
