import { to18 } from './ids';
import type { FieldDef, ObjectDef } from './metadata';
import type { Org, Rec } from './org';
import type { Condition, FieldPath, Literal, Query } from './soql';
import { StoredValue, toCsvText, toRest } from './values';

/** Runs parsed SOQL against the org's records and shapes rows as the REST API and Bulk CSV return them. */
export class QueryEngine {
  constructor(private readonly org: Org) {}

  /** The ids of matching records, filtered, ordered, offset and limited. */
  run(query: Query, includeDeleted: boolean): string[] {
    const candidates = this.candidates(query, includeDeleted);
    const rows: Rec[] = [];
    for (const rec of candidates) {
      if (!includeDeleted && rec.IsDeleted) continue;
      if (query.where && !this.matches(query.object, rec, query.where, includeDeleted)) continue;
      rows.push(rec);
    }
    if (query.orderBy.length > 0) {
      const keyed = rows.map((rec) => ({ rec, keys: query.orderBy.map((o) => this.value(rec, o.path, includeDeleted)) }));
      keyed.sort((a, b) => {
        for (let k = 0; k < query.orderBy.length; k++) {
          const c = compareForSort(a.keys[k], b.keys[k], query.orderBy[k]);
          if (c !== 0) return c;
        }
        return 0;
      });
      rows.length = 0;
      keyed.forEach((k) => rows.push(k.rec));
    }
    const start = query.offset ?? 0;
    const end = query.limit === null ? undefined : start + query.limit;
    return rows.slice(start, end).map((rec) => rec.Id as string);
  }

  /** Uses an index when the WHERE clause pins an indexed field with = or IN at the top level. */
  private candidates(query: Query, includeDeleted: boolean): Iterable<Rec> {
    const conjuncts = !query.where ? [] : query.where.kind === 'and' ? query.where.items : [query.where];
    for (const c of conjuncts) {
      const path = c.kind === 'compare' || c.kind === 'in' ? c.path : null;
      if (!path || path.hops.length > 0) continue;
      let values: Literal[] | null = null;
      if (c.kind === 'compare' && c.op === '=') values = [c.value];
      if (c.kind === 'in' && !c.negated && c.values) values = c.values;
      if (!values || values.some((v) => v.kind !== 'string')) continue;
      const field = path.field;
      const store = this.org.store(query.object.name);
      if (field.name === 'Id') {
        const out: Rec[] = [];
        for (const v of values) {
          const value = (v as { value: string }).value;
          if (!/^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/.test(value)) continue;
          const rec = store.records.get(to18(value));
          if (rec) out.push(rec);
        }
        return out;
      }
      if (store.indexes.has(field.name.toLowerCase())) {
        const seen = new Set<string>();
        for (const v of values) {
          const value = (v as { value: string }).value;
          for (const id of this.org.findBy(query.object.name, field.name, field.type === 'reference' && value.length === 15 ? to18(value) : value, includeDeleted)) seen.add(id);
        }
        return [...seen].map((id) => store.records.get(id)!);
      }
    }
    return this.org.all(query.object.name);
  }

  matches(object: ObjectDef, rec: Rec, condition: Condition, includeDeleted: boolean): boolean {
    switch (condition.kind) {
      case 'and':
        return condition.items.every((c) => this.matches(object, rec, c, includeDeleted));
      case 'or':
        return condition.items.some((c) => this.matches(object, rec, c, includeDeleted));
      case 'not':
        return !this.matches(object, rec, condition.item, includeDeleted);
      case 'compare':
        return compare(this.value(rec, condition.path, includeDeleted), condition.op, condition.value, condition.path.field);
      case 'like': {
        const v = this.value(rec, condition.path, includeDeleted);
        return v !== null && condition.pattern.test(String(v));
      }
      case 'includes': {
        const v = this.value(rec, condition.path, includeDeleted);
        const have = new Set(v === null ? [] : String(v).toLowerCase().split(';'));
        const any = condition.values.some((group) => group.every((g) => have.has(g)));
        return condition.negated ? !any : any;
      }
      case 'in': {
        const v = this.value(rec, condition.path, includeDeleted);
        let found: boolean;
        if (condition.subquery) {
          const set = this.semiJoin(condition.subquery, includeDeleted);
          found = v !== null && set.has(String(v));
        } else {
          found = condition.values!.some((literal) => compare(v, '=', literal, condition.path.field));
        }
        return condition.negated ? !found : found;
      }
    }
  }

  private semiJoinCache = new WeakMap<Query, Set<string>>();

  private semiJoin(query: Query, includeDeleted: boolean): Set<string> {
    const cached = this.semiJoinCache.get(query);
    if (cached) return cached;
    const path = (query.select[0] as { path: FieldPath }).path;
    const set = new Set<string>();
    for (const id of this.run(query, includeDeleted)) {
      const v = this.value(this.org.get(query.object.name, id, true)!, path, includeDeleted);
      if (v !== null) set.add(String(v));
    }
    this.semiJoinCache.set(query, set);
    return set;
  }

  value(rec: Rec, path: FieldPath, includeDeleted = true): StoredValue {
    let current: Rec | undefined = rec;
    for (const hop of path.hops) {
      const parentId = current[hop.name];
      if (parentId === null || parentId === undefined) return null;
      current = this.org.get(hop.referenceTo[0], String(parentId), includeDeleted);
      if (!current) return null;
    }
    return current[path.field.name] ?? null;
  }

