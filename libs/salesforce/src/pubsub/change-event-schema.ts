import * as avro from 'avsc';
import type { ChangeEvent, ChangeEventHeader } from '../change-events';
import { BitmapError, fieldNamesFromBitmap, type BitmapField } from './bitmap';

/** How a data field's value arrives over Pub/Sub, by the Salesforce type its schema documents (`doc: "Data:DateTime"`). */
type Conversion = 'datetime' | 'date' | null;

interface FieldShape {
  name: string;
  conversion: Conversion;
  /** A compound field's parts (Name, addresses): nested records. */
  children: FieldShape[] | null;
}

interface AvroFieldJson {
  name: string;
  type: unknown;
  doc?: string;
}

/**
 * One change-event schema fetched by GetSchema: decodes an event's Avro payload into the same ChangeEvent the
 * CometD stream hands over, with the header's bitmaps turned into field names, only the changed fields kept on
 * an update (a nulled field as null), and datetimes as ISO text.
 */
export class ChangeEventSchema {
  private readonly type: avro.Type;
  private readonly shapes: FieldShape[];
  private readonly bitmapFields: BitmapField[];

  constructor(readonly schemaId: string, schemaJson: string) {
    const json = JSON.parse(schemaJson) as { fields?: AvroFieldJson[] };
    this.type = avro.Type.forSchema(json as avro.Schema);
    this.shapes = (json.fields ?? []).map(shapeOf);
    this.bitmapFields = this.shapes.map((s) => ({ name: s.name, children: s.children?.map((c) => c.name) ?? null }));
  }

  decode(payload: Buffer, channel: string, replayId: string): ChangeEvent {
    const value = this.type.fromBuffer(payload) as Record<string, unknown>;
    const raw = value.ChangeEventHeader as Record<string, unknown> & { changedFields?: string[]; nulledFields?: string[]; diffFields?: string[] };
    const header = { ...raw, recordIds: [...((raw.recordIds as string[]) ?? [])] } as unknown as ChangeEventHeader;
    let decodeError: string | undefined;
    try {
      header.changedFields = fieldNamesFromBitmap(raw.changedFields ?? [], this.bitmapFields);
      header.nulledFields = fieldNamesFromBitmap(raw.nulledFields ?? [], this.bitmapFields);
      header.diffFields = fieldNamesFromBitmap(raw.diffFields ?? [], this.bitmapFields);
    } catch (error) {
      if (!(error instanceof BitmapError)) throw error;
      decodeError = `the event's field bitmaps do not match schema ${this.schemaId}: ${error.message}`;
    }
    const fields = decodeError ? {} : this.fieldsOf(value, header);
    return { channel, replayId, header, fields, ...(decodeError ? { decodeError } : {}) };
  }

  /** The fields a subscriber acts on: every non-null one on create and undelete, the changed ones on update. */
  private fieldsOf(value: Record<string, unknown>, header: ChangeEventHeader): Record<string, unknown> {
    const fields: Record<string, unknown> = {};
    if (header.changeType === 'CREATE' || header.changeType === 'UNDELETE') {
      for (const shape of this.shapes) {
        if (shape.name === 'ChangeEventHeader') continue;
        const v = value[shape.name];
        if (v === null || v === undefined) continue;
        fields[shape.name] = shape.children ? convertRecord(v as Record<string, unknown>, shape.children) : convert(v, shape.conversion);
      }
      return fields;
    }
    if (header.changeType !== 'UPDATE') return fields;
    const nulled = new Set(header.nulledFields ?? []);
    for (const name of new Set([...(header.changedFields ?? []), ...nulled])) {
      const [parentName, childName] = name.split('.', 2);
      const shape = this.shapes.find((s) => s.name === parentName);
      if (!shape) continue;
      if (childName === undefined) {
        fields[name] = nulled.has(name) ? null : convert(value[name], shape.conversion);
        continue;
      }
      const child = shape.children?.find((c) => c.name === childName);
      const compound = (fields[parentName] as Record<string, unknown> | undefined) ?? {};
      compound[childName] = nulled.has(name) ? null : convert((value[parentName] as Record<string, unknown> | null)?.[childName], child?.conversion ?? null);
      fields[parentName] = compound;
    }
    return fields;
  }
}

function shapeOf(field: AvroFieldJson): FieldShape {
  const branch = nonNullBranch(field.type);
  const record = branch && typeof branch === 'object' && (branch as { type?: string }).type === 'record' ? (branch as { fields: AvroFieldJson[] }) : null;
  return { name: field.name, conversion: conversionOf(field.doc), children: record && field.name !== 'ChangeEventHeader' ? record.fields.map(shapeOf) : null };
}

function nonNullBranch(type: unknown): unknown {
  if (!Array.isArray(type)) return type;
  const branches = type.filter((t) => t !== 'null');
  return branches.find((t) => typeof t === 'object') ?? branches[0];
}

function conversionOf(doc: string | undefined): Conversion {
  if (!doc) return null;
  if (/:DateTime$/.test(doc)) return 'datetime';
  if (/:Date$/.test(doc)) return 'date';
  return null;
}

function convert(value: unknown, conversion: Conversion): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'number') return value;
  if (conversion === 'datetime') return new Date(value).toISOString();
  if (conversion === 'date') return new Date(value).toISOString().slice(0, 10);
  return value;
}

function convertRecord(value: Record<string, unknown>, children: FieldShape[]): Record<string, unknown> {
  return Object.fromEntries(children.map((c) => [c.name, convert(value[c.name], c.conversion)]));
}
