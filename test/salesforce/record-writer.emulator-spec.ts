import { SalesforceEmulator, passwordGrantToken } from '@tools/salesforce-emulator';
import { RecordWriter, SalesforceRestClient, SharedRefreshSession } from '@connector/salesforce';

describe('RecordWriter against the emulator', () => {
  let emulator: SalesforceEmulator;
  let url: string;
  let rest: SalesforceRestClient;
  const calls: string[] = [];
  const writer = (bulkMinRecords: number) => new RecordWriter(rest, { bulkMinRecords, bulkPollIntervalMs: 200, onCall: (kind) => calls.push(kind) });
  const records = (object: string) => [...emulator.org.all(object)].filter((r) => !r.IsDeleted);

  beforeAll(async () => {
    emulator = new SalesforceEmulator({ bulkProcessingDelayMs: 10 });
    url = await emulator.start();
    await fetch(`${url}/__emulator/generate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ accounts: 10, contacts: 40, randomSeed: 4 }) });
    const token = () => passwordGrantToken(url);
    rest = new SalesforceRestClient(new SharedRefreshSession(url, await token(), token), { callOptionsClient: 'journy-connector' });
  });
  afterAll(() => emulator.stop());
  beforeEach(() => { calls.length = 0; });

  it('updates contacts and accounts in shared Collections calls, with per-record results in order', async () => {
    const contacts = records('Contact').slice(0, 3);
    const account = records('Account')[0];
    const results = await writer(1000).updateMany([
      { object: 'Contact', record: { Id: contacts[0].Id as string, FirstName: 'Mixed' } },
      { object: 'Account', record: { Id: account.Id as string, Lifecycle_Stage__c: 'Not a stage' } },
      { object: 'Contact', record: { Id: contacts[1].Id as string, FirstName: 'Batch' } },
    ]);
    expect(calls).toEqual(['collections']);
    expect(results.map((r) => r.success)).toEqual([true, false, true]);
    expect(results[1].errors[0].code).toBe('INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST');
    expect(emulator.org.get('Contact', contacts[1].Id as string)?.FirstName).toBe('Batch');
  });

  it('writes large sets through one Bulk job and maps every result back to its record, failures included', async () => {
    const contacts = records('Contact').slice(0, 30);
    const input = contacts.map((c, i) => ({ Id: c.Id as string, Stage__c: 'Customer', Seats_Used__c: i === 7 ? 'many' as unknown as number : i }));
    const results = await writer(10).updateMany(input.map((record) => ({ object: 'Contact', record })));
    expect(calls.filter((c) => c === 'collections')).toHaveLength(0);
    expect(calls.length).toBeGreaterThanOrEqual(6); // create, upload, close, poll(s), two result sets
    expect(results.filter((r) => r.success)).toHaveLength(29);
    expect(results[7]).toMatchObject({ success: false, id: contacts[7].Id });
    expect(results[7].errors[0].message).toMatch(/many/);
    expect(emulator.org.get('Contact', contacts[12].Id as string)?.Seats_Used__c).toBe(12);
  });

  it('upserts by External ID through Bulk: creates new accounts once, updates existing ones', async () => {
    const existing = records('Account')[1];
    const input = [
      { Journy_Account_Id__c: String(existing.Journy_Account_Id__c), Health_Score__c: 42 },
      ...Array.from({ length: 11 }, (_, i) => ({ Journy_Account_Id__c: `bulk-new-${i}`, Name: `Bulk ${i}`, Health_Score__c: i })),
    ];
    const first = await writer(10).upsert('Account', 'Journy_Account_Id__c', input);
    expect(first.map((r) => r.created)).toEqual([false, ...Array(11).fill(true)]);
    const again = await writer(10).upsert('Account', 'Journy_Account_Id__c', input);
    expect(again.every((r) => r.success && !r.created)).toBe(true);
    expect(records('Account').filter((a) => String(a.Journy_Account_Id__c).startsWith('bulk-new-'))).toHaveLength(11);
  });

  it('aborts a Bulk job that outlives its deadline and writes its records through Collections instead, once', async () => {
    await fetch(`${url}/__emulator/config`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ bulkProcessingDelayMs: 5000 }) });
    try {
      const contacts = records('Contact').slice(0, 25);
      const slow = new RecordWriter(rest, { bulkMinRecords: 10, bulkPollIntervalMs: 100, bulkDeadlineMs: 800, onCall: (kind) => calls.push(kind) });
      const started = Date.now();
      const results = await slow.update('Contact', contacts.map((c) => ({ Id: c.Id as string, Title: 'Past the deadline' })));
      expect(Date.now() - started).toBeLessThan(4000);
      expect(results.every((r) => r.success)).toBe(true);
      expect(calls).toContain('collections');
      for (const c of contacts) expect(emulator.org.get('Contact', c.Id as string)?.Title).toBe('Past the deadline');
      const jobs = (await rest.request<{ records: { state: string }[] }>('GET', '/jobs/ingest')).records;
      expect(jobs.some((j) => j.state === 'Aborted')).toBe(true);
    } finally {
      await fetch(`${url}/__emulator/config`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ bulkProcessingDelayMs: 10 }) });
    }
  });

  it('retries only the records Salesforce could not lock', async () => {
    await fetch(`${url}/__emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ lockRowRate: 0.3 }) });
    try {
      const contacts = records('Contact').slice(0, 20);
      // 20 records at 30 %: a first call without a lock is 0.08 % likely, a record locked 11 times in a row far less.
      const patient = new RecordWriter(rest, { bulkMinRecords: 1000, lockRetries: 10, onCall: (kind) => calls.push(kind) });
      const results = await patient.update('Contact', contacts.map((c) => ({ Id: c.Id as string, LastName: 'Locked' })));
      expect(results.every((r) => r.success)).toBe(true);
      expect(calls.length).toBeGreaterThan(1);
    } finally {
      await fetch(`${url}/__emulator/faults`, { method: 'DELETE' });
    }
  });
});
