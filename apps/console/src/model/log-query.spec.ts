import type { LogEntry } from './api-types';
import { NO_FILTERS, logQueryString, recordLabel, timelineKeyOf } from './log-query';

const entry = (over: Partial<LogEntry>): LogEntry => ({
  logId: 'l', occurredAt: '', direction: 'JOURNY_TO_SALESFORCE', mode: 'LIVE', objectType: 'USER', operation: 'UPDATE', status: 'SUCCEEDED',
  reason: null, message: null, error: null, journy: { userId: null, email: null, accountId: null, domain: null },
  salesforce: { objectType: null, recordId: null }, fields: [], attempt: 1, durationMs: null, ...over,
});

describe('the log query', () => {
  it('has only the filters set, the reason as a code, times as RFC 3339 instants', () => {
    expect(logQueryString(NO_FILTERS, null)).toBe('limit=25');
    const query = new URLSearchParams(logQueryString({ ...NO_FILTERS, status: 'FAILED', reason: ' salesforce_rejected ', from: '2026-12-01T10:00:00.000Z' }, 'abc', 50));
    expect(Object.fromEntries(query)).toEqual({ limit: '50', status: 'FAILED', reason: 'SALESFORCE_REJECTED', from: '2026-12-01T10:00:00Z', cursor: 'abc' });
  });

  it("asks for a record's timeline by its Salesforce id first, else its journy key", () => {
    expect(timelineKeyOf(entry({ salesforce: { objectType: 'Contact', recordId: '003000000000001AAA' }, journy: { userId: 'u1', email: null, accountId: null, domain: null } }))).toEqual({ param: 'salesforceId', value: '003000000000001AAA' });
    expect(timelineKeyOf(entry({ journy: { userId: null, email: 'a@b.c', accountId: null, domain: null } }))).toEqual({ param: 'email', value: 'a@b.c' });
    expect(timelineKeyOf(entry({}))).toBeNull();
    expect(recordLabel(entry({ journy: { userId: 'u1', email: 'a@b.c', accountId: null, domain: null }, salesforce: { objectType: 'Contact', recordId: '003x' } }))).toBe('a@b.c · Contact 003x');
  });
});
