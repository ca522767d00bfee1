import { randomBytes } from 'node:crypto';
import { HttpError, restError } from './http';
import { IdGenerator, isValidIdShape, to18 } from './ids';
import { describeObject, globalDescribeEntry } from './metadata';
import { MultipleMatches, Org, Transaction, WriteContext } from './org';
import { QueryEngine, attributes } from './query-engine';
import { queryColumns } from './query-columns';
import { deletedRecords, updatedRecords } from './replication';
import { Query, SoqlError, parseSoql } from './soql';
import { search } from './sosl';
import { SaveError, SaveFailure, saveError, toRest } from './values';

export interface RestResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface RestContext {
  version: string;
  write: WriteContext;
  /** Set inside /composite with allOrNone: writes join that transaction instead of committing on their own. */
  tx?: Transaction;
  headers: Record<string, string | string[] | undefined>;
  /** The caller's identity URL (absolute), listed among the resources. */
  identityUrl?: string;
}

export interface RestCall {
  method: string;
  /** The path after /services/data/vXX.X/, without a leading slash. */
  path: string;
  query: URLSearchParams;
  body: unknown;
}

interface Cursor {
  ids: string[];
  query: Query;
  includeDeleted: boolean;
  version: string;
  createdAt: number;
  pageSize: number;
}

export interface RestFaults {
  /** Probability that a record of a write fails with UNABLE_TO_LOCK_ROW. */
  lockRowRate: number;
  /** Every record of a write fails with this error (a validation rule or trigger refusing it), at this rate. */
  recordError?: { statusCode: string; message: string; rate: number } | null;
}

const MAX_CURSORS = 5000;
const CURSOR_LIFETIME_MS = 2 * 24 * 3600_000;
const ALL_OR_NONE: SaveError = saveError('ALL_OR_NONE_OPERATION_ROLLED_BACK', 'Record rolled back because not all records were valid and the request was using AllOrNone header');

function saveFailureToError(failure: SaveFailure): HttpError {
  return new HttpError(failure.httpStatus, failure.errors.map((e) => ({ message: e.message, errorCode: e.statusCode, fields: e.fields })));
}

export class RestApi {
  readonly engine: QueryEngine;
  private readonly cursors = new Map<string, Cursor>();
  private readonly cursorIds = new IdGenerator('0rs');

  /** `prefix`: where this API lives under /services/data/vXX.X/ (`tooling/` for the Tooling API). */
  constructor(private readonly org: Org, private readonly faults: RestFaults, private readonly prefix = '') {
    this.engine = new QueryEngine(org);
  }

  handle(call: RestCall, ctx: RestContext): RestResult {
    try {
      return this.route(call, ctx);
    } catch (error) {
      if (error instanceof SaveFailure) throw saveFailureToError(error);
      if (error instanceof SoqlError) throw restError(400, error.errorCode, error.message);
      if (error instanceof MultipleMatches) {
        throw new HttpError(300, error.ids.map((id) => `/services/data/v${ctx.version}/sobjects/${error.objectName}/${id}`));
      }
      throw error;
    }
  }

  private route(call: RestCall, ctx: RestContext): RestResult {
    const parts = call.path.split('/').filter(Boolean).map(decodeURIComponent);
    const [head, ...rest] = parts;
    const v = ctx.version;
    switch (head) {
      case undefined:
        return { status: 200, body: this.resources(v, ctx.identityUrl) };
      case 'sobjects':
        return this.sobjects(call, rest, ctx);
      case 'query':
      case 'queryAll':
        if (call.method !== 'GET') throw this.methodNotAllowed(call.method, 'GET,HEAD');
        if (rest.length > 0) return this.queryMore(rest[0], ctx);
        if (call.query.get('columns') === 'true') return { status: 200, body: queryColumns(parseSoql(requireQuery(call.query.get('q')), this.org.schema)) };
        return this.query(call.query.get('q'), head === 'queryAll', ctx);
      case 'composite':
        if (rest[0] === 'sobjects') return this.collections(call, rest.slice(1), ctx);
        if (rest.length === 0 && call.method === 'POST') return this.composite(call, ctx);
        if (rest[0] === 'batch' && call.method === 'POST') return this.batch(call, ctx);
        throw restError(404, 'NOT_FOUND', 'The requested resource does not exist');
      case 'search':
        if (call.method !== 'GET' || rest.length > 0) throw restError(404, 'NOT_FOUND', 'The requested resource does not exist');
        return { status: 200, body: search(this.org, this.engine, this.org.schema, call.query.get('q'), v) };
      case 'limits':
        throw new Error('limits are answered by the server');
      default:
        throw restError(404, 'NOT_FOUND', 'The requested resource does not exist');
    }
  }

