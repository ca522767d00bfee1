import type { EventSchema, ValueKind } from './schemas';

/**
 * A change event as the bus holds it (CometD's JSON: header with field names, only what changed on an update)
 * turned into the Avro record Pub/Sub sends: every field present (null when unchanged), the header's field lists
 * as bitmaps, a cleared field in nulledFields, datetimes as epoch millis.
 */
export function encodeChangeEvent(schema: EventSchema, payload: Record<string, unknown>): Buffer {
  const { ChangeEventHeader: rawHeader, ...body } = payload as { ChangeEventHeader: Record<string, unknown> } & Record<string, unknown>;
  const header = rawHeader ?? {};
  const changed = header.changedFields;
  const changedNames = Array.isArray(changed) ? changed.map(String) : [];
  const nulledNames = header.changeType === 'UPDATE' ? changedNames.filter((name) => valueAt(body, name) === null) : [];
  const record: Record<string, unknown> = {
    ChangeEventHeader: {
      entityName: String(header.entityName ?? ''),
      recordIds: Array.isArray(header.recordIds) ? header.recordIds.map(String) : [],
      changeType: String(header.changeType ?? ''),
      changeOrigin: String(header.changeOrigin ?? ''),
      transactionKey: String(header.transactionKey ?? ''),
      sequenceNumber: Number(header.sequenceNumber ?? 1),
      commitTimestamp: Number(header.commitTimestamp ?? 0),
      commitNumber: Number(header.commitNumber ?? 0),
      commitUser: String(header.commitUser ?? ''),
      // A field list that is not a list reaches the subscriber as the bitmap it cannot read.
      changedFields: Array.isArray(changed) ? toBitmaps(schema, changedNames) : [String(changed)],
      nulledFields: toBitmaps(schema, nulledNames),
      diffFields: [],
    },
  };
  for (const field of schema.fields) {
    if (field.name === 'ChangeEventHeader') continue;
    const value = body[field.name];
    if (field.children) {
      const compound = value && typeof value === 'object' ? (value as Record<string, unknown>) : null;
      record[field.name] = compound ? Object.fromEntries(field.children.map((c) => [c, toAvro(compound[c], schema.childKinds.get(`${field.name}.${c}`) ?? 'plain')])) : null;
    } else {
      record[field.name] = toAvro(value, field.kind);
    }
  }
  return schema.type.toBuffer(record);
}

/** Field names as Pub/Sub's bitmaps: `0x…` over top-level positions, `<index>-0x…` over a compound field's parts. */
export function toBitmaps(schema: EventSchema, names: string[]): string[] {
  if (names.length === 0) return [];
  let top = 0n;
  const nested = new Map<number, bigint>();
  for (const name of names) {
    const [parent, child] = name.split('.', 2);
    const index = schema.fields.findIndex((f) => f.name === parent);
    if (index < 0) continue;
    if (child === undefined) {
      top |= 1n << BigInt(index);
      continue;
    }
    const childIndex = schema.fields[index].children?.indexOf(child) ?? -1;
    if (childIndex >= 0) nested.set(index, (nested.get(index) ?? 0n) | (1n << BigInt(childIndex)));
  }
  return [hex(top), ...[...nested.entries()].sort(([a], [b]) => a - b).map(([index, bits]) => `${index}-${hex(bits)}`)];
}

/** Upper-case hex of whole bytes, as real orgs send it. */
function hex(bits: bigint): string {
  let digits = bits.toString(16).toUpperCase();
  if (digits.length % 2 === 1) digits = `0${digits}`;
  return `0x${digits}`;
}

function valueAt(body: Record<string, unknown>, name: string): unknown {
  const [parent, child] = name.split('.', 2);
  const value = body[parent];
  if (child === undefined) return value === undefined ? undefined : value;
  return value && typeof value === 'object' ? (value as Record<string, unknown>)[child] : undefined;
}

function toAvro(value: unknown, kind: ValueKind): unknown {
  if (value === null || value === undefined) return null;
  if (kind === 'datetime' || kind === 'date') return typeof value === 'number' ? value : Date.parse(String(value));
  if (kind === 'text') return typeof value === 'object' ? JSON.stringify(value) : String(value);
  return value;
}
