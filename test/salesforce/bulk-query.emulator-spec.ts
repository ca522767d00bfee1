import { SalesforceEmulator, passwordGrantToken } from '@tools/salesforce-emulator';
import { BulkQueryClient, SalesforceRestClient, SharedRefreshSession } from '@connector/salesforce';

describe('BulkQueryClient against the emulator', () => {
  let emulator: SalesforceEmulator;
  let rest: SalesforceRestClient;

  beforeAll(async () => {
    emulator = new SalesforceEmulator({ bulkProcessingDelayMs: 20, seed: { generate: { accounts: 30, contacts: 2500, randomSeed: 9 } } });
    const url = await emulator.start();
    const token = () => passwordGrantToken(url);
    rest = new SalesforceRestClient(new SharedRefreshSession(url, await token(), token), { callOptionsClient: 'journy-connector' });
  });
  afterAll(() => emulator.stop());

  it('streams every row page by page, each page parsed on its own, nulls as null', async () => {
    const client = new BulkQueryClient(rest);
    const pages = [];
    for await (const page of client.pages('SELECT Id, Email, Account.Name FROM Contact', { maxRecords: 1000, pollIntervalMs: 10 })) pages.push(page);
    expect(pages.map((p) => p.rows.length)).toEqual([1000, 1000, 500]);
    expect(pages[0].columns).toEqual(['Id', 'Email', 'Account.Name']);
    const ids = new Set(pages.flatMap((p) => p.rows.map((r) => r.Id)));
    expect(ids.size).toBe(2500);
    expect(pages.every((p) => p.rows.every((r) => r.Id !== 'Id'))).toBe(true);
    expect(pages[2].nextLocator).toBeNull();
  });

  it('resumes from a job id and a locator, reading only the pages after it', async () => {
    const client = new BulkQueryClient(rest);
    const first = await client.pages('SELECT Id FROM Contact', { maxRecords: 1000, pollIntervalMs: 10 }).next();
    const checkpoint = { jobId: first.value!.jobId, locator: first.value!.nextLocator };
    const rest2 = [];
    for await (const page of client.pages('ignored when resuming', { resume: checkpoint, maxRecords: 1000, pollIntervalMs: 10 })) rest2.push(page);
    expect(rest2.map((p) => p.rows.length)).toEqual([1000, 500]);
    const all = new Set([...first.value!.rows, ...rest2.flatMap((p) => p.rows)].map((r) => r.Id));
    expect(all.size).toBe(2500);
  });

  it('survives an expired session mid-read (one refresh) and reports a failed job clearly', async () => {
    const client = new BulkQueryClient(rest);
    const iterator = client.pages('SELECT Id FROM Contact', { maxRecords: 1000, pollIntervalMs: 10 });
    await iterator.next();
    await fetch(`${emulator.url}/__emulator/sessions/expire`, { method: 'POST' });
    let rows = 0;
    for (let page = await iterator.next(); !page.done; page = await iterator.next()) rows += page.value.rows.length;
    expect(rows).toBe(1500);
    await expect(client.pages('SELECT Nope FROM Contact').next()).rejects.toMatchObject({ category: 'integration' });
  });
});
