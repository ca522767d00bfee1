import { HttpError, JsonDecimal, restError } from './http';
import { IdGenerator } from './ids';
import { Org, Transaction, WriteContext } from './org';
import type { QueryEngine } from './query-engine';
import { Query, SoqlError, parseSoql } from './soql';
import { formatRestDateTime, SaveFailure, wholeSecondNow } from './values';
import { DELIMITERS, csvLine, parseCsv } from './csv';
import type { RestResult } from './rest';

type JobState = 'Open' | 'UploadComplete' | 'InProgress' | 'JobComplete' | 'Failed' | 'Aborted';

interface JobBase {
  id: string;
  operation: string;
  object: string;
  createdById: string;
  createdDate: number;
  systemModstamp: number;
  state: JobState;
  apiVersion: number;
  lineEnding: 'LF' | 'CRLF';
  columnDelimiter: string;
  concurrencyMode: 'Parallel';
  contentType: 'CSV';
  errorMessage?: string;
  startedAt?: number;
  finishedAt?: number;
}

interface QueryJob extends JobBase {
  kind: 'query';
  soql: string;
  parsed: Query;
  ids: string[] | null;
  columns: string[];
}

interface IngestJob extends JobBase {
  kind: 'ingest';
  externalIdFieldName: string | null;
  uploads: string[];
  header: string[] | null;
  successful: string[];
  failed: string[];
  unprocessed: string[];
  processed: number;
  failedCount: number;
  write: WriteContext;
}

type Job = QueryJob | IngestJob;

export interface BulkOptions {
  /** Time a job waits in UploadComplete and again in InProgress, so that clients' polling is exercised. */
  processingDelayMs: number;
  /** Rows of a results page when the client does not ask for maxRecords. */
  defaultMaxRecords: number;
  /** Further processing time of an ingest job of this many records (the org's latency profile), ms. */
  ingestProcessingMs?: (records: number) => number;
}

const BATCH = 10_000;

/** Bulk API 2.0: query jobs with paged CSV results and ingest jobs with per-record results, with their state machine. */
export class BulkApi {
  private readonly jobs = new Map<string, Job>();
  private readonly ids = new IdGenerator('5g0');

  constructor(private readonly org: Org, private readonly engine: QueryEngine, readonly options: BulkOptions) {}

  handle(method: string, parts: string[], query: URLSearchParams, body: Buffer, headers: Record<string, string | string[] | undefined>, version: string, write: WriteContext): RestResult {
    const [kind, id, sub] = parts;
    if (kind !== 'query' && kind !== 'ingest') throw restError(404, 'NOT_FOUND', 'The requested resource does not exist');
    if (!id) {
      if (method === 'POST') return kind === 'query' ? this.createQuery(body, version, write) : this.createIngest(body, headers, version, write);
      if (method === 'GET') {
        const records = [...this.jobs.values()].filter((j) => j.kind === kind).map((j) => this.info(j, 'listed'));
        return { status: 200, body: { done: true, records, nextRecordsUrl: null } };
      }
      throw restError(405, 'METHOD_NOT_ALLOWED', `HTTP Method '${method}' not allowed. Allowed are GET,POST`);
    }
    const job = this.jobs.get(id);
    if (!job || job.kind !== kind) throw restError(404, 'NOT_FOUND', 'The requested resource does not exist');
    if (job.apiVersion !== Number(version)) {
      throw restError(409, 'INVALIDJOBSTATE', `Job ${id} was created with API version ${job.apiVersion.toFixed(1)}; use that version`);
    }
    if (!sub) {
      if (method === 'GET') return { status: 200, body: this.info(job, 'detailed') };
      if (method === 'DELETE') {
        if (!['JobComplete', 'Failed', 'Aborted', 'UploadComplete'].includes(job.state) && job.kind === 'ingest' && job.state === 'Open') {
          throw restError(409, 'INVALIDJOBSTATE', 'Cannot delete an open job: abort it first');
        }
        this.jobs.delete(id);
        return { status: 204 };
      }
      if (method === 'PATCH') return this.patch(job, body);
      throw restError(405, 'METHOD_NOT_ALLOWED', `HTTP Method '${method}' not allowed. Allowed are GET,PATCH,DELETE`);
    }
    if (job.kind === 'query' && sub === 'results' && method === 'GET') return this.results(job, query);
    if (job.kind === 'ingest') {
      const lower = sub.toLowerCase();
      if (lower === 'batches' && method === 'PUT') return this.upload(job, body);
      if (method === 'GET' && ['successfulresults', 'failedresults', 'unprocessedrecords'].includes(lower)) return this.ingestResults(job, lower);
    }
    throw restError(404, 'NOT_FOUND', 'The requested resource does not exist');
  }

