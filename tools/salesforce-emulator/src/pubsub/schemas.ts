import * as avro from 'avsc';
import { createHash } from 'node:crypto';
import type { FieldDef, ObjectDef } from '../metadata';

/**
 * Change-event Avro schemas as the Pub/Sub API serves them, derived from describe: the ChangeEventHeader first,
 * then every data field nullable, compound fields (Contact's Name) as nested records, datetimes and dates as
 * epoch millis documented by their Salesforce type. The id is a fingerprint of the schema, so it changes when a
 * field is added.
 */

export interface EventSchema {
  id: string;
  json: string;
  type: avro.Type;
  /** Top-level fields in schema order, with a compound field's child names. */
  fields: { name: string; children: string[] | null; kind: ValueKind }[];
  childKinds: Map<string, ValueKind>;
}

/** How a value is written: as it is, as text, or an ISO datetime / date turned into epoch millis. */
export type ValueKind = 'plain' | 'text' | 'datetime' | 'date';

const CHANGE_TYPES = ['CREATE', 'UPDATE', 'DELETE', 'UNDELETE', 'GAP_CREATE', 'GAP_UPDATE', 'GAP_DELETE', 'GAP_UNDELETE', 'GAP_OVERFLOW'];

const HEADER = {
  type: 'record', name: 'ChangeEventHeader', namespace: 'com.sforce.eventbus',
  fields: [
    { name: 'entityName', type: 'string' },
    { name: 'recordIds', type: { type: 'array', items: 'string' } },
    { name: 'changeType', type: { type: 'enum', name: 'ChangeType', namespace: 'com.sforce.eventbus', symbols: CHANGE_TYPES } },
    { name: 'changeOrigin', type: 'string' },
    { name: 'transactionKey', type: 'string' },
    { name: 'sequenceNumber', type: 'int' },
    { name: 'commitTimestamp', type: 'long' },
    { name: 'commitNumber', type: 'long' },
    { name: 'commitUser', type: 'string' },
    { name: 'nulledFields', type: { type: 'array', items: 'string' } },
    { name: 'diffFields', type: { type: 'array', items: 'string' } },
    { name: 'changedFields', type: { type: 'array', items: 'string' } },
  ],
};

/** Fields change events leave out. */
const NOT_IN_EVENTS = new Set(['Id', 'IsDeleted', 'SystemModstamp']);
const CONTACT_NAME_PARTS = ['Salutation', 'FirstName', 'LastName'];

export function schemaForObject(object: ObjectDef): EventSchema {
  const fields: unknown[] = [{ name: 'ChangeEventHeader', type: HEADER, doc: 'Data:ChangeEventHeader' }];
  const shapes: EventSchema['fields'] = [{ name: 'ChangeEventHeader', children: null, kind: 'plain' }];
  const childKinds = new Map<string, ValueKind>();
  for (const name of object.fieldOrder) {
    if (NOT_IN_EVENTS.has(name)) continue;
    const def = object.fields.get(name.toLowerCase())!;
    if (object.name === 'Contact' && CONTACT_NAME_PARTS.includes(name)) continue;
    if (object.name === 'Contact' && name === 'Name') {
      const children = CONTACT_NAME_PARTS.map((part) => object.fields.get(part.toLowerCase())!);
      fields.push({
        name: 'Name', type: ['null', { type: 'record', name: 'Name', namespace: 'com.sforce.eventbus', fields: children.map((c) => ({ name: c.name, type: ['null', avroType(c)], doc: `Data:${sfType(c)}`, default: null })) }],
        doc: 'Data:PersonName', default: null,
      });
      shapes.push({ name: 'Name', children: CONTACT_NAME_PARTS, kind: 'plain' });
      for (const c of children) childKinds.set(`Name.${c.name}`, kindOf(c));
      continue;
    }
    fields.push({ name, type: ['null', avroType(def)], doc: `Data:${sfType(def)}`, default: null });
    shapes.push({ name, children: null, kind: kindOf(def) });
  }
  return build({ type: 'record', name: `${object.name.replace(/__c$/, '__')}ChangeEvent`, namespace: 'com.sforce.eventbus', fields }, shapes, childKinds);
}

/** An entity the org does not describe (an admin-published event): its schema from the event's own fields, as text. */
export function schemaForPayload(entity: string, body: Record<string, unknown>): EventSchema {
  const names = Object.keys(body).filter((k) => k !== 'ChangeEventHeader').sort();
  const fields = [{ name: 'ChangeEventHeader', type: HEADER }, ...names.map((name) => ({ name, type: ['null', 'string'], doc: 'Data:Text', default: null }))];
  const shapes: EventSchema['fields'] = [{ name: 'ChangeEventHeader', children: null, kind: 'plain' }, ...names.map((name) => ({ name, children: null, kind: 'text' as const }))];
  return build({ type: 'record', name: `${entity.replace(/[^A-Za-z0-9_]/g, '_')}ChangeEvent`, namespace: 'com.sforce.eventbus', fields }, shapes, new Map());
}

function build(schema: Record<string, unknown>, fields: EventSchema['fields'], childKinds: Map<string, ValueKind>): EventSchema {
  const json = JSON.stringify(schema);
  const id = createHash('sha256').update(json).digest('base64url').slice(0, 22);
  return { id, json, type: avro.Type.forSchema(schema as avro.Schema), fields, childKinds };
}

function avroType(def: FieldDef): string {
  switch (def.type) {
    case 'boolean':
      return 'boolean';
    case 'int':
      return 'int';
    case 'double':
    case 'currency':
    case 'percent':
      return 'double';
    case 'date':
    case 'datetime':
      return 'long';
    default:
      return 'string';
  }
}

function kindOf(def: FieldDef): ValueKind {
  return def.type === 'datetime' ? 'datetime' : def.type === 'date' ? 'date' : 'plain';
}

function sfType(def: FieldDef): string {
  const names: Record<string, string> = { datetime: 'DateTime', date: 'Date', boolean: 'Boolean', int: 'Int', double: 'Double', currency: 'Currency', percent: 'Percent', reference: 'EntityId', id: 'EntityId' };
  return names[def.type] ?? 'Text';
}
