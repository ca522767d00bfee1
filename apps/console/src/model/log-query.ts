import type { Direction, LogEntry, LogObject, LogStatus } from './api-types';

/** The log's filters as the console offers them. */
export interface LogFilters {
  direction: Direction | null;
  status: LogStatus | null;
  reason: string | null;
  objectType: LogObject | null;
  /** datetime-local values (the browser's time zone), or null. */
  from: string | null;
  to: string | null;
}

export const NO_FILTERS: LogFilters = { direction: null, status: null, reason: null, objectType: null, from: null, to: null };

/** The log route's query string for these filters and page. */
export function logQueryString(filters: LogFilters, cursor: string | null, limit = 25): string {
  const params = new URLSearchParams({ limit: String(limit) });
  if (filters.direction) params.set('direction', filters.direction);
  if (filters.status) params.set('status', filters.status);
  if (filters.reason?.trim()) params.set('reason', filters.reason.trim().toUpperCase());
  if (filters.objectType) params.set('objectType', filters.objectType);
  if (filters.from) params.set('from', instant(filters.from));
  if (filters.to) params.set('to', instant(filters.to));
  if (cursor) params.set('cursor', cursor);
  return params.toString();
}

/** An RFC 3339 instant with seconds, as the API asks, from a local date-time. */
function instant(local: string): string {
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? local : date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** How to ask for a log line's record timeline: by its Salesforce id when it has one, else by its journy key. */
export function timelineKeyOf(entry: LogEntry): { param: string; value: string } | null {
  if (entry.salesforce.recordId) return { param: 'salesforceId', value: entry.salesforce.recordId };
  if (entry.journy.userId) return { param: 'userId', value: entry.journy.userId };
  if (entry.journy.email) return { param: 'email', value: entry.journy.email };
  if (entry.journy.accountId) return { param: 'accountId', value: entry.journy.accountId };
  if (entry.journy.domain) return { param: 'domain', value: entry.journy.domain };
  return null;
}

/** The record a line is about, in words. */
export function recordLabel(entry: LogEntry): string {
  const journy = entry.journy.email ?? entry.journy.userId ?? entry.journy.domain ?? entry.journy.accountId;
  const salesforce = entry.salesforce.recordId ? `${entry.salesforce.objectType ?? 'record'} ${entry.salesforce.recordId}` : null;
  return [journy, salesforce].filter(Boolean).join(' · ') || '—';
}