  private methodNotAllowed(method: string, allowed: string): HttpError {
    return restError(405, 'METHOD_NOT_ALLOWED', `HTTP Method '${method}' not allowed. Allowed are ${allowed}`);
  }

  /** The resources this emulator serves (a real org lists dozens more; none is listed here that would answer 404). */
  resources(v: string, identityUrl?: string): Record<string, string> {
    const base = `/services/data/v${v}`;
    const out: Record<string, string> = {};
    for (const name of ['tooling', 'queryAll', 'search', 'composite', 'limits', 'query', 'sobjects']) out[name] = `${base}/${name}`;
    if (identityUrl) out.identity = identityUrl;
    return out;
  }

  // ---------------------------------------------------------------------------------------------------------
  // sobjects

  private sobjects(call: RestCall, parts: string[], ctx: RestContext): RestResult {
    const v = ctx.version;
    if (parts.length === 0) {
      if (call.method !== 'GET') throw this.methodNotAllowed(call.method, 'GET,HEAD');
      return { status: 200, body: { encoding: 'UTF-8', maxBatchSize: 200, sobjects: [...this.org.schema.objects.values()].map((o) => globalDescribeEntry(o, v)) } };
    }
    const object = this.org.schema.object(parts[0]);
    if (!object) throw restError(404, 'NOT_FOUND', 'The requested resource does not exist');
    if (parts.length === 1) {
      if (call.method === 'GET') {
        return { status: 200, body: { objectDescribe: globalDescribeEntry(object, v), recentItems: [] } };
      }
      if (call.method === 'POST') {
        const body = asObject(call.body);
        const id = this.write(ctx, (tx) => {
          this.maybeLock(undefined);
          return this.org.insert(tx, object.name, body);
        });
        return { status: 201, body: { id, success: true, errors: [] }, headers: { Location: `/services/data/v${v}/sobjects/${object.name}/${id}` } };
      }
      throw this.methodNotAllowed(call.method, 'GET,HEAD,POST');
    }
    if (parts[1] === 'describe' && parts.length === 2) {
      if (call.method !== 'GET') throw this.methodNotAllowed(call.method, 'GET,HEAD');
      return { status: 200, body: describeObject(object, v) };
    }
    if (parts.length === 2 && (parts[1] === 'updated' || parts[1] === 'deleted')) {
      if (call.method !== 'GET') throw this.methodNotAllowed(call.method, 'GET,HEAD');
      return { status: 200, body: parts[1] === 'updated' ? updatedRecords(this.org, object, call.query) : deletedRecords(this.org, object, call.query) };
    }
    if (parts.length === 2) {
      const id = parts[1];
      switch (call.method) {
        case 'GET': {
          const rec = this.recordOr404(object.name, id);
          return { status: 200, body: this.recordBody(object.name, rec, call.query.get('fields'), v) };
        }
        case 'PATCH':
          this.write(ctx, (tx) => {
            this.maybeLock(id);
            this.org.update(tx, object.name, id, asObject(call.body));
          });
          return { status: 204 };
        case 'DELETE':
          this.write(ctx, (tx) => this.org.delete(tx, object.name, id));
          return { status: 204 };
        default:
          throw this.methodNotAllowed(call.method, 'GET,HEAD,PATCH,DELETE');
      }
    }
    if (parts.length === 3) {
      const [, fieldName, value] = parts;
      const def = object.fields.get(fieldName.toLowerCase());
      if (!def || !(def.externalId || def.idLookup)) {
        throw restError(404, 'NOT_FOUND', `Provided external ID field does not exist or is not accessible: ${fieldName}`);
      }
      switch (call.method) {
        case 'GET': {
          const ids = this.org.findBy(object.name, def.name, value);
          if (ids.length === 0) throw restError(404, 'NOT_FOUND', 'The requested resource does not exist');
          if (ids.length > 1) throw new MultipleMatches(object.name, ids);
          return { status: 200, body: this.recordBody(object.name, this.org.get(object.name, ids[0])!, call.query.get('fields'), v) };
        }
        case 'PATCH': {
          const updateOnly = call.query.get('updateOnly') === 'true';
          const result = this.write(ctx, (tx) => {
            if (updateOnly && this.org.findBy(object.name, def.name, value).length === 0) {
              throw new SaveFailure([saveError('NOT_FOUND', 'The requested resource does not exist')], 404);
            }
            this.maybeLock(undefined);
            return this.org.upsert(tx, object.name, def.name, value, asObject(call.body));
          });
          if (!result.created && Number(v) < 46) return { status: 204 };
          return { status: result.created ? 201 : 200, body: { id: result.id, success: true, errors: [], created: result.created } };
        }
        case 'DELETE': {
          const ids = this.org.findBy(object.name, def.name, value);
          if (ids.length === 0) throw restError(404, 'NOT_FOUND', 'The requested resource does not exist');
          if (ids.length > 1) throw new MultipleMatches(object.name, ids);
          this.write(ctx, (tx) => this.org.delete(tx, object.name, ids[0]));
          return { status: 204 };
        }
        default:
          throw this.methodNotAllowed(call.method, 'GET,HEAD,PATCH,DELETE');
      }
    }
    throw restError(404, 'NOT_FOUND', 'The requested resource does not exist');
  }