  /** One REST row: attributes, the selected fields in order, parents nested, children as sub-results. */
  restRow(query: Query, rec: Rec, version: string): Record<string, unknown> {
    const row: Record<string, unknown> = { attributes: attributes(query.object.name, rec.Id as string, version) };
    for (const item of query.select) {
      if (item.kind === 'field') {
        this.placeField(row, rec, item.path, version);
      } else if (item.kind === 'subquery') {
        const childIds = this.org
          .childIds(item.childObject.name, item.parentField.name, rec.Id as string)
          .map((id) => this.org.get(item.childObject.name, id)!)
          .filter((child) => child && (!item.query.where || this.matches(item.childObject, child, item.query.where, false)));
        const ordered = this.orderChildren(item.query, childIds);
        if (ordered.length === 0) {
          row[item.relationshipName] = null;
        } else {
          row[item.relationshipName] = { totalSize: ordered.length, done: true, records: ordered.map((child) => this.restRow(item.query, child, version)) };
        }
      }
    }
    return row;
  }

  private orderChildren(query: Query, children: Rec[]): Rec[] {
    let rows = children;
    if (query.orderBy.length > 0) {
      rows = [...children].sort((a, b) => {
        for (const order of query.orderBy) {
          const c = compareForSort(this.value(a, order.path), this.value(b, order.path), order);
          if (c !== 0) return c;
        }
        return 0;
      });
    }
    const start = query.offset ?? 0;
    return rows.slice(start, query.limit === null ? undefined : start + query.limit);
  }

  private placeField(row: Record<string, unknown>, rec: Rec, path: FieldPath, version: string): void {
    let target = row;
    let current: Rec | undefined = rec;
    for (const hop of path.hops) {
      const key = hop.relationshipName!;
      if (target[key] === null) return; // already known to be a null parent
      const parentId: StoredValue = current ? current[hop.name] : null;
      const parent: Rec | undefined = parentId ? this.org.get(hop.referenceTo[0], String(parentId), true) : undefined;
      if (!parent) {
        target[key] = null;
        return;
      }
      if (target[key] === undefined) target[key] = { attributes: attributes(hop.referenceTo[0], parent.Id as string, version) };
      target = target[key] as Record<string, unknown>;
      current = parent;
    }
    target[path.field.name] = toRest(path.field, current![path.field.name] ?? null);
  }

  /** Bulk CSV columns: canonical names, parents dotted (Account.Name). */
  csvColumns(query: Query): string[] {
    return query.select.map((item) => (item.kind === 'field' ? [...item.path.hops.map((h) => h.relationshipName), item.path.field.name].join('.') : ''));
  }

  csvRow(query: Query, rec: Rec): string[] {
    return query.select.map((item) => (item.kind === 'field' ? toCsvText(item.path.field, this.value(rec, item.path)) : ''));
  }
}

export function attributes(type: string, id: string, version: string): { type: string; url: string } {
  return { type, url: `/services/data/v${version}/sobjects/${type}/${id}` };
}

function comparable(value: StoredValue, field: FieldDef): number | string | boolean | null {
  if (value === null || value === undefined) return null;
  if (field.type === 'date') return Date.parse(`${value}T00:00:00Z`);
  if (typeof value === 'string') return field.type === 'id' || field.type === 'reference' ? value : value.toLowerCase();
  return value;
}

function literalValue(literal: Literal, field: FieldDef): number | string | boolean | null {
  switch (literal.kind) {
    case 'null':
      return null;
    case 'boolean':
      return literal.value;
    case 'number':
      return literal.value;
    case 'datetime':
      return literal.value;
    case 'date':
      return Date.parse(`${literal.value}T00:00:00Z`);
    case 'string':
      if (field.type === 'id' || field.type === 'reference') return /^[a-zA-Z0-9]{15}$/.test(literal.value) ? to18(literal.value) : literal.value;
      return literal.value.toLowerCase();
    case 'range':
      return literal.start;
  }
}

function compare(value: StoredValue, op: string, literal: Literal, field: FieldDef): boolean {
  const v = comparable(value, field);
  if (literal.kind === 'null') return op === '=' ? v === null : op === '!=' ? v !== null : false;
  if (v === null) return op === '!=';
  if (literal.kind === 'range') {
    const n = v as number;
    switch (op) {
      case '=': return n >= literal.start && n < literal.end;
      case '!=': return !(n >= literal.start && n < literal.end);
      case '<': return n < literal.start;
      case '<=': return n < literal.end;
      case '>': return n >= literal.end;
      case '>=': return n >= literal.start;
    }
  }
  const l = literalValue(literal, field);
  switch (op) {
    case '=': return v === l;
    case '!=': return v !== l;
    case '<': return (v as number) < (l as number);
    case '<=': return (v as number) <= (l as number);
    case '>': return (v as number) > (l as number);
    case '>=': return (v as number) >= (l as number);
  }
  return false;
}

/** ORDER BY: nulls placed as asked (default: first ascending, last descending), the rest in the direction. */
function compareForSort(a: StoredValue, b: StoredValue, order: { path: FieldPath; descending: boolean; nullsLast: boolean }): number {
  const x = comparable(a, order.path.field);
  const y = comparable(b, order.path.field);
  if (x === null && y === null) return 0;
  if (x === null) return order.nullsLast ? 1 : -1;
  if (y === null) return order.nullsLast ? -1 : 1;
  const c = x < y ? -1 : x > y ? 1 : 0;
  return order.descending ? -c : c;
}