  private base(kind: 'query' | 'ingest', operation: string, object: string, version: string, write: WriteContext, options: Record<string, unknown>): JobBase {
    const delimiterName = String(options.columnDelimiter ?? 'COMMA').toUpperCase();
    if (!DELIMITERS[delimiterName]) throw restError(400, 'INVALIDJOB', `Invalid columnDelimiter: ${String(options.columnDelimiter)}`);
    const lineEnding = String(options.lineEnding ?? 'LF').toUpperCase();
    if (lineEnding !== 'LF' && lineEnding !== 'CRLF') throw restError(400, 'INVALIDJOB', `Invalid lineEnding: ${String(options.lineEnding)}`);
    const now = wholeSecondNow();
    return {
      id: this.ids.next(kind === 'query' ? '750' : '750'),
      operation,
      object,
      createdById: write.userId,
      createdDate: now,
      systemModstamp: now,
      state: kind === 'query' ? 'UploadComplete' : 'Open',
      apiVersion: Number(version),
      lineEnding,
      columnDelimiter: delimiterName,
      concurrencyMode: 'Parallel',
      contentType: 'CSV',
    };
  }

  private createQuery(body: Buffer, version: string, write: WriteContext): RestResult {
    const options = parseJsonObject(body);
    const operation = String(options.operation ?? 'query');
    if (operation !== 'query' && operation !== 'queryAll') throw restError(400, 'INVALIDJOB', `Invalid operation: ${operation}`);
    if (typeof options.query !== 'string') throw restError(400, 'INVALIDJOB', 'query is required');
    let parsed: Query;
    try {
      parsed = parseSoql(options.query, this.org.schema);
    } catch (error) {
      if (error instanceof SoqlError) throw restError(400, error.errorCode === 'MALFORMED_QUERY' ? 'INVALIDJOB' : error.errorCode, error.message);
      throw error;
    }
    if (parsed.select.some((s) => s.kind !== 'field') || parsed.offset !== null) {
      throw restError(400, 'FEATURE_NOT_ENABLED', 'Bulk API 2.0 queries do not support aggregate functions, OFFSET, TYPEOF or parent-to-child subqueries');
    }
    const job: QueryJob = { ...this.base('query', operation, parsed.object.name, version, write, options), kind: 'query', soql: options.query, parsed, ids: null, columns: this.engine.csvColumns(parsed) };
    this.jobs.set(job.id, job);
    this.schedule(job);
    return { status: 200, body: this.info(job) };
  }

  private createIngest(body: Buffer, headers: Record<string, string | string[] | undefined>, version: string, write: WriteContext): RestResult {
    if (String(headers['content-type'] ?? '').includes('multipart/form-data')) {
      throw restError(400, 'INVALIDJOB', 'multipart job creation is not supported by the emulator: create the job, then PUT the CSV to its batches');
    }
    const options = parseJsonObject(body);
    const operation = String(options.operation ?? '');
    if (!['insert', 'update', 'upsert', 'delete', 'hardDelete'].includes(operation)) throw restError(400, 'INVALIDJOB', `Invalid operation: ${operation}`);
    const object = this.org.schema.object(String(options.object ?? ''));
    if (!object) throw restError(400, 'INVALIDJOB', `Entity type '${String(options.object)}' is not supported by the Bulk API`);
    let externalIdFieldName: string | null = null;
    if (operation === 'upsert') {
      const def = object.fields.get(String(options.externalIdFieldName ?? '').toLowerCase());
      if (!def || !(def.externalId || def.idLookup)) throw restError(400, 'INVALIDJOB', `External ID field is not valid: ${String(options.externalIdFieldName)}`);
      externalIdFieldName = def.name;
    }
    const job: IngestJob = {
      ...this.base('ingest', operation, object.name, version, write, options),
      kind: 'ingest', externalIdFieldName, uploads: [], header: null, successful: [], failed: [], unprocessed: [], processed: 0, failedCount: 0,
      write: { ...write, api: 'bulkapi' },
    };
    this.jobs.set(job.id, job);
    return { status: 200, body: this.info(job) };
  }