  private recordOr404(objectName: string, id: string) {
    if (!isValidIdShape(id)) {
      throw restError(400, 'MALFORMED_ID', `${objectName} ID: id value of incorrect type: ${id}`, ['Id']);
    }
    const rec = this.org.get(objectName, id, true);
    if (!rec) throw restError(404, 'NOT_FOUND', 'The requested resource does not exist');
    if (rec.IsDeleted) throw restError(404, 'ENTITY_IS_DELETED', 'entity is deleted');
    return rec;
  }

  private recordBody(objectName: string, rec: Record<string, unknown>, fieldsParam: string | null, v: string): Record<string, unknown> {
    const object = this.org.schema.object(objectName)!;
    const names = fieldsParam ? fieldsParam.split(',').map((f) => f.trim()).filter(Boolean) : object.fieldOrder;
    const body: Record<string, unknown> = { attributes: attributes(object.name, rec.Id as string, v) };
    for (const name of names) {
      const def = object.fields.get(name.toLowerCase());
      if (!def) throw restError(400, 'INVALID_FIELD', `No such column '${name}' on sobject of type ${object.name}`);
      body[def.name] = toRest(def, (rec[def.name] ?? null) as never);
    }
    return body;
  }

  /** Runs writes in the request's own transaction (committed) or the composite's (left open). */
  private write<T>(ctx: RestContext, work: (tx: Transaction) => T): T {
    if (ctx.tx) {
      const mark = savepoint(ctx.tx);
      try {
        return work(ctx.tx);
      } catch (error) {
        rollbackTo(this.org, ctx.tx, mark);
        throw error;
      }
    }
    const tx = this.org.begin(ctx.write);
    try {
      const result = work(tx);
      this.org.commit(tx);
      return result;
    } catch (error) {
      this.org.rollback(tx);
      throw error;
    }
  }

