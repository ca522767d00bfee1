import type { FieldDef, ObjectDef, Schema } from './metadata';
import { parseDateTime } from './values';

/** A SOQL error as Salesforce reports it: MALFORMED_QUERY, INVALID_FIELD or INVALID_TYPE, with the caret message. */
export class SoqlError extends Error {
  constructor(readonly errorCode: 'MALFORMED_QUERY' | 'INVALID_FIELD' | 'INVALID_TYPE', message: string) {
    super(message);
  }
}

type TokenType = 'ident' | 'string' | 'number' | 'datetime' | 'date' | 'op' | 'punct' | 'eof';
interface Token {
  type: TokenType;
  value: string;
  pos: number;
}

const KEYWORDS = new Set(['select', 'from', 'where', 'and', 'or', 'not', 'in', 'like', 'includes', 'excludes', 'order', 'by', 'asc', 'desc', 'nulls', 'first', 'last', 'limit', 'offset', 'null', 'true', 'false', 'for', 'update', 'view', 'reference', 'count', 'group', 'having', 'typeof', 'using', 'scope', 'with']);

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const rest = text.slice(i);
    const dt = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})/.exec(rest);
    if (dt) {
      tokens.push({ type: 'datetime', value: dt[0], pos: i });
      i += dt[0].length;
      continue;
    }
    const d = /^\d{4}-\d{2}-\d{2}(?![\dT])/.exec(rest);
    if (d) {
      tokens.push({ type: 'date', value: d[0], pos: i });
      i += d[0].length;
      continue;
    }
    const num = /^-?\d+(?:\.\d+)?/.exec(rest);
    if (num && (c !== '-' || /[\s(,=<>]/.test(text[i - 1] ?? ' '))) {
      tokens.push({ type: 'number', value: num[0], pos: i });
      i += num[0].length;
      continue;
    }
    if (c === "'") {
      let value = '';
      let j = i + 1;
      for (; j < text.length; j++) {
        const ch = text[j];
        if (ch === '\\') {
          const next = text[++j];
          const escapes: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', "'": "'", '"': '"', '\\': '\\', '%': '\\%', _: '\\_' };
          if (next === undefined || escapes[next] === undefined) throw malformed(text, j, `Invalid string literal '${text.slice(i, j + 1)}'. Illegal escape sequence '\\${next ?? ''}'`);
          value += escapes[next];
        } else if (ch === "'") {
          break;
        } else {
          value += ch;
        }
      }
      if (j >= text.length) throw malformed(text, i, 'unexpected end of string literal');
      tokens.push({ type: 'string', value, pos: i });
      i = j + 1;
      continue;
    }
    const op = /^(!=|<>|<=|>=|=|<|>)/.exec(rest);
    if (op) {
      tokens.push({ type: 'op', value: op[0] === '<>' ? '!=' : op[0], pos: i });
      i += op[0].length;
      continue;
    }
    if ('(),.:'.includes(c)) {
      tokens.push({ type: 'punct', value: c, pos: i });
      i++;
      continue;
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    if (ident) {
      tokens.push({ type: 'ident', value: ident[0], pos: i });
      i += ident[0].length;
      continue;
    }
    throw malformed(text, i, `unexpected token: '${c}'`);
  }
  tokens.push({ type: 'eof', value: '', pos: text.length });
  return tokens;
}

function caret(text: string, pos: number): string {
  const before = text.slice(0, pos);
  const row = before.split('\n').length;
  const column = pos - before.lastIndexOf('\n');
  return `\n${text}\n${' '.repeat(Math.max(0, column - 1))}^\nERROR at Row:${row}:Column:${column}\n`;
}

function malformed(text: string, pos: number, message: string): SoqlError {
  return new SoqlError('MALFORMED_QUERY', `${caret(text, pos)}${message}`);
}

// ---------------------------------------------------------------------------------------------------------
// AST

export type Literal =
  | { kind: 'null' }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'datetime'; value: number }
  | { kind: 'date'; value: string }
  | { kind: 'range'; start: number; end: number; label: string };

export interface FieldPath {
  /** Relationship hops (resolved reference fields), then the final field. */
  hops: FieldDef[];
  field: FieldDef;
  /** As written in the query, for the response keys. */
  text: string;
}

