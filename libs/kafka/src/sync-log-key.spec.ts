import type { SyncLogRecord } from './contracts';
import { syncLogKey } from './sync-log-key';

const line = (over: Partial<SyncLogRecord>): SyncLogRecord => ({
  logId: 'l', tenantId: 'acme', connectionId: 'con_1', occurredAt: 0, direction: 'JOURNY_TO_SALESFORCE', mode: 'LIVE', objectType: 'USER',
  operation: 'UPDATE', status: 'SUCCEEDED', reason: null, message: null, error: null, journy: null, salesforce: null, fields: [],
  correlationId: null, attempt: 1, durationMs: null, ...over,
} as SyncLogRecord);

describe('syncLogKey', () => {
  it('keys a line by its connection and record: journy ids going out, Salesforce ids coming in', () => {
    const journy = { userId: 'u1', email: null, accountId: 'a1', domain: null };
    const salesforce = { objectType: 'Contact', recordId: '003A' };
    expect(syncLogKey(line({ journy, salesforce }))).toBe('acme:con_1:u1');
    expect(syncLogKey(line({ direction: 'SALESFORCE_TO_JOURNY', journy, salesforce }))).toBe('acme:con_1:003A');
    expect(syncLogKey(line({ objectType: 'ACCOUNT', journy: { userId: null, email: null, accountId: 'a1', domain: null } }))).toBe('acme:con_1:a1');
    expect(syncLogKey(line({ direction: 'SALESFORCE_TO_JOURNY', journy }))).toBe('acme:con_1:u1');
  });

  it('keys two records of one connection apart and one record the same every time', () => {
    const of = (recordId: string) => syncLogKey(line({ direction: 'SALESFORCE_TO_JOURNY', salesforce: { objectType: 'Contact', recordId } }));
    expect(of('003A')).toBe(of('003A'));
    expect(of('003A')).not.toBe(of('003B'));
  });

  it('keys a line about no record by its connection', () => {
    expect(syncLogKey(line({ objectType: 'OTHER' }))).toBe('acme:con_1');
  });
});
