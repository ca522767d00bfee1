import type { SalesforceFieldMeta } from './field-meta';
import type { JournyValue } from './inbound';

/** A value as Salesforce's REST API takes it (null clears the field). */
export type SalesforceValue = null | string | number | boolean;

export type ToSalesforce = { ok: true; value: SalesforceValue } | { ok: false; reason: string };

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * A journy property value converted for one Salesforce field, by the field's describe metadata: numbers rounded
 * to the field's scale and checked against its precision, booleans only from booleans, datetimes to dates
 * (`YYYY-MM-DD`, UTC) or datetimes, picklist values matched to the field's values (case-insensitively; a
 * restricted picklist refuses others), multi-select lists `;`-joined, text within the field's length. A
 * value that can't be written is refused with a reason naming the field; null clears the field unless it is
 * required.
 */
export function toSalesforceValue(field: SalesforceFieldMeta, value: JournyValue): ToSalesforce {
  const fail = (what: string): ToSalesforce => ({ ok: false, reason: `${field.name} (${field.type}): ${what}` });
  if (value === null) {
    if (!field.nillable && field.type !== 'boolean') return fail('is required and cannot be cleared');
    return { ok: true, value: field.type === 'boolean' ? false : null };
  }
  switch (field.type) {
    case 'int': case 'double': case 'currency': case 'percent': {
      const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
      if (!Number.isFinite(n)) return fail(`${show(value)} is not a number`);
      const scale = field.type === 'int' ? 0 : field.scale;
      const rounded = Number(n.toFixed(scale));
      const integerDigits = field.type === 'int' ? field.digits || 18 : (field.precision || 18) - scale;
      if (Math.abs(Math.trunc(rounded)).toString().length > integerDigits) return fail(`${show(value)} has more than ${integerDigits} digits before the decimal point`);
      return { ok: true, value: rounded };
    }
    case 'boolean':
      if (typeof value === 'boolean') return { ok: true, value };
      if (value === 'true' || value === 'false') return { ok: true, value: value === 'true' };
      return fail(`${show(value)} is not a boolean`);
    case 'date': case 'datetime': {
      const iso = typeof value === 'object' && !Array.isArray(value) ? value.iso : typeof value === 'string' ? value : null;
      const ms = iso === null ? NaN : Date.parse(iso);
      if (!Number.isFinite(ms)) return fail(`${show(value)} is not a date or datetime`);
      const text = new Date(ms).toISOString();
      return { ok: true, value: field.type === 'date' ? text.slice(0, 10) : text };
    }
    case 'picklist': case 'combobox': {
      if (typeof value === 'object') return fail(`${show(value)} is not a single value`);
      return pick(field, String(value), fail);
    }
    case 'multipicklist': {
      const items = Array.isArray(value) ? value.map(String) : typeof value === 'string' ? value.split(';') : null;
      if (items === null) return fail(`${show(value)} is not a list of values`);
      const chosen: string[] = [];
      for (const item of items.map((i) => i.trim()).filter((i) => i !== '')) {
        const one = pick(field, item, fail);
        if (!one.ok) return one;
        if (!chosen.includes(String(one.value))) chosen.push(String(one.value));
      }
      return text(field, chosen.join(';'), fail);
    }
    case 'email': {
      if (typeof value !== 'string' || !EMAIL.test(value.trim())) return fail(`${show(value)} is not an email address`);
      return text(field, value.trim(), fail);
    }
    case 'string': case 'textarea': case 'encryptedstring': case 'phone': case 'url': {
      const plain = Array.isArray(value) ? value.join(';') : typeof value === 'object' ? value.iso : String(value);
      return text(field, plain, fail);
    }
    default:
      return fail('cannot be written from journy');
  }
}

/** Whether two values are the same once written (no-op detection compares what Salesforce would store). */
export function sameSalesforceValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || a === undefined || b === null || b === undefined) return (a ?? null) === (b ?? null);
  return typeof a === 'number' && typeof b === 'number' ? Math.abs(a - b) < 1e-9 : String(a) === String(b);
}

function pick(field: SalesforceFieldMeta, value: string, fail: (what: string) => ToSalesforce): ToSalesforce {
  const known = field.picklistValues.find((v) => v.toLowerCase() === value.trim().toLowerCase());
  if (known !== undefined) return { ok: true, value: known };
  if (field.restrictedPicklist) return fail(`${show(value)} is not one of its values (${field.picklistValues.slice(0, 10).join(', ')}${field.picklistValues.length > 10 ? ', …' : ''})`);
  return text(field, value.trim(), fail);
}

function text(field: SalesforceFieldMeta, value: string, fail: (what: string) => ToSalesforce): ToSalesforce {
  if (field.length > 0 && value.length > field.length) return fail(`${value.length} characters is longer than its ${field.length}`);
  return { ok: true, value };
}

function show(value: unknown): string {
  return JSON.stringify(value).slice(0, 60);
}