  private upload(job: IngestJob, body: Buffer): RestResult {
    if (job.state !== 'Open') throw restError(409, 'INVALIDJOBSTATE', `Unable to upload data to a job in state ${job.state}`);
    if (body.length > 100 * 1024 * 1024) throw restError(400, 'INVALIDJOB', 'upload larger than 100 MB');
    job.uploads.push(body.toString('utf8'));
    return { status: 201 };
  }

  private patch(job: Job, body: Buffer): RestResult {
    const { state } = parseJsonObject(body);
    if (state === 'Aborted') {
      if (['JobComplete', 'Failed', 'Aborted'].includes(job.state)) throw restError(409, 'INVALIDJOBSTATE', `Cannot abort a job in state ${job.state}`);
      job.state = 'Aborted';
      job.systemModstamp = wholeSecondNow();
      if (job.kind === 'ingest') {
        const uploads = job.uploads.map((u) => this.rows(job, u)).filter((rows) => rows.length > 0);
        job.header ??= uploads[0]?.[0] ?? null;
        job.unprocessed.push(...uploads.flatMap((rows) => rows.slice(1).map((r) => csvLine(r, DELIMITERS[job.columnDelimiter], true))));
        job.uploads = [];
      }
      return { status: 200, body: this.info(job) };
    }
    if (state === 'UploadComplete' && job.kind === 'ingest') {
      if (job.state !== 'Open') throw restError(409, 'INVALIDJOBSTATE', `Cannot close a job in state ${job.state}`);
      job.state = 'UploadComplete';
      job.systemModstamp = wholeSecondNow();
      this.schedule(job);
      return { status: 200, body: this.info(job) };
    }
    throw restError(400, 'INVALIDJOB', `Invalid state: ${String(state)}`);
  }

  /** UploadComplete → (delay) InProgress → (delay, work) JobComplete | Failed. */
  private schedule(job: Job): void {
    const delay = this.options.processingDelayMs;
    setTimeout(() => {
      if (job.state !== 'UploadComplete') return;
      job.state = 'InProgress';
      job.startedAt = Date.now();
      job.systemModstamp = wholeSecondNow();
      const records = job.kind === 'ingest' ? job.uploads.reduce((n, upload) => n + Math.max(0, upload.split('\n').filter(Boolean).length - 1), 0) : 0;
      setTimeout(() => void this.process(job), delay + (job.kind === 'ingest' ? (this.options.ingestProcessingMs?.(records) ?? 0) : 0));
    }, delay);
  }

  private async process(job: Job): Promise<void> {
    if (job.state !== 'InProgress') return;
    try {
      if (job.kind === 'query') {
        job.ids = this.engine.run(job.parsed, job.operation === 'queryAll');
      } else {
        await this.ingest(job);
      }
      if (job.state === 'InProgress') job.state = 'JobComplete';
    } catch (error) {
      job.state = 'Failed';
      job.errorMessage = error instanceof Error ? error.message : String(error);
    }
    job.finishedAt = Date.now();
    job.systemModstamp = wholeSecondNow();
  }

  private rows(job: IngestJob, text: string): string[][] {
    return parseCsv(text, DELIMITERS[job.columnDelimiter]);
  }

