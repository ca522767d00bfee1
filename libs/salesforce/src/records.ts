/** A record as read: field → value (typed JSON from REST or an event, text from Bulk); relationship fields dotted. */
export type Row = Record<string, unknown>;

/** Rows from REST carry relationships as nested objects; flatten them to the dotted names Bulk CSV uses. */
export function flattenRestRecord(record: Record<string, unknown>, prefix = ''): Row {
  const out: Row = {};
  for (const [key, value] of Object.entries(record)) {
    if (key === 'attributes') continue;
    if (value && typeof value === 'object' && !Array.isArray(value)) Object.assign(out, flattenRestRecord(value as Record<string, unknown>, `${prefix}${key}.`));
    else out[`${prefix}${key}`] = value;
  }
  return out;
}
