import { IntegrationError } from '@connector/domain';
import { BulkQueryClient } from './bulk-query';
import { flattenRestRecord, type Row } from './records';
import type { SalesforceRestClient } from './rest-client';

/** A page of records and where to resume after it (null once the query is read to its end). */
export interface RecordPage {
  rows: Row[];
  /** Resumes the read right after this page; stored in the import checkpoint. */
  next: ReadPosition | null;
  /** When the query started (the snapshot time of the read), ms. */
  queriedAt: number;
}

export type ReadPosition = { api: 'bulk'; jobId: string; locator: string | null; queriedAt: number } | { api: 'rest'; nextUrl: string; queriedAt: number };

/** Bulk API 2.0 is off for some orgs (editions, permissions): then the REST query API reads, page by page. */
const BULK_UNAVAILABLE = new Set(['FEATURE_NOT_ENABLED', 'API_DISABLED_FOR_ORG', 'NOT_FOUND', 'INSUFFICIENT_ACCESS', 'HTTP_404']);

/**
 * Reads a query page by page with Bulk API 2.0 (falling back to REST queryMore where Bulk is not available),
 * never holding more than a page, and resumable from a stored position.
 */
export class RecordReader {
  private bulkAvailable = true;

  constructor(private readonly rest: SalesforceRestClient, private readonly options: { pageSize: number; pollIntervalMs?: number }) {}

  async *pages(soql: string, resume: ReadPosition | null, signal?: AbortSignal): AsyncGenerator<RecordPage> {
    if (resume?.api === 'rest') {
      yield* this.restPages(null, resume.nextUrl, resume.queriedAt);
      return;
    }
    if (this.bulkAvailable) {
      const queriedAt = resume?.queriedAt ?? Date.now();
      const bulk = new BulkQueryClient(this.rest);
      try {
        for await (const page of bulk.pages(soql, { maxRecords: this.options.pageSize, pollIntervalMs: this.options.pollIntervalMs ?? 500, signal, resume: resume ? { jobId: resume.jobId, locator: resume.locator } : undefined })) {
          yield { rows: page.rows, next: page.nextLocator ? { api: 'bulk', jobId: page.jobId, locator: page.nextLocator, queriedAt } : null, queriedAt };
        }
        return;
      } catch (error) {
        if (!(error instanceof IntegrationError) || !BULK_UNAVAILABLE.has(error.code) || resume) throw error;
        this.bulkAvailable = false;
      }
    }
    yield* this.restPages(soql, null, Date.now());
  }

  /** Whether the last read fell back to REST (reported in the import's log). */
  usesBulk(): boolean {
    return this.bulkAvailable;
  }

  private async *restPages(soql: string | null, nextUrl: string | null, queriedAt: number): AsyncGenerator<RecordPage> {
    let path = soql ? `/query?q=${encodeURIComponent(soql)}` : restPath(nextUrl!);
    for (;;) {
      const result = await this.rest.request<{ records: Record<string, unknown>[]; done: boolean; nextRecordsUrl?: string }>('GET', path, undefined, { 'Sforce-Query-Options': `batchSize=${Math.min(2000, Math.max(200, this.options.pageSize))}` });
      const next = !result.done && result.nextRecordsUrl ? result.nextRecordsUrl : null;
      yield { rows: result.records.map((r) => flattenRestRecord(r)), next: next ? { api: 'rest', nextUrl: next, queriedAt } : null, queriedAt };
      if (!next) return;
      path = restPath(next);
    }
  }
}

/** `/services/data/vXX.X/query/01g…` → `/query/01g…` (the client adds the versioned prefix). */
function restPath(url: string): string {
  return url.replace(/^\/services\/data\/v\d+\.\d+/, '');
}
