import { IntegrationError, RetryableError, backoffDelay } from '@connector/domain';
import { parseCsvPage } from './csv';
import { RawBody, type SalesforceRestClient } from './rest-client';

export type WriteValue = string | number | boolean | null;
export type WriteRecord = Record<string, WriteValue>;

/** One record's outcome, in the order the records were given. */
export interface RecordResult {
  success: boolean;
  id: string | null;
  created: boolean;
  errors: RecordError[];
}

/** Salesforce's per-record error (collections answer `statusCode`, other APIs `errorCode`). */
export interface RecordError {
  code: string;
  message: string;
  fields: string[];
}

type RawRecordError = { statusCode?: string; errorCode?: string; message?: string; fields?: string[] };

function recordErrors(errors: RawRecordError[] | undefined): RecordError[] {
  return (errors ?? []).map((e) => ({ code: e.statusCode ?? e.errorCode ?? 'UNKNOWN', message: e.message ?? '', fields: e.fields ?? [] }));
}

export interface RecordWriterOptions {
  /** From this many records, one Bulk API 2.0 job is used instead of sObject Collections calls. */
  bulkMinRecords: number;
  /** The longest wait between two polls of a Bulk job (polls start at 100 ms and double). */
  bulkPollIntervalMs?: number;
  /**
   * How long a Bulk job may take, ms (default 10 min): past it the job is aborted and its records are written
   * through sObject Collections instead (updates by Id and upserts by external id are safe to write twice).
   */
  bulkDeadlineMs?: number;
  /** Per-record lock errors (UNABLE_TO_LOCK_ROW) are retried this many times before the whole write fails. */
  lockRetries?: number;
  /** Counts every API call made, by kind (for metrics and benchmarks). */
  onCall?: (kind: 'collections' | 'bulk' | 'query') => void;
}

const COLLECTION_SIZE = 200;
const TRANSIENT_RECORD_ERRORS = new Set(['UNABLE_TO_LOCK_ROW', 'SERVER_UNAVAILABLE']);

/**
 * Writes records to one org in as few calls as it can: sObject Collections (200 records a call, partial
 * success, per-record results) or, for large sets, a Bulk API 2.0 ingest job (about six calls whatever the
 * size). Records whose own result is a transient error (a row lock) are retried alone with backoff; other
 * per-record errors are returned for the caller to log, the rest of the batch stands.
 */
export class RecordWriter {
  constructor(private readonly rest: SalesforceRestClient, private readonly options: RecordWriterOptions) {}

  /** Updates by Id (every record has `Id`). */
  update(object: string, records: WriteRecord[]): Promise<RecordResult[]> {
    if (records.length >= this.options.bulkMinRecords) return this.bulk(object, 'update', null, records);
    return this.updateByCollections(object, records);
  }

  private updateByCollections(object: string, records: WriteRecord[]): Promise<RecordResult[]> {
    return this.withLockRetries(records, (chunk) => this.collections('PATCH', '/composite/sobjects', object, chunk, false));
  }

  /**
   * Updates by Id of several objects: an object with enough records goes through its own Bulk job, the others
   * share sObject Collections calls (one call takes up to 200 records of different types).
   */
  async updateMany(items: { object: string; record: WriteRecord }[]): Promise<RecordResult[]> {
    const results: RecordResult[] = new Array(items.length);
    const byObject = new Map<string, number[]>();
    items.forEach((item, i) => byObject.set(item.object, [...(byObject.get(item.object) ?? []), i]));
    const shared: number[] = [];
    for (const [object, indexes] of byObject) {
      if (indexes.length < this.options.bulkMinRecords) { shared.push(...indexes); continue; }
      const bulk = await this.bulk(object, 'update', null, indexes.map((i) => items[i].record));
      indexes.forEach((index, k) => { results[index] = bulk[k]; });
    }
    if (shared.length > 0) {
      const typed = shared.map((i) => ({ attributes: { type: items[i].object }, ...items[i].record }) as unknown as WriteRecord); // Collections' per-record type
      const written = await this.withLockRetries(typed, (chunk) => this.collections('PATCH', '/composite/sobjects', null, chunk, false));
      shared.forEach((index, k) => { results[index] = written[k]; });
    }
    return results;
  }

