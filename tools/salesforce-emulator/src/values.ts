import type { FieldDef } from './metadata';
import { isValidIdShape, to18 } from './ids';

/** A per-record error as Salesforce reports it inside save results (statusCode) or top-level (errorCode). */
export interface SaveError {
  statusCode: string;
  message: string;
  fields: string[];
}

export class SaveFailure extends Error {
  constructor(readonly errors: SaveError[], readonly httpStatus = 400) {
    super(errors.map((e) => `${e.statusCode}: ${e.message}`).join('; '));
  }
}

export function saveError(statusCode: string, message: string, fields: string[] = []): SaveError {
  return { statusCode, message, fields };
}

export type StoredValue = string | number | boolean | null;

const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

function typeError(def: FieldDef, value: unknown): SaveFailure {
  return new SaveFailure([saveError('INVALID_TYPE_ON_FIELD_IN_RECORD', `${def.label}: value not of required type: ${String(value)}`, [def.name])]);
}

export function parseDateTime(value: string): number | null {
  const m = DATETIME.exec(value.trim());
  if (!m) return null;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '0', zone = 'Z'] = m;
  const offset = zone === 'Z' ? 'Z' : zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}.${frac.padEnd(3, '0').slice(0, 3)}${offset}`);
  return Number.isNaN(ms) ? null : ms;
}

export function isValidDate(value: string): boolean {
  const m = DATE.exec(value);
  if (!m) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
}

/** Converts an incoming JSON (or CSV text) value to the stored form, or fails with Salesforce's error. */
export function coerce(def: FieldDef, raw: unknown, fromText = false): StoredValue {
  if (raw === null || raw === undefined || (fromText && raw === '')) return null;
  switch (def.type) {
    case 'id':
    case 'reference': {
      const value = String(raw);
      if (!isValidIdShape(value)) {
        throw new SaveFailure([saveError('MALFORMED_ID', `${def.label.replace(/ ID$/, '')} ID: id value of incorrect type: ${value}`, [def.name])]);
      }
      return to18(value);
    }
    case 'string':
    case 'textarea':
    case 'phone':
    case 'url':
    case 'email':
    case 'picklist':
    case 'multipicklist': {
      if (typeof raw === 'object') throw typeError(def, JSON.stringify(raw));
      let value = String(raw);
      if (def.type === 'multipicklist') value = value.split(';').map((v) => v.trim()).filter(Boolean).join(';');
      if (value === '') return null;
      if (value.length > def.length) {
        throw new SaveFailure([saveError('STRING_TOO_LONG', `${def.label}: data value too large: ${value.slice(0, 200)} (max length=${def.length})`, [def.name])]);
      }
      if (def.type === 'email' && !EMAIL.test(value)) {
        throw new SaveFailure([saveError('INVALID_EMAIL_ADDRESS', `${def.label}: invalid email address: ${value}`, [def.name])]);
      }
      if (def.restrictedPicklist && (def.type === 'picklist' || def.type === 'multipicklist')) {
        const bad = value.split(';').find((v) => !def.picklistValues.includes(v));
        if (bad !== undefined) {
          throw new SaveFailure([saveError('INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', `${def.label}: bad value for restricted picklist field: ${bad}`, [def.name])]);
        }
      }
      return value;
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      if (typeof raw === 'string' && /^(true|false)$/i.test(raw.trim())) return raw.trim().toLowerCase() === 'true';
      if (fromText && (raw === '1' || raw === '0')) return raw === '1';
      throw typeError(def, raw);
    }
    case 'int':
    case 'double':
    case 'currency':
    case 'percent': {
      const value = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' && !Number.isNaN(Number(raw)) ? Number(raw) : NaN;
      if (!Number.isFinite(value) || typeof raw === 'boolean') throw typeError(def, raw);
      if (def.type === 'int') {
        if (!Number.isInteger(value)) throw typeError(def, raw);
        if (Math.abs(value) >= 10 ** def.digits) throw outOfRange(def, raw);
        return value;
      }
      const integerDigits = def.precision - def.scale;
      if (Math.abs(value) >= 10 ** integerDigits) throw outOfRange(def, raw);
      const factor = 10 ** def.scale;
      return Math.round(value * factor) / factor;
    }
    case 'date': {
      const value = String(raw).trim();
      const dateOnly = value.length > 10 && DATETIME.test(value) ? value.slice(0, 10) : value;
      if (typeof raw !== 'string' || !isValidDate(dateOnly)) throw typeError(def, raw);
      return dateOnly;
    }
    case 'datetime': {
      if (typeof raw === 'number' && Number.isFinite(raw)) return raw;
      if (typeof raw !== 'string') throw typeError(def, raw);
      const ms = parseDateTime(raw);
      if (ms === null) throw typeError(def, raw);
      return ms;
    }
  }
}

function outOfRange(def: FieldDef, raw: unknown): SaveFailure {
  return new SaveFailure([saveError('NUMBER_OUTSIDE_VALID_RANGE', `${def.label}: value outside of valid range on numeric field: ${String(raw)}`, [def.name])]);
}

/** REST JSON form: datetimes as 2024-01-01T00:00:00.000+0000. */
export function toRest(def: FieldDef, value: StoredValue): unknown {
  if (value === null || value === undefined) return null;
  if (def.type === 'datetime') return formatRestDateTime(value as number);
  return value;
}

/** Now, to the second: audit fields, CDC commit timestamps and job dates carry no milliseconds on a real org. */
export function wholeSecondNow(): number {
  return Math.floor(Date.now() / 1000) * 1000;
}

export function formatRestDateTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

/** CDC (CometD, EXPANDED) form: datetimes as ISO with Z. */
export function toCdc(def: FieldDef, value: StoredValue): unknown {
  if (value === null || value === undefined) return null;
  if (def.type === 'datetime') return new Date(value as number).toISOString();
  return value;
}

/** Bulk CSV form: text, empty for null; datetimes with Z as Bulk 2.0 returns them. */
export function toCsvText(def: FieldDef | undefined, value: unknown): string {
  if (value === null || value === undefined) return '';
  if (def?.type === 'datetime' && typeof value === 'number') return new Date(value).toISOString().replace(/\.\d{3}Z$/, '.000Z');
  return String(value);
}