  private maybeLock(id: string | undefined): void {
    const refusal = this.faults.recordError;
    if (refusal && Math.random() < refusal.rate) throw new SaveFailure([saveError(refusal.statusCode, refusal.message)]);
    if (this.faults.lockRowRate > 0 && Math.random() < this.faults.lockRowRate) {
      throw new SaveFailure([saveError('UNABLE_TO_LOCK_ROW', `unable to obtain exclusive access to this record or 1 records: ${id ?? ''}`.trim())]);
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // query

  private query(q: string | null, includeDeleted: boolean, ctx: RestContext): RestResult {
    const query = parseSoql(requireQuery(q), this.org.schema);
    if (query.countOnly) {
      return { status: 200, body: { totalSize: this.engine.run({ ...query, limit: query.limit, offset: null }, includeDeleted).length, done: true, records: [] } };
    }
    if (query.aggregate) {
      const ids = this.engine.run(query, includeDeleted);
      const row: Record<string, unknown> = { attributes: { type: 'AggregateResult' } };
      for (const item of query.select) {
        if (item.kind !== 'count') continue;
        row[item.alias] = item.field ? ids.filter((id) => this.engine.value(this.org.get(query.object.name, id, true)!, item.field!) !== null).length : ids.length;
      }
      return { status: 200, body: { totalSize: 1, done: true, records: [row] } };
    }
    const ids = this.engine.run(query, includeDeleted);
    const pageSize = batchSize(ctx.headers['sforce-query-options']);
    const cursor: Cursor = { ids, query, includeDeleted, version: ctx.version, createdAt: Date.now(), pageSize };
    return { status: 200, body: this.page(cursor, 0, ctx.version) };
  }

  private page(cursor: Cursor, offset: number, version: string): Record<string, unknown> {
    const slice = cursor.ids.slice(offset, offset + cursor.pageSize);
    const records = slice.map((id) => this.engine.restRow(cursor.query, this.org.get(cursor.query.object.name, id, true)!, version));
    const done = offset + slice.length >= cursor.ids.length;
    const body: Record<string, unknown> = { totalSize: cursor.ids.length, done };
    if (!done) {
      const cursorId = this.saveCursor(cursor);
      body.nextRecordsUrl = `/services/data/v${version}/${this.prefix}query/${cursorId}-${offset + slice.length}`;
    }
    body.records = records;
    return body;
  }

  private saveCursor(cursor: Cursor): string {
    for (const [id, existing] of this.cursors) if (existing === cursor) return id;
    if (this.cursors.size >= MAX_CURSORS) {
      const oldest = this.cursors.keys().next().value as string;
      this.cursors.delete(oldest);
    }
    const id = this.cursorIds.next('01g');
    this.cursors.set(id, cursor);
    return id;
  }

  private queryMore(locator: string, ctx: RestContext): RestResult {
    const m = /^([A-Za-z0-9]{15,18})-(\d+)$/.exec(locator);
    const cursor = m ? this.cursors.get(m[1]) : undefined;
    if (!m || !cursor || Date.now() - cursor.createdAt > CURSOR_LIFETIME_MS) throw restError(400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
    const offset = Number(m[2]);
    const body = this.page(cursor, offset, ctx.version);
    if (body.done) this.cursors.delete(m[1]);
    return { status: 200, body };
  }

  // ---------------------------------------------------------------------------------------------------------
  // sObject Collections

  private collections(call: RestCall, parts: string[], ctx: RestContext): RestResult {
    if (parts.length === 0) {
      if (call.method === 'DELETE') {
        const ids = (call.query.get('ids') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
        const allOrNone = call.query.get('allOrNone') === 'true';
        this.checkCount(ids.length);
        return this.collectionWrite(ctx, ids, allOrNone, (tx, id) => {
          const target = this.org.getAny(id, true);
          if (!isValidIdShape(id)) throw new SaveFailure([saveError('MALFORMED_ID', `malformed id ${id}`, [])]);
          if (!target) throw new SaveFailure([saveError('ENTITY_IS_DELETED', 'entity is deleted', [])]);
          this.org.delete(tx, target.object.name, id);
          return { id: to18(id) };
        });
      }
      const body = asObject(call.body);
      const records = Array.isArray(body.records) ? (body.records as Record<string, unknown>[]) : null;
      if (!records) throw restError(400, 'JSON_PARSER_ERROR', 'records is required');
      this.checkCount(records.length);
      const allOrNone = body.allOrNone === true;
      if (call.method === 'POST') {
        return this.collectionWrite(ctx, records, allOrNone, (tx, record) => {
          const type = recordType(record);
          if (record.id || record.Id) throw new SaveFailure([saveError('INVALID_FIELD', 'cannot specify Id in an insert call', ['Id'])]);
          this.maybeLock(undefined);
          return { id: this.org.insert(tx, type, stripAttributes(record)) };
        }, false);
      }
      if (call.method === 'PATCH') {
        return this.collectionWrite(ctx, records, allOrNone, (tx, record) => {
          const type = recordType(record);
          const id = String(record.id ?? record.Id ?? '');
          if (!id) throw new SaveFailure([saveError('MISSING_ARGUMENT', 'Id not specified in an update call', ['Id'])]);
          this.maybeLock(id);
          this.org.update(tx, type, id, stripAttributes(record));
          return { id: to18(id) };
        });
      }
      throw this.methodNotAllowed(call.method, 'POST,PATCH,DELETE');
    }
    const object = this.org.schema.object(parts[0]);
    if (!object) throw restError(404, 'NOT_FOUND', 'The requested resource does not exist');
    if (parts.length === 1) {
      // Retrieve many: GET ?ids=&fields= or POST {ids, fields}.
      const body = call.method === 'POST' ? asObject(call.body) : {};
      const ids = call.method === 'POST' ? (body.ids as string[]) : (call.query.get('ids') ?? '').split(',').filter(Boolean);
      const fields = call.method === 'POST' ? (body.fields as string[]).join(',') : call.query.get('fields');
      if (!fields) throw restError(400, 'MISSING_ARGUMENT', 'fields is required');
      if (ids.length > 2000) throw restError(400, 'EXCEEDED_ID_LIMIT', 'too many ids');
      return { status: 200, body: ids.map((id) => { const rec = this.org.get(object.name, id); return rec ? this.recordBody(object.name, rec, fields, ctx.version) : null; }) };
    }
    if (parts.length === 2 && call.method === 'PATCH') {
      const def = object.fields.get(parts[1].toLowerCase());
      if (!def || !(def.externalId || def.idLookup)) {
        throw restError(404, 'NOT_FOUND', `Provided external ID field does not exist or is not accessible: ${parts[1]}`);
      }
      const body = asObject(call.body);
      const records = Array.isArray(body.records) ? (body.records as Record<string, unknown>[]) : null;
      if (!records) throw restError(400, 'JSON_PARSER_ERROR', 'records is required');
      this.checkCount(records.length);
      const valueOf = (record: Record<string, unknown>) => Object.entries(record).find(([k]) => k.toLowerCase() === def.name.toLowerCase())?.[1];
      const counts = new Map<string, number>();
      for (const record of records) {
        const value = valueOf(record);
        if (value !== undefined && value !== null) counts.set(String(value).toLowerCase(), (counts.get(String(value).toLowerCase()) ?? 0) + 1);
      }
      return this.collectionWrite(ctx, records, body.allOrNone === true, (tx, record) => {
        const type = recordType(record, object.name);
        if (type.toLowerCase() !== object.name.toLowerCase()) throw new SaveFailure([saveError('INVALID_TYPE', `records must all be of type ${object.name}`)]);
        if (record.id || record.Id) throw new SaveFailure([saveError('INVALID_FIELD', 'Id cannot be specified in an upsert call by external id', ['Id'])]);
        const value = valueOf(record);
        if (value !== undefined && value !== null && (counts.get(String(value).toLowerCase()) ?? 0) > 1) {
          throw new SaveFailure([saveError('DUPLICATE_EXTERNAL_ID', `Duplicate external id specified: ${String(value)}`, [def.name])]);
        }
        this.maybeLock(undefined);
        try {
          return this.org.upsert(tx, object.name, def.name, value, stripAttributes(record));
        } catch (error) {
          // (an upsert that fails keeps no id either)
          if (error instanceof MultipleMatches) {
            throw new SaveFailure([saveError('DUPLICATE_EXTERNAL_ID', `${def.name}: more than one record found for external id field: [${error.ids.join(', ')}]`, [def.name])]);
          }
          throw error;
        }
      });
    }
    throw restError(404, 'NOT_FOUND', 'The requested resource does not exist');
  }

  private checkCount(n: number): void {
    if (n > 200) throw restError(400, 'EXCEEDED_ID_LIMIT', `Maximum number of records exceeded. (${n} > 200)`);
  }

  /**
   * Per-record results in request order; failures roll back that record only, or everything with allOrNone.
   * A failed record's result has no id (Salesforce echoes none), only its errors.
   */
  private collectionWrite<T>(
    ctx: RestContext,
    items: T[],
    allOrNone: boolean,
    apply: (tx: Transaction, item: T) => { id: string; created?: boolean },
    rolledBackKeepsId = true,
  ): RestResult {
    const tx = ctx.tx ?? this.org.begin(ctx.write);
    const results: Record<string, unknown>[] = [];
    let failed = false;
    for (const item of items) {
      const mark = savepoint(tx);
      try {
        const outcome = apply(tx, item);
        results.push({ id: outcome.id, success: true, errors: [], ...(outcome.created !== undefined ? { created: outcome.created } : {}) });
      } catch (error) {
        rollbackTo(this.org, tx, mark);
        const errors = error instanceof SaveFailure ? error.errors : [saveError('UNKNOWN_EXCEPTION', String(error))];
        results.push({ success: false, errors });
        failed = true;
      }
    }
    if (failed && allOrNone) {
      if (!ctx.tx) this.org.rollback(tx);
      else throw new CompositeRollback();
      // A rolled-back insert has no id to report; updates, upserts and deletes keep theirs.
      return { status: 200, body: results.map((r) => (r.success ? { ...(rolledBackKeepsId && r.id ? { id: r.id } : {}), success: false, errors: [ALL_OR_NONE] } : r)) };
    }
    if (!ctx.tx) this.org.commit(tx);
    return { status: 200, body: results };
  }

  // ---------------------------------------------------------------------------------------------------------
  // composite

  private composite(call: RestCall, ctx: RestContext): RestResult {
    const body = asObject(call.body);
    const requests = body.compositeRequest as { method: string; url: string; referenceId: string; body?: unknown }[];
    if (!Array.isArray(requests) || requests.length === 0) throw restError(400, 'INVALID_API_INPUT', 'compositeRequest is required');
    if (requests.length > 25) throw restError(400, 'INVALID_API_INPUT', 'Composite request size limit exceeded: maximum 25 subrequests');
    for (const r of requests) {
      if (!/^[A-Za-z0-9_]+$/.test(r.referenceId ?? '')) throw restError(400, 'INVALID_API_INPUT', `Invalid referenceId: ${r.referenceId}`);
    }
    const allOrNone = body.allOrNone === true;
    const tx = this.org.begin(ctx.write);
    const results = new Map<string, unknown>();
    const responses: Record<string, unknown>[] = [];
    let failedAt = -1;
    for (const [index, request] of requests.entries()) {
      const resolved = resolveReferences(request, results);
      if (resolved === null) {
        responses.push({ body: [{ errorCode: 'PROCESSING_HALTED', message: `Invalid reference specified. No value for a reference found in ${request.referenceId}.` }], httpHeaders: {}, httpStatusCode: 400, referenceId: request.referenceId });
        if (allOrNone && failedAt < 0) failedAt = index;
        continue;
      }
      const url = new URL(resolved.url, 'http://emulator');
      const m = /^\/services\/data\/v(\d+\.\d)\/?(.*)$/.exec(url.pathname);
      let outcome: RestResult;
      try {
        if (!m) throw restError(404, 'NOT_FOUND', 'The requested resource does not exist');
        outcome = this.handle({ method: request.method.toUpperCase(), path: m[2], query: url.searchParams, body: resolved.body ?? {} }, { ...ctx, version: m[1], tx });
      } catch (error) {
        if (error instanceof CompositeRollback) {
          outcome = { status: 400, body: [{ errorCode: 'PROCESSING_HALTED', message: 'The transaction was rolled back since another operation in the same transaction failed.' }] };
        } else if (error instanceof HttpError) {
          outcome = { status: error.status, body: error.body };
        } else throw error;
      }
      responses.push({ body: outcome.body ?? null, httpHeaders: outcome.headers ?? {}, httpStatusCode: outcome.status, referenceId: request.referenceId });
      if (outcome.status < 300) results.set(request.referenceId, outcome.body);
      else if (allOrNone && failedAt < 0) failedAt = index;
      if (allOrNone && failedAt >= 0) break;
    }
    if (allOrNone && failedAt >= 0) {
      this.org.rollback(tx);
      const halted = { errorCode: 'PROCESSING_HALTED', message: 'The transaction was rolled back since another operation in the same transaction failed.' };
      const out = requests.map((request, index) =>
        index === failedAt ? responses[index] : { body: [halted], httpHeaders: {}, httpStatusCode: 400, referenceId: request.referenceId },
      );
      return { status: 200, body: { compositeResponse: out } };
    }
    this.org.commit(tx);
    return { status: 200, body: { compositeResponse: responses } };
  }

  private batch(call: RestCall, ctx: RestContext): RestResult {
    const body = asObject(call.body);
    const requests = body.batchRequests as { method: string; url: string; richInput?: unknown }[];
    if (!Array.isArray(requests) || requests.length > 25) throw restError(400, 'INVALID_API_INPUT', 'batchRequests: 1 to 25 subrequests');
    const results: { statusCode: number; result: unknown }[] = [];
    let halted = false;
    for (const request of requests) {
      if (halted) {
        results.push({ statusCode: 412, result: [{ errorCode: 'BATCH_PROCESSING_HALTED', message: 'Batch processing halted per request' }] });
        continue;
      }
      const url = new URL(request.url.startsWith('/') ? request.url : `/services/data/${request.url}`, 'http://emulator');
      const m = /^\/services\/data\/v(\d+\.\d)\/?(.*)$/.exec(url.pathname);
      try {
        if (!m) throw restError(404, 'NOT_FOUND', 'The requested resource does not exist');
        const outcome = this.handle({ method: request.method.toUpperCase(), path: m[2], query: url.searchParams, body: request.richInput ?? {} }, { ...ctx, version: m[1], tx: undefined });
        results.push({ statusCode: outcome.status, result: outcome.body ?? null });
      } catch (error) {
        if (!(error instanceof HttpError)) throw error;
        results.push({ statusCode: error.status, result: error.body });
        if (body.haltOnError === true) halted = true;
      }
    }
    return { status: 200, body: { hasErrors: results.some((r) => r.statusCode >= 400), results } };
  }
}

class CompositeRollback extends Error {}

function savepoint(tx: Transaction): { undo: number; changes: number } {
  return { undo: tx.undo.length, changes: tx.changes.length };
}

function rollbackTo(org: Org, tx: Transaction, mark: { undo: number; changes: number }): void {
  org.rollbackTo(tx, mark);
}

function requireQuery(q: string | null): string {
  if (!q) throw restError(400, 'MALFORMED_QUERY', 'A query string has to be specified');
  return q;
}

function asObject(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw restError(400, 'JSON_PARSER_ERROR', 'Expected a JSON object');
  return body as Record<string, unknown>;
}

function recordType(record: Record<string, unknown>, fallback?: string): string {
  const type = (record.attributes as { type?: string } | undefined)?.type ?? fallback;
  if (!type) throw new SaveFailure([saveError('INVALID_TYPE', 'Must specify a type in attributes')]);
  return type;
}

function stripAttributes(record: Record<string, unknown>): Record<string, unknown> {
  const { attributes: _a, ...rest } = record;
  return rest;
}

function batchSize(header: string | string[] | undefined): number {
  const value = Array.isArray(header) ? header.join(',') : header;
  const m = value ? /batchSize\s*=\s*(\d+)/i.exec(value) : null;
  if (!m) return 2000;
  return Math.min(2000, Math.max(200, Number(m[1])));
}

/** `@{ref.field}` (and `@{ref.records[0].Id}`) from earlier subrequests; null when a reference can't be resolved. */
function resolveReferences<T extends { url: string; body?: unknown }>(request: T, results: Map<string, unknown>): T | null {
  let missing = false;
  const replace = (text: string) =>
    text.replace(/@\{([A-Za-z0-9_]+)((?:\.[A-Za-z0-9_]+|\[\d+\])+)\}/g, (_m, ref: string, path: string) => {
      let value: unknown = results.get(ref);
      for (const step of path.match(/\.[A-Za-z0-9_]+|\[\d+\]/g) ?? []) {
        if (value === null || value === undefined) break;
        value = step.startsWith('[') ? (value as unknown[])[Number(step.slice(1, -1))] : (value as Record<string, unknown>)[step.slice(1)];
      }
      if (value === undefined || value === null) {
        missing = true;
        return '';
      }
      return String(value);
    });
  const url = replace(request.url);
  const body = request.body === undefined ? undefined : JSON.parse(replace(JSON.stringify(request.body)));
  return missing ? null : { ...request, url, body };
}

export function newRequestId(): string {
  return randomBytes(8).toString('hex');
}