  /** Inserts (never through Bulk: its results can't be matched back to a record without a key). */
  create(object: string, records: WriteRecord[]): Promise<RecordResult[]> {
    return this.withLockRetries(records, (chunk) => this.collections('POST', '/composite/sobjects', object, chunk, true));
  }

  /** Upserts by an external id field: Salesforce matches, creates or updates (idempotent on replay). */
  upsert(object: string, externalIdField: string, records: WriteRecord[]): Promise<RecordResult[]> {
    if (records.length >= this.options.bulkMinRecords) return this.bulk(object, 'upsert', externalIdField, records);
    return this.upsertByCollections(object, externalIdField, records);
  }

  private upsertByCollections(object: string, externalIdField: string, records: WriteRecord[]): Promise<RecordResult[]> {
    return this.withLockRetries(records, (chunk) => this.collections('PATCH', `/composite/sobjects/${object}/${externalIdField}`, object, chunk, false));
  }

  /** Deletes by Id. */
  async remove(ids: string[]): Promise<RecordResult[]> {
    const results: RecordResult[] = [];
    for (let start = 0; start < ids.length; start += COLLECTION_SIZE) {
      this.options.onCall?.('collections');
      const chunk = ids.slice(start, start + COLLECTION_SIZE);
      const body = await this.rest.request<{ id?: string; success: boolean; errors?: RawRecordError[] }[]>('DELETE', `/composite/sobjects?allOrNone=false&ids=${chunk.map(encodeURIComponent).join(',')}`);
      results.push(...body.map((r, i) => ({ success: r.success, id: r.id ?? chunk[i], created: false, errors: recordErrors(r.errors) })));
    }
    return results;
  }