export type Condition =
  | { kind: 'and' | 'or'; items: Condition[] }
  | { kind: 'not'; item: Condition }
  | { kind: 'compare'; path: FieldPath; op: '=' | '!=' | '<' | '<=' | '>' | '>='; value: Literal }
  | { kind: 'in'; path: FieldPath; negated: boolean; values: Literal[] | null; subquery: Query | null }
  | { kind: 'like'; path: FieldPath; pattern: RegExp }
  | { kind: 'includes'; path: FieldPath; negated: boolean; values: string[][] };

export type SelectItem =
  | { kind: 'field'; path: FieldPath }
  | { kind: 'count'; alias: string; field: FieldPath | null }
  | { kind: 'subquery'; relationshipName: string; childObject: ObjectDef; parentField: FieldDef; query: Query };

export interface OrderItem {
  path: FieldPath;
  descending: boolean;
  nullsLast: boolean;
}

export interface Query {
  object: ObjectDef;
  select: SelectItem[];
  where: Condition | null;
  orderBy: OrderItem[];
  limit: number | null;
  offset: number | null;
  /** SELECT COUNT() FROM …: only totalSize. */
  countOnly: boolean;
  aggregate: boolean;
}

// ---------------------------------------------------------------------------------------------------------
// parser

class Parser {
  private i = 0;
  constructor(private readonly text: string, private readonly tokens: Token[], private readonly schema: Schema) {}

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.i + offset, this.tokens.length - 1)];
  }
  private next(): Token {
    return this.tokens[this.i++];
  }
  private isKeyword(word: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.type === 'ident' && t.value.toLowerCase() === word;
  }
  private expectKeyword(word: string): void {
    if (!this.isKeyword(word)) throw this.unexpected();
    this.i++;
  }
  private expectPunct(p: string): void {
    const t = this.peek();
    if (t.type !== 'punct' || t.value !== p) throw this.unexpected();
    this.i++;
  }
  private unexpected(): SoqlError {
    const t = this.peek();
    return malformed(this.text, t.pos, t.type === 'eof' ? 'unexpected token: <EOF>' : `unexpected token: ${t.type === 'string' ? `'${t.value}'` : t.value}`);
  }

  parseQuery(parent?: { object: ObjectDef }, nested = false): { query: Query; relationshipName?: string; parentField?: FieldDef } {
    this.expectKeyword('select');
    const items: Array<{ kind: 'path'; parts: Token[] } | { kind: 'count'; field: Token[] | null; alias: string | null } | { kind: 'sub'; start: number }> = [];
    for (;;) {
      if (this.isKeyword('count') && this.peek(1).value === '(') {
        this.i += 2;
        let field: Token[] | null = null;
        if (this.peek().value !== ')') field = this.readPath();
        this.expectPunct(')');
        let alias: string | null = null;
        if (this.peek().type === 'ident' && !this.isKeyword('from') && this.peek().value !== ',') alias = this.next().value;
        items.push({ kind: 'count', field, alias });
      } else if (this.peek().value === '(' && this.peek().type === 'punct') {
        if (parent) throw this.unexpected();
        items.push({ kind: 'sub', start: this.i });
        this.skipParens();
      } else if (this.peek().type === 'ident' && !KEYWORDS.has(this.peek().value.toLowerCase())) {
        items.push({ kind: 'path', parts: this.readPath() });
      } else if (this.peek().type === 'ident' && ['name', 'type', 'owner', 'first', 'last', 'group', 'order'].includes(this.peek().value.toLowerCase()) && !this.isKeyword('from')) {
        items.push({ kind: 'path', parts: this.readPath() });
      } else {
        throw this.unexpected();
      }
      if (this.peek().value === ',' && this.peek().type === 'punct') {
        this.i++;
        continue;
      }
      break;
    }
    this.expectKeyword('from');
    const fromToken = this.next();
    if (fromToken.type !== 'ident') throw this.unexpected();

    let object: ObjectDef | undefined;
    let relationshipName: string | undefined;
    let parentField: FieldDef | undefined;
    if (parent) {
      const relation = parent.object.childRelationships.find((r) => r.relationshipName.toLowerCase() === fromToken.value.toLowerCase());
      if (!relation) {
        throw new SoqlError('INVALID_TYPE', `${caret(this.text, fromToken.pos)}Didn't understand relationship '${fromToken.value}' in FROM part of query call. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.`);
      }
      object = this.schema.object(relation.childSObject)!;
      relationshipName = relation.relationshipName;
      parentField = object.fields.get(relation.field.toLowerCase())!;
    } else {
      object = this.schema.object(fromToken.value);
      if (!object) {
        throw new SoqlError('INVALID_TYPE', `${caret(this.text, fromToken.pos)}sObject type '${fromToken.value}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.`);
      }
    }
    // An alias after FROM (SELECT c.Id FROM Contact c) is accepted and stripped from paths.
    let alias: string | null = null;
    if (this.peek().type === 'ident' && !KEYWORDS.has(this.peek().value.toLowerCase())) alias = this.next().value.toLowerCase();

    const select: SelectItem[] = [];
    let countOnly = false;
    let aggregate = false;
    let exprIndex = 0;
    for (const item of items) {
      if (item.kind === 'path') select.push({ kind: 'field', path: this.resolvePath(object, item.parts, alias) });
      else if (item.kind === 'count') {
        if (item.field === null && items.length === 1) countOnly = true;
        else aggregate = true;
        select.push({ kind: 'count', alias: item.alias ?? `expr${exprIndex++}`, field: item.field ? this.resolvePath(object, item.field, alias) : null });
      } else {
        const saved = this.i;
        this.i = item.start + 1;
        const sub = this.parseQuery({ object });
        this.expectPunct(')');
        this.i = saved;
        select.push({ kind: 'subquery', relationshipName: sub.relationshipName!, childObject: sub.query.object, parentField: sub.parentField!, query: sub.query });
      }
    }
    if (aggregate && select.some((s) => s.kind !== 'count')) {
      throw malformed(this.text, 0, 'Field must be grouped or aggregated');
    }

    let where: Condition | null = null;
    if (this.isKeyword('where')) {
      this.i++;
      where = this.parseOr(object, alias);
    }
    if (this.isKeyword('with') || this.isKeyword('group') || this.isKeyword('having') || this.isKeyword('using')) {
      throw malformed(this.text, this.peek().pos, `unsupported clause: ${this.peek().value.toUpperCase()} (the emulator does not implement it)`);
    }
    const orderBy: OrderItem[] = [];
    if (this.isKeyword('order')) {
      this.i++;
      this.expectKeyword('by');
      for (;;) {
        const path = this.resolvePath(object, this.readPath(), alias);
        let descending = false;
        if (this.isKeyword('asc')) this.i++;
        else if (this.isKeyword('desc')) {
          this.i++;
          descending = true;
        }
        let nullsLast = descending;
        if (this.isKeyword('nulls')) {
          this.i++;
          if (this.isKeyword('first')) nullsLast = false;
          else if (this.isKeyword('last')) nullsLast = true;
          else throw this.unexpected();
          this.i++;
        }
        orderBy.push({ path, descending, nullsLast });
        if (this.peek().value === ',' && this.peek().type === 'punct') {
          this.i++;
          continue;
        }
        break;
      }
    }
    let limit: number | null = null;
    let offset: number | null = null;
    if (this.isKeyword('limit')) {
      this.i++;
      limit = this.readInteger();
    }
    if (this.isKeyword('offset')) {
      this.i++;
      offset = this.readInteger();
      if (offset > 2000) throw new SoqlError('MALFORMED_QUERY', 'Maximum SOQL offset allowed is 2000');
    }
    if (this.isKeyword('for')) {
      this.i++;
      if (!this.isKeyword('update') && !this.isKeyword('view') && !this.isKeyword('reference')) throw this.unexpected();
      this.i++;
    }
    if (!parent && !nested && this.peek().type !== 'eof') throw this.unexpected();
    return { query: { object, select, where, orderBy, limit, offset, countOnly, aggregate }, relationshipName, parentField };
  }

  private readInteger(): number {
    const t = this.next();
    if (t.type !== 'number' || !/^\d+$/.test(t.value)) {
      this.i--;
      throw this.unexpected();
    }
    return Number(t.value);
  }

  private skipParens(): void {
    let depth = 0;
    do {
      const t = this.next();
      if (t.type === 'eof') throw malformed(this.text, t.pos, 'unexpected token: <EOF>');
      if (t.type === 'punct' && t.value === '(') depth++;
      if (t.type === 'punct' && t.value === ')') depth--;
    } while (depth > 0);
  }

  private readPath(): Token[] {
    const parts = [this.next()];
    if (parts[0].type !== 'ident') {
      this.i--;
      throw this.unexpected();
    }
    while (this.peek().value === '.' && this.peek().type === 'punct') {
      this.i++;
      const t = this.next();
      if (t.type !== 'ident') {
        this.i--;
        throw this.unexpected();
      }
      parts.push(t);
    }
    return parts;
  }

  resolvePath(object: ObjectDef, parts: Token[], alias: string | null): FieldPath {
    let tokens = parts;
    if (alias && tokens.length > 1 && tokens[0].value.toLowerCase() === alias) tokens = tokens.slice(1);
    if (tokens.length > 6) throw malformed(this.text, tokens[0].pos, 'a relationship path may have at most 5 levels');
    const hops: FieldDef[] = [];
    let current = object;
    for (let k = 0; k < tokens.length - 1; k++) {
      const rel = current.parentRelationships.get(tokens[k].value.toLowerCase());
      if (!rel) throw this.noSuchColumn(tokens[k], current);
      hops.push(rel);
      current = this.schema.object(rel.referenceTo[0])!;
    }
    const last = tokens[tokens.length - 1];
    const field = current.fields.get(last.value.toLowerCase());
    if (!field) throw this.noSuchColumn(last, current);
    return { hops, field, text: tokens.map((t) => t.value).join('.') };
  }

  private noSuchColumn(token: Token, object: ObjectDef): SoqlError {
    return new SoqlError(
      'INVALID_FIELD',
      `${caret(this.text, token.pos)}No such column '${token.value}' on entity '${object.name}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`,
    );
  }

  private parseOr(object: ObjectDef, alias: string | null): Condition {
    const items = [this.parseAnd(object, alias)];
    while (this.isKeyword('or')) {
      this.i++;
      items.push(this.parseAnd(object, alias));
    }
    return items.length === 1 ? items[0] : { kind: 'or', items };
  }

  private parseAnd(object: ObjectDef, alias: string | null): Condition {
    const items = [this.parseNot(object, alias)];
    while (this.isKeyword('and')) {
      this.i++;
      items.push(this.parseNot(object, alias));
    }
    return items.length === 1 ? items[0] : { kind: 'and', items };
  }

  private parseNot(object: ObjectDef, alias: string | null): Condition {
    if (this.isKeyword('not')) {
      this.i++;
      return { kind: 'not', item: this.parseNot(object, alias) };
    }
    if (this.peek().type === 'punct' && this.peek().value === '(') {
      this.i++;
      const inner = this.parseOr(object, alias);
      this.expectPunct(')');
      return inner;
    }
    return this.parseComparison(object, alias);
  }

  private parseComparison(object: ObjectDef, alias: string | null): Condition {
    const path = this.resolvePath(object, this.readPath(), alias);
    const t = this.peek();
    if (t.type === 'op') {
      this.i++;
      return { kind: 'compare', path, op: t.value as '=', value: this.parseLiteral(path) };
    }
    let negated = false;
    if (this.isKeyword('not') && (this.isKeyword('in', 1) || this.isKeyword('like', 1))) {
      negated = true;
      this.i++;
    }
    if (this.isKeyword('in')) {
      this.i++;
      this.expectPunct('(');
      if (this.isKeyword('select')) {
        const sub = this.parseQuery(undefined, true);
        this.expectPunct(')');
        if (sub.query.select.length !== 1 || sub.query.select[0].kind !== 'field') throw malformed(this.text, t.pos, 'a semi-join selects exactly one field');
        return { kind: 'in', path, negated, values: null, subquery: sub.query };
      }
      const values: Literal[] = [];
      for (;;) {
        values.push(this.parseLiteral(path));
        if (this.peek().value === ',' && this.peek().type === 'punct') {
          this.i++;
          continue;
        }
        break;
      }
      this.expectPunct(')');
      return { kind: 'in', path, negated, values, subquery: null };
    }
    if (this.isKeyword('like')) {
      this.i++;
      const pattern = this.next();
      if (pattern.type !== 'string') {
        this.i--;
        throw this.unexpected();
      }
      const like: Condition = { kind: 'like', path, pattern: likeToRegExp(pattern.value) };
      return negated ? { kind: 'not', item: like } : like;
    }
    if (this.isKeyword('includes') || this.isKeyword('excludes')) {
      const excludes = this.isKeyword('excludes');
      this.i++;
      this.expectPunct('(');
      const values: string[][] = [];
      for (;;) {
        const s = this.next();
        if (s.type !== 'string') {
          this.i--;
          throw this.unexpected();
        }
        values.push(s.value.split(';').map((v) => v.trim().toLowerCase()));
        if (this.peek().value === ',' && this.peek().type === 'punct') {
          this.i++;
          continue;
        }
        break;
      }
      this.expectPunct(')');
      return { kind: 'includes', path, negated: excludes, values };
    }
    throw this.unexpected();
  }

  private parseLiteral(path: FieldPath): Literal {
    const t = this.next();
    const type = path.field.type;
    switch (t.type) {
      case 'string':
        if (['int', 'double', 'currency', 'percent', 'boolean', 'date', 'datetime'].includes(type)) {
          throw new SoqlError('INVALID_FIELD', `${caret(this.text, t.pos)}value of filter criterion for field '${path.field.name}' must be of type ${type} and should not be enclosed in quotes`);
        }
        return { kind: 'string', value: t.value };
      case 'number':
        return { kind: 'number', value: Number(t.value) };
      case 'datetime': {
        if (type === 'date') throw new SoqlError('INVALID_FIELD', `${caret(this.text, t.pos)}value of filter criterion for field '${path.field.name}' must be of type date and should not be enclosed in quotes`);
        return { kind: 'datetime', value: parseDateTime(t.value)! };
      }
      case 'date':
        if (type === 'datetime') {
          throw new SoqlError('INVALID_FIELD', `${caret(this.text, t.pos)}value of filter criterion for field '${path.field.name}' must be of type dateTime and should not be enclosed in quotes`);
        }
        return { kind: 'date', value: t.value };
      case 'ident': {
        const word = t.value.toLowerCase();
        if (word === 'null') return { kind: 'null' };
        if (word === 'true' || word === 'false') return { kind: 'boolean', value: word === 'true' };
        const range = dateLiteral(t.value, this.peek().value === ':' ? (this.i++, this.readInteger()) : null);
        if (range) return range;
        break;
      }
    }
    this.i--;
    throw this.unexpected();
  }
}

function likeToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\' && (pattern[i + 1] === '%' || pattern[i + 1] === '_')) {
      source += pattern[++i];
    } else if (c === '%') source += '.*';
    else if (c === '_') source += '.';
    else source += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 'is');
}

const DAY = 86_400_000;

function startOfDay(ms: number): number {
  return Math.floor(ms / DAY) * DAY;
}

function dateLiteral(word: string, n: number | null): Literal | null {
  const today = startOfDay(Date.now());
  const upper = word.toUpperCase();
  switch (upper) {
    case 'TODAY':
      return { kind: 'range', start: today, end: today + DAY, label: upper };
    case 'YESTERDAY':
      return { kind: 'range', start: today - DAY, end: today, label: upper };
    case 'TOMORROW':
      return { kind: 'range', start: today + DAY, end: today + 2 * DAY, label: upper };
    case 'LAST_N_DAYS':
      return n === null ? null : { kind: 'range', start: today - n * DAY, end: today + DAY, label: `${upper}:${n}` };
    case 'NEXT_N_DAYS':
      return n === null ? null : { kind: 'range', start: today + DAY, end: today + (n + 1) * DAY, label: `${upper}:${n}` };
    case 'LAST_N_HOURS':
      return n === null ? null : { kind: 'range', start: Date.now() - n * 3_600_000, end: Date.now(), label: `${upper}:${n}` };
  }
  return null;
}

export function parseSoql(text: string, schema: Schema): Query {
  if (text.length > 100_000) throw new SoqlError('MALFORMED_QUERY', 'Query is too long');
  const parser = new Parser(text, tokenize(text), schema);
  return parser.parseQuery().query;
}