  private async ingest(job: IngestJob): Promise<void> {
    const all: string[][] = [];
    for (const upload of job.uploads) {
      const rows = this.rows(job, upload);
      if (rows.length === 0) continue;
      if (!job.header) job.header = rows[0];
      else if (rows[0].join('\u0000') !== job.header.join('\u0000')) throw new Error('every upload of a job must have the same header row');
      all.push(...rows.slice(1));
    }
    job.uploads = [];
    const header = job.header ?? [];
    const object = this.org.schema.object(job.object)!;
    const delimiter = DELIMITERS[job.columnDelimiter];
    for (let start = 0; start < all.length; start += BATCH) {
      if (job.state === 'Aborted') {
        job.unprocessed.push(...all.slice(start).map((r) => csvLine(r, delimiter, true)));
        return;
      }
      const tx: Transaction = this.org.begin(job.write);
      for (const row of all.slice(start, start + BATCH)) {
        const original = csvLine(row, delimiter, true);
        const mark = { undo: tx.undo.length, changes: tx.changes.length };
        try {
          const values: Record<string, unknown> = {};
          header.forEach((column, index) => {
            const raw = row[index] ?? '';
            if (raw === '' && job.operation !== 'insert') return; // an empty value leaves the field as it is
            values[column] = raw === '#N/A' ? null : raw;
          });
          this.resolveRelationshipColumns(object.name, values);
          const { id, created } = this.apply(tx, job, values);
          job.successful.push(`${csvLine([id, created ? 'true' : 'false'], delimiter, true)}${delimiter}${original}`);
        } catch (error) {
          this.org.rollbackTo(tx, mark);
          const message = error instanceof SaveFailure ? error.errors.map((e) => `${e.statusCode}:${e.message}:${e.fields.join(',')} --`).join(';') : String(error);
          const id = job.operation === 'update' || job.operation === 'delete' ? String(findColumn(header, row, 'Id') ?? '') : '';
          job.failed.push(`${csvLine([id, message], delimiter, true)}${delimiter}${original}`);
          job.failedCount++;
        }
        job.processed++;
      }
      this.org.commit(tx);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** `Account.My_Ext_Id__c` columns set the lookup by the parent's external id. */
  private resolveRelationshipColumns(objectName: string, values: Record<string, unknown>): void {
    const object = this.org.schema.object(objectName)!;
    for (const column of Object.keys(values)) {
      if (!column.includes('.')) continue;
      const [relationship, fieldName] = column.split('.');
      const reference = object.parentRelationships.get(relationship.toLowerCase());
      const value = values[column];
      delete values[column];
      if (!reference) throw new SaveFailure([{ statusCode: 'INVALID_FIELD', message: `No such column '${column}' on entity '${object.name}'`, fields: [column] }]);
      if (value === null) {
        values[reference.name] = null;
        continue;
      }
      const parents = this.org.findBy(reference.referenceTo[0], fieldName, String(value));
      if (parents.length !== 1) {
        throw new SaveFailure([{ statusCode: 'INVALID_FIELD', message: `Foreign key external ID: ${String(value)} not found for field ${fieldName} in entity ${reference.referenceTo[0]}`, fields: [] }]);
      }
      values[reference.name] = parents[0];
    }
  }

  private apply(tx: Transaction, job: IngestJob, values: Record<string, unknown>): { id: string; created: boolean } {
    const idValue = Object.entries(values).find(([k]) => k.toLowerCase() === 'id')?.[1];
    switch (job.operation) {
      case 'insert':
        return { id: this.org.insert(tx, job.object, values, { fromText: true }), created: true };
      case 'update':
        if (!idValue) throw new SaveFailure([{ statusCode: 'MISSING_ARGUMENT', message: 'Id not specified in an update call', fields: ['Id'] }]);
        this.org.update(tx, job.object, String(idValue), values, { fromText: true });
        return { id: String(idValue).length === 15 ? String(idValue) : String(idValue), created: false };
      case 'upsert': {
        const ext = Object.entries(values).find(([k]) => k.toLowerCase() === job.externalIdFieldName!.toLowerCase())?.[1];
        return this.org.upsert(tx, job.object, job.externalIdFieldName!, ext, values, { fromText: true });
      }
      case 'delete':
      case 'hardDelete':
        if (!idValue) throw new SaveFailure([{ statusCode: 'MISSING_ARGUMENT', message: 'Id not specified in a delete call', fields: ['Id'] }]);
        this.org.delete(tx, job.object, String(idValue));
        return { id: String(idValue), created: false };
    }
    throw new Error(`unknown operation ${job.operation}`);
  }

  private results(job: QueryJob, query: URLSearchParams): RestResult {
    if (job.state !== 'JobComplete' || !job.ids) {
      throw new HttpError(400, [{ errorCode: 'JOB_NOT_COMPLETE', message: `can only download query results of successfully completed bulk job with status: JOB_COMPLETE. Current status: ${job.state.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()}` }]);
    }
    const locator = query.get('locator');
    let offset = 0;
    if (locator && locator !== 'null') {
      const decoded = Number(Buffer.from(locator, 'base64url').toString('utf8'));
      if (!Number.isInteger(decoded) || decoded < 0 || decoded > job.ids.length) throw restError(400, 'INVALID_LOCATOR', `invalid locator: ${locator}`);
      offset = decoded;
    }
    const max = Number(query.get('maxRecords') ?? this.options.defaultMaxRecords);
    if (!Number.isInteger(max) || max <= 0) throw restError(400, 'INVALID_MAX_RECORDS', 'maxRecords must be a positive integer');
    const slice = job.ids.slice(offset, offset + max);
    const delimiter = DELIMITERS[job.columnDelimiter];
    const eol = job.lineEnding === 'CRLF' ? '\r\n' : '\n';
    const lines = [csvLine(job.columns, delimiter, true)];
    for (const id of slice) lines.push(csvLine(this.engine.csvRow(job.parsed, this.org.get(job.object, id, true)!), delimiter));
    const next = offset + slice.length;
    return {
      status: 200,
      body: Buffer.from(lines.join(eol) + eol),
      headers: {
        'Content-Type': 'text/csv',
        'Sforce-NumberOfRecords': String(slice.length),
        'Sforce-Locator': next >= job.ids.length ? 'null' : Buffer.from(String(next)).toString('base64url'),
      },
    };
  }

  private ingestResults(job: IngestJob, which: string): RestResult {
    if (!['JobComplete', 'Failed', 'Aborted'].includes(job.state)) {
      throw new HttpError(400, [{ errorCode: 'INVALIDJOBSTATE', message: `results are available once the job is complete; current state: ${job.state}` }]);
    }
    const delimiter = DELIMITERS[job.columnDelimiter];
    const header = job.header ?? [];
    const eol = job.lineEnding === 'CRLF' ? '\r\n' : '\n';
    let lines: string[];
    if (which === 'successfulresults') lines = [csvLine(['sf__Id', 'sf__Created', ...header], delimiter, true), ...job.successful];
    else if (which === 'failedresults') lines = [csvLine(['sf__Id', 'sf__Error', ...header], delimiter, true), ...job.failed];
    else lines = [csvLine(header, delimiter, true), ...job.unprocessed];
    return { status: 200, body: Buffer.from(lines.join(eol) + eol), headers: { 'Content-Type': 'text/csv' } };
  }

  /** Job info as each call returns it: on create and state changes, in a job list (adds jobType), or polled (all). */
  private info(job: Job, view: 'changed' | 'listed' | 'detailed' = 'changed'): Record<string, unknown> {
    const info: Record<string, unknown> = {
      id: job.id,
      operation: job.operation,
      object: job.object,
      createdById: job.createdById,
      createdDate: formatRestDateTime(job.createdDate),
      systemModstamp: formatRestDateTime(job.systemModstamp),
      state: job.state,
    };
    if (job.kind === 'ingest' && job.externalIdFieldName) info.externalIdFieldName = job.externalIdFieldName;
    // apiVersion is a JSON number written with its decimal (`62.0`); contentUrl is relative, with the `v`.
    Object.assign(info, { concurrencyMode: job.concurrencyMode, contentType: job.contentType, apiVersion: new JsonDecimal(job.apiVersion, 1) });
    if (view !== 'changed') info.jobType = job.kind === 'query' ? 'V2Query' : 'V2Ingest';
    if (job.kind === 'ingest') info.contentUrl = `services/data/v${job.apiVersion.toFixed(1)}/jobs/ingest/${job.id}/batches`;
    Object.assign(info, { lineEnding: job.lineEnding, columnDelimiter: job.columnDelimiter });
    if (view === 'detailed') {
      info.numberRecordsProcessed = job.kind === 'query' ? (job.ids?.length ?? 0) : job.processed;
      if (job.kind === 'ingest') info.numberRecordsFailed = job.failedCount;
      info.retries = 0;
      info.totalProcessingTime = job.startedAt ? (job.finishedAt ?? Date.now()) - job.startedAt : 0;
      if (job.kind === 'ingest') Object.assign(info, { apiActiveProcessingTime: info.totalProcessingTime, apexProcessingTime: 0 });
      if (job.kind === 'query') info.isPkChunkingSupported = true;
      if (job.errorMessage) info.errorMessage = job.errorMessage;
    }
    return info;
  }

  reset(): void {
    this.jobs.clear();
  }
}

function parseJsonObject(body: Buffer): Record<string, unknown> {
  try {
    const value = JSON.parse(body.toString('utf8') || '{}');
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw restError(400, 'JSON_PARSER_ERROR', 'Expected a JSON object');
}

function findColumn(header: string[], row: string[], name: string): string | undefined {
  const index = header.findIndex((h) => h.toLowerCase() === name.toLowerCase());
  return index >= 0 ? row[index] : undefined;
}
