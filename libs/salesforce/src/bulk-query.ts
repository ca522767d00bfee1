import { IntegrationError, RetryableError } from '@connector/domain';
import { parseCsvPage } from './csv';
import type { SalesforceRestClient } from './rest-client';

export interface BulkQueryPage {
  jobId: string;
  /** The locator of this page (null for the first); with the job id, where a resumed read starts again. */
  locator: string | null;
  /** The locator of the next page, or null after the last one. */
  nextLocator: string | null;
  columns: string[];
  rows: Record<string, string | null>[];
}

export interface BulkQueryOptions {
  queryAll?: boolean;
  /** Rows per page (Salesforce picks when absent). */
  maxRecords?: number;
  pollIntervalMs?: number;
  /** Give up waiting for the job after this long. */
  timeoutMs?: number;
  /** Resume reading a job already run, from this page. */
  resume?: { jobId: string; locator: string | null };
  signal?: AbortSignal;
}

const DELIMITERS: Record<string, string> = { COMMA: ',', TAB: '\t', PIPE: '|', SEMICOLON: ';', CARET: '^', BACKQUOTE: '`' };

/**
 * Bulk API 2.0 queries read page by page: each page is parsed on its own (each has its header row) and handed
 * over before the next is fetched, so an org of any size never sits in memory; a job id and a locator are
 * enough to resume after a crash.
 */
export class BulkQueryClient {
  constructor(private readonly rest: SalesforceRestClient) {}

  async *pages(soql: string, options: BulkQueryOptions = {}): AsyncGenerator<BulkQueryPage> {
    let jobId: string;
    let locator: string | null;
    let delimiter = ',';
    if (options.resume) {
      jobId = options.resume.jobId;
      locator = options.resume.locator;
      delimiter = DELIMITERS[(await this.waitForCompletion(jobId, options)).columnDelimiter] ?? ',';
    } else {
      const job = await this.rest.request<{ id: string }>('POST', '/jobs/query', { operation: options.queryAll ? 'queryAll' : 'query', query: soql, contentType: 'CSV', columnDelimiter: 'COMMA', lineEnding: 'LF' });
      jobId = job.id;
      locator = null;
      await this.waitForCompletion(jobId, options);
    }
    for (;;) {
      if (options.signal?.aborted) return;
      const params = new URLSearchParams();
      if (locator) params.set('locator', locator);
      if (options.maxRecords) params.set('maxRecords', String(options.maxRecords));
      const query = params.toString();
      const { text, headers } = await this.rest.requestText('GET', `/jobs/query/${jobId}/results${query ? `?${query}` : ''}`, { Accept: 'text/csv' });
      const next = headers.get('sforce-locator');
      const { columns, rows } = parseCsvPage(text, delimiter);
      const expected = Number(headers.get('sforce-numberofrecords'));
      if (Number.isFinite(expected) && expected !== rows.length) {
        throw new IntegrationError('BULK_PAGE_MISMATCH', `page of job ${jobId} announced ${expected} rows and held ${rows.length}`);
      }
      const nextLocator = !next || next === 'null' ? null : next;
      yield { jobId, locator, nextLocator, columns, rows: rows.map((row) => Object.fromEntries(columns.map((c, i) => [c, row[i] ?? null]))) };
      if (!nextLocator) return;
      locator = nextLocator;
    }
  }

  private async waitForCompletion(jobId: string, options: BulkQueryOptions): Promise<{ columnDelimiter: string }> {
    const deadline = Date.now() + (options.timeoutMs ?? 30 * 60_000);
    for (;;) {
      const info = await this.rest.request<{ state: string; errorMessage?: string; columnDelimiter: string }>('GET', `/jobs/query/${jobId}`);
      if (info.state === 'JobComplete') return info;
      if (info.state === 'Failed' || info.state === 'Aborted') throw new IntegrationError('BULK_JOB_FAILED', `bulk query job ${jobId} ${info.state.toLowerCase()}: ${info.errorMessage ?? 'no reason given'}`);
      if (Date.now() > deadline) throw new RetryableError('BULK_JOB_TIMEOUT', `bulk query job ${jobId} not complete after ${options.timeoutMs} ms`);
      if (options.signal?.aborted) throw new RetryableError('ABORTED', 'stopped while waiting for the bulk job');
      await new Promise((resolve) => setTimeout(resolve, options.pollIntervalMs ?? 1000));
    }
  }
}