  /** Calls of 200 records, as many at once as the org's pace allows; `object` null: each record carries its `attributes`. */
  private async collections(method: 'POST' | 'PATCH', path: string, object: string | null, records: WriteRecord[], creating: boolean): Promise<RecordResult[]> {
    const chunks: WriteRecord[][] = [];
    for (let start = 0; start < records.length; start += COLLECTION_SIZE) chunks.push(records.slice(start, start + COLLECTION_SIZE));
    const answers: RecordResult[][] = new Array(chunks.length);
    let next = 0;
    const worker = async () => {
      while (next < chunks.length) {
        const index = next++;
        const chunk = chunks[index];
        this.options.onCall?.('collections');
        const body = await this.rest.request<{ id?: string; success: boolean; created?: boolean; errors?: RawRecordError[] }[]>(method, path, {
          allOrNone: false,
          records: object === null ? chunk : chunk.map((record) => ({ attributes: { type: object }, ...record })),
        });
        if (!Array.isArray(body) || body.length !== chunk.length) throw new IntegrationError('UNEXPECTED_RESPONSE', `${method} ${path} answered ${Array.isArray(body) ? body.length : 'no'} results for ${chunk.length} records`);
        answers[index] = body.map((r, i) => ({ success: r.success, id: r.id ?? (chunk[i].Id as string | undefined) ?? null, created: r.created ?? (creating && r.success), errors: recordErrors(r.errors) }));
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.rest.width, chunks.length) }, worker));
    return answers.flat();
  }

  /** Runs a write; records that failed only for a lock are written again (alone), with backoff. */
  private async withLockRetries(records: WriteRecord[], write: (records: WriteRecord[]) => Promise<RecordResult[]>): Promise<RecordResult[]> {
    const results = await write(records);
    const retries = this.options.lockRetries ?? 5;
    for (let attempt = 1; attempt <= retries; attempt++) {
      const again = results.map((r, i) => (isTransient(r) ? i : -1)).filter((i) => i >= 0);
      if (again.length === 0) return results;
      await sleep(backoffDelay(attempt, { initialMs: 200, maxMs: 5000 }));
      const retried = await write(again.map((i) => records[i]));
      again.forEach((index, k) => { results[index] = retried[k]; });
    }
    const stuck = results.find(isTransient);
    if (stuck) throw new RetryableError(stuck.errors[0].code, `records still locked after ${retries} retries: ${stuck.errors[0].message}`);
    return results;
  }

  /** One Bulk API 2.0 ingest job: create, upload the CSV, close, wait, read both result sets. */
  private async bulk(object: string, operation: 'update' | 'upsert', externalIdField: string | null, records: WriteRecord[]): Promise<RecordResult[]> {
    const columns = [...new Set(records.flatMap((r) => Object.keys(r)))];
    const call = () => this.options.onCall?.('bulk');
    call();
    const job = await this.rest.request<{ id: string }>('POST', '/jobs/ingest', {
      object, operation, contentType: 'CSV', lineEnding: 'LF', columnDelimiter: 'COMMA', ...(externalIdField ? { externalIdFieldName: externalIdField } : {}),
    });
    const csv = [columns.map(csvCell).join(','), ...records.map((r) => columns.map((c) => (c in r ? csvValue(r[c]) : '')).join(','))].join('\n') + '\n';
    call();
    await this.rest.request('PUT', `/jobs/ingest/${job.id}/batches`, new RawBody(csv, 'text/csv'));
    call();
    await this.rest.request('PATCH', `/jobs/ingest/${job.id}`, { state: 'UploadComplete' });
    const deadline = Date.now() + (this.options.bulkDeadlineMs ?? 10 * 60_000);
    for (let poll = 0; ; poll++) {
      await sleep(Math.min(this.options.bulkPollIntervalMs ?? 2000, 100 * 2 ** poll, Math.max(0, deadline - Date.now()))); // 100 ms, 200 ms, … : small jobs finish fast
      call();
      const info = await this.rest.request<{ state: string; errorMessage?: string }>('GET', `/jobs/ingest/${job.id}`);
      if (info.state === 'JobComplete') break;
      if (info.state === 'Failed' || info.state === 'Aborted') throw new RetryableError('BULK_JOB_FAILED', `bulk ${operation} job ${job.id} ${info.state.toLowerCase()}: ${info.errorMessage ?? ''}`);
      if (Date.now() >= deadline) {
        // Too slow: stop it (what it did is safe to do again) and write the records the synchronous way.
        call();
        await this.rest.request('PATCH', `/jobs/ingest/${job.id}`, { state: 'Aborted' }).catch(() => undefined);
        return operation === 'update' ? this.updateByCollections(object, records) : this.upsertByCollections(object, externalIdField!, records);
      }
    }
    const keyColumn = externalIdField ?? 'Id';
    const byKey = new Map<string, RecordResult>();
    for (const which of ['successfulResults', 'failedResults'] as const) {
      call();
      const { text } = await this.rest.requestText('GET', `/jobs/ingest/${job.id}/${which}`, { Accept: 'text/csv' });
      const page = parseCsvPage(text, ',');
      const at = (name: string) => page.columns.findIndex((c) => c.toLowerCase() === name.toLowerCase());
      const [idAt, createdAt, errorAt, keyAt] = [at('sf__Id'), at('sf__Created'), at('sf__Error'), at(keyColumn)];
      for (const row of page.rows) {
        const key = String(row[keyAt] ?? row[idAt] ?? '').toLowerCase();
        const success = which === 'successfulResults';
        const error = success ? null : String(row[errorAt] ?? '');
        const code = error ? (/^([A-Z_]+):/.exec(error)?.[1] ?? 'BULK_RECORD_FAILED') : '';
        byKey.set(key, { success, id: row[idAt] || null, created: success && row[createdAt] === 'true', errors: error ? [{ code, message: error.replace(/^[A-Z_]+:/, '').trim(), fields: [] }] : [] });
      }
    }
    return records.map((r) => byKey.get(String(r[keyColumn] ?? '').toLowerCase()) ?? { success: false, id: null, created: false, errors: [{ code: 'BULK_RESULT_MISSING', message: 'the bulk job reported nothing for this record', fields: [] }] });
  }
}

function isTransient(result: RecordResult): boolean {
  return !result.success && result.errors.some((e) => TRANSIENT_RECORD_ERRORS.has(e.code));
}

function csvValue(value: WriteValue | undefined): string {
  if (value === null || value === undefined) return '#N/A';
  return csvCell(String(value));
}

function csvCell(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
