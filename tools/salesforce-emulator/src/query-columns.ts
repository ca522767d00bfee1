import type { FieldDef, ObjectDef } from './metadata';
import type { Query } from './soql';

/** One column of `GET …/query?q=…&columns=true` (what the Salesforce CLI reads to lay out `data query`). */
export interface ColumnMetadata {
  aggregate: boolean;
  apexType: string | null;
  booleanType: boolean;
  columnName: string;
  custom: boolean;
  displayName: string;
  foreignKeyName: string | null;
  insertable: boolean;
  joinColumns: ColumnMetadata[];
  numberType: boolean;
  textType: boolean;
  updatable: boolean;
}

export interface QueryColumns {
  columnMetadata: ColumnMetadata[];
  entityName: string;
  groupBy: boolean;
  idSelected: boolean;
  keyPrefix: string;
}

const APEX_TYPE: Record<string, string> = {
  id: 'Id', reference: 'Id', string: 'String', textarea: 'String', email: 'String', phone: 'String', url: 'String',
  picklist: 'String', multipicklist: 'String', int: 'Integer', double: 'Double', percent: 'Double', currency: 'Decimal',
  boolean: 'Boolean', date: 'Date', datetime: 'Datetime',
};
const NUMBER_TYPES = new Set(['int', 'double', 'percent', 'currency']);
const TEXT_TYPES = new Set(['string', 'textarea', 'email', 'phone', 'url', 'picklist', 'multipicklist']);

function fieldColumn(def: FieldDef): ColumnMetadata {
  return {
    aggregate: false, apexType: APEX_TYPE[def.type] ?? null, booleanType: def.type === 'boolean', columnName: def.name, custom: def.custom,
    displayName: def.name, foreignKeyName: null, insertable: def.createable, joinColumns: [], numberType: NUMBER_TYPES.has(def.type),
    textType: TEXT_TYPES.has(def.type), updatable: def.updateable,
  };
}

function groupColumn(name: string, aggregate: boolean): ColumnMetadata {
  return {
    aggregate, apexType: null, booleanType: false, columnName: name, custom: name.endsWith('__r'), displayName: name, foreignKeyName: null,
    insertable: false, joinColumns: [], numberType: false, textType: false, updatable: false,
  };
}

/** The selected columns in order; parent paths nest as join columns under their relationship, one per relationship. */
function columnsOf(query: Query): ColumnMetadata[] {
  const out: ColumnMetadata[] = [];
  for (const item of query.select) {
    if (item.kind === 'count') {
      out.push({ ...groupColumn(item.alias, true), apexType: 'Integer', numberType: true });
      continue;
    }
    if (item.kind === 'subquery') {
      out.push({ ...groupColumn(item.relationshipName, true), joinColumns: columnsOf(item.query) });
      continue;
    }
    let level = out;
    for (const hop of item.path.hops) {
      const name = hop.relationshipName ?? hop.name;
      let parent = level.find((c) => c.columnName === name && c.apexType === null);
      if (!parent) level.push((parent = groupColumn(name, false)));
      level = parent.joinColumns;
    }
    level.push(fieldColumn(item.path.field));
  }
  return out;
}

export function queryColumns(query: Query, object: ObjectDef = query.object): QueryColumns {
  return {
    columnMetadata: query.countOnly ? [] : columnsOf(query),
    entityName: object.name,
    groupBy: false,
    idSelected: query.select.some((item) => item.kind === 'field' && item.path.hops.length === 0 && item.path.field.name === 'Id'),
    keyPrefix: object.keyPrefix,
  };
}
