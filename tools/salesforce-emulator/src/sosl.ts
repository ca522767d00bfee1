import { restError } from './http';
import type { FieldDef, ObjectDef, Schema } from './metadata';
import type { Org } from './org';
import type { QueryEngine } from './query-engine';
import { parseSoql } from './soql';

/**
 * SOSL over the emulated objects: `FIND {term} [IN ALL|NAME|EMAIL|PHONE FIELDS]
 * [RETURNING Object[(fields [WHERE …] [ORDER BY …] [LIMIT n])], …] [LIMIT n]`. Each RETURNING clause runs as SOQL
 * (so its fields, filters and errors are SOQL's); a record is found when every term (or any, with OR) matches one
 * of its searched fields, case-insensitively, `*` and `?` as wildcards.
 */

type Scope = 'ALL' | 'NAME' | 'EMAIL' | 'PHONE';

const SEARCHABLE = new Set(['Account', 'Contact']);
const TEXT_TYPES = new Set(['string', 'textarea', 'email', 'phone', 'url', 'picklist', 'multipicklist']);

function malformed(message: string) {
  return restError(400, 'MALFORMED_SEARCH', message);
}

/** Splits on commas outside parentheses. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const c of text) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === ',' && depth === 0) {
      parts.push(current.trim());
      current = '';
    } else current += c;
  }
  if (current.trim()) parts.push(current.trim());
  return parts;
}

function termMatchers(term: string): { any: boolean; patterns: RegExp[] } {
  const any = /\s+OR\s+/i.test(term);
  const words = term.split(/\s+(?:OR|AND)\s+|\s+/i).map((w) => w.replace(/^"|"$/g, '')).filter(Boolean);
  if (words.some((w) => w.replace(/[*?]/g, '').length < 2)) throw malformed('search term must be longer than one character');
  const patterns = words.map((w) => new RegExp(w.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.'), 'i'));
  return { any, patterns };
}

function searchedFields(object: ObjectDef, scope: Scope): FieldDef[] {
  return [...object.fields.values()].filter((def) => {
    if (!TEXT_TYPES.has(def.type)) return false;
    if (scope === 'NAME') return def.name === 'Name' || def.name === 'FirstName' || def.name === 'LastName';
    if (scope === 'EMAIL') return def.type === 'email';
    if (scope === 'PHONE') return def.type === 'phone';
    return true;
  });
}

export function search(org: Org, engine: QueryEngine, schema: Schema, q: string | null, version: string): { searchRecords: Record<string, unknown>[] } {
  if (!q) throw malformed('No search term found. The search term must be enclosed in braces.');
  const m = /^\s*FIND\s+(?:\{((?:\\.|[^}])*)\}|'((?:\\.|[^'])*)')\s*(?:IN\s+(ALL|NAME|EMAIL|PHONE)\s+FIELDS)?\s*(?:RETURNING\s+(.*?))?\s*(?:LIMIT\s+(\d+))?\s*$/is.exec(q);
  if (!m) throw malformed(`unexpected token in search: ${q.slice(0, 60)}`);
  const term = (m[1] ?? m[2]).replace(/\\(.)/g, '$1').trim();
  const scope = ((m[3] ?? 'ALL').toUpperCase()) as Scope;
  const limit = m[5] ? Math.min(Number(m[5]), 2000) : 2000;
  const { any, patterns } = termMatchers(term);
  const clauses = m[4] ? splitTopLevel(m[4]) : [...SEARCHABLE];
  const out: Record<string, unknown>[] = [];
  for (const clause of clauses) {
    const c = /^([A-Za-z0-9_]+)\s*(?:\((.*)\))?$/s.exec(clause);
    if (!c) throw malformed(`unexpected token in RETURNING: ${clause}`);
    const object = schema.object(c[1]);
    if (!object || !SEARCHABLE.has(object.name)) throw restError(400, 'INVALID_TYPE', `sObject type '${c[1]}' is not supported.`);
    const inner = (c[2] ?? 'Id').trim();
    const fieldList = /^(.*?)(\s+(?:WHERE|ORDER\s+BY|LIMIT)\s.*)?$/is.exec(inner)!;
    const query = parseSoql(`SELECT ${fieldList[1]} FROM ${object.name}${fieldList[2] ?? ''}`, schema);
    const fields = searchedFields(object, scope);
    for (const id of engine.run({ ...query, limit: null, offset: null }, false)) {
      const rec = org.get(object.name, id)!;
      const values = fields.map((def) => rec[def.name]).filter((v): v is string => typeof v === 'string');
      const hit = (p: RegExp) => values.some((v) => p.test(v));
      if (!(any ? patterns.some(hit) : patterns.every(hit))) continue;
      out.push(engine.restRow(query, rec, version));
      if (query.limit !== null && out.filter((r) => (r.attributes as { type: string }).type === object.name).length >= query.limit) break;
      if (out.length >= limit) return { searchRecords: out };
    }
  }
  return { searchRecords: out };
}
