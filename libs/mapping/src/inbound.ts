import type { SalesforceFieldMeta } from './field-meta';

/** A journy property value, as the commands contract carries it (a datetime as an ISO string in a record). */
export type JournyValue = null | string | number | boolean | string[] | { iso: string };

export type Converted = { ok: true; value: JournyValue } | { ok: false; reason: string };

/**
 * A Salesforce field value (typed JSON from REST or a change event, or text from a Bulk CSV) converted into a
 * journy property value by the field's describe type: numbers as numbers, checkboxes as booleans, dates and
 * datetimes as ISO datetimes, multi-select picklists as lists. Empty (null, '', CSV's empty cell) is null.
 */
export function toJournyValue(field: Pick<SalesforceFieldMeta, 'name' | 'type'>, raw: unknown): Converted {
  if (raw === null || raw === undefined || raw === '') return { ok: true, value: null };
  const fail = (what: string): Converted => ({ ok: false, reason: `${field.name} (${field.type}): ${what} ${JSON.stringify(raw).slice(0, 80)}` });
  switch (field.type) {
    case 'int': case 'double': case 'currency': case 'percent': {
      const value = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
      return Number.isFinite(value) ? { ok: true, value } : fail('not a number:');
    }
    case 'boolean':
      if (typeof raw === 'boolean') return { ok: true, value: raw };
      if (raw === 'true' || raw === 'false') return { ok: true, value: raw === 'true' };
      return fail('not a boolean:');
    case 'date': {
      if (typeof raw !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(raw) || Number.isNaN(Date.parse(`${raw}T00:00:00Z`))) return fail('not a date:');
      return { ok: true, value: { iso: `${raw}T00:00:00.000Z` } };
    }
    case 'datetime': {
      const ms = typeof raw === 'number' ? raw : typeof raw === 'string' ? Date.parse(raw) : NaN;
      return Number.isFinite(ms) ? { ok: true, value: { iso: new Date(ms).toISOString() } } : fail('not a datetime:');
    }
    case 'multipicklist':
      if (Array.isArray(raw)) return { ok: true, value: raw.map(String) };
      if (typeof raw === 'string') return { ok: true, value: raw.split(';').map((s) => s.trim()).filter((s) => s !== '') };
      return fail('not a multi-select value:');
    case 'address': case 'location': case 'base64':
      return fail('compound and binary fields are not imported:');
    default:
      if (typeof raw === 'string') return { ok: true, value: raw };
      if (typeof raw === 'number' || typeof raw === 'boolean') return { ok: true, value: String(raw) };
      return fail('not a text value:');
  }
}

/** The domain of a website field: `https://www.Acme.com/about` → `acme.com`; null when it has none. */
export function domainFromWebsite(website: unknown): string | null {
  if (typeof website !== 'string' || website.trim() === '') return null;
  const text = website.trim();
  try {
    const host = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`).hostname.toLowerCase().replace(/^www\./, '');
    return /^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(host) ? host : null;
  } catch {
    return null;
  }
}
