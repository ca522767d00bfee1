import type { Connection } from 'jsforce';
import { HttpApi } from 'jsforce/lib/http-api';
import { LATEST_VERSION } from '../src';
import { Harness, startEmulator } from './helpers';

type Row = Record<string, unknown>;

describe('Bulk API 2.0 (jsforce)', () => {
  let h: Harness;
  let conn: Connection;

  beforeAll(async () => {
    // Small result pages, so that 3,500 rows take several locator pages.
    h = await startEmulator({ bulkDefaultMaxRecords: 1000, seed: { generate: { accounts: 500, contacts: 3000, randomSeed: 3 } } });
    conn = await h.connect();
    conn.bulk2.pollInterval = 20;
    conn.bulk2.pollTimeout = 20_000;
  });
  afterAll(() => h.stop());

  const api = async (method: string, path: string, body?: string, contentType = 'application/json') => {
    const response = await fetch(`${h.url}/services/data/v${LATEST_VERSION}/jobs/${path}`, {
      method,
      headers: { Authorization: `Bearer ${conn.accessToken}`, 'content-type': contentType },
      body,
    });
    return response;
  };

  it('runs a query job through its states and pages every row with Sforce-Locator, each page a whole CSV', async () => {
    // jsforce's own requests, one results page at a time: its bulk2.query() pipes every page into one CSV parser,
    // which multi-page results break (docs/decisions/2026-12-01-jsforce-bulk2-query-pages.md).
    const base = `/services/data/v${LATEST_VERSION}/jobs/query`;
    const job = await conn.request<Row>({ method: 'POST', url: base, body: JSON.stringify({ operation: 'query', query: 'SELECT Id, Email, Account.Name FROM Contact' }), headers: { 'content-type': 'application/json' } });
    expect(job.state).toBe('UploadComplete');
    const states = new Set<unknown>([job.state]);
    let info: Row = job;
    while (info.state !== 'JobComplete') {
      expect(['UploadComplete', 'InProgress']).toContain(info.state);
      await new Promise((resolve) => setTimeout(resolve, 20));
      info = await conn.request<Row>(`${base}/${job.id}`);
      states.add(info.state);
    }
    expect([...states]).toEqual(['UploadComplete', 'InProgress', 'JobComplete']);

    const pages: { rows: Row[]; locator: string; count: string }[] = [];
    let locator: string | null = null;
    do {
      const api = new HttpApi(conn, { responseType: 'text/csv' });
      let headers: Record<string, string> = {};
      api.on('response', (response: { headers: Record<string, string> }) => (headers = response.headers));
      const rows = await api.request<Row[]>({ method: 'GET', url: `${conn.instanceUrl}${base}/${job.id}/results${locator ? `?locator=${locator}` : ''}`, headers: { Accept: 'text/csv' } });
      pages.push({ rows, locator: headers['sforce-locator'], count: headers['sforce-numberofrecords'] });
      locator = headers['sforce-locator'];
    } while (locator !== 'null');

    expect(pages.map((p) => p.rows.length)).toEqual([1000, 1000, 1000]);
    expect(pages.map((p) => p.count)).toEqual(['1000', '1000', '1000']);
    expect(pages.at(-1)!.locator).toBe('null');
    // Each page parsed on its own yields records keyed by its own header row: none is a header row.
    for (const page of pages) {
      expect(Object.keys(page.rows[0])).toEqual(['Id', 'Email', 'Account.Name']);
      expect(page.rows.filter((r) => r.Id === 'Id')).toEqual([]);
    }
    const ids = pages.flatMap((p) => p.rows.map((r) => r.Id));
    expect(new Set(ids).size).toBe(3000);
    const stats = await h.admin<{ api: { byEndpoint: Record<string, number> } }>('stats');
    expect(stats.api.byEndpoint['GET jobs/query/:id/results']).toBe(3);
  });

  it('answers results with the headers clients require, quoting every value and leaving nulls empty', async () => {
    const created = (await (await api('POST', 'query', JSON.stringify({ operation: 'query', query: 'SELECT Id, Name, Email FROM Contact ORDER BY Name LIMIT 1500' }))).json()) as Row;
    expect(created).toMatchObject({ operation: 'query', object: 'Contact', state: 'UploadComplete', apiVersion: Number(LATEST_VERSION), contentType: 'CSV', lineEnding: 'LF', columnDelimiter: 'COMMA' });
    const early = await api('GET', `query/${created.id}/results`);
    expect(early.status).toBe(400);
    expect(((await early.json()) as Row[])[0].errorCode).toBe('JOB_NOT_COMPLETE');
    let info: Row = {};
    for (let i = 0; i < 200 && info.state !== 'JobComplete'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      info = (await (await api('GET', `query/${created.id}`)).json()) as Row;
    }
    expect(info).toMatchObject({ state: 'JobComplete', jobType: 'V2Query', numberRecordsProcessed: 1500 });
    const first = await api('GET', `query/${created.id}/results?maxRecords=1000`);
    expect(first.headers.get('content-type')).toBe('text/csv');
    expect(first.headers.get('sforce-numberofrecords')).toBe('1000');
    const locator = first.headers.get('sforce-locator')!;
    expect(locator).not.toBe('null');
    const text = await first.text();
    expect(text.split('\n')[0]).toBe('"Id","Name","Email"');
    expect(text.split('\n')[1]).toMatch(/^"003[A-Za-z0-9]{15}","[^"]+",("[^"]+@example\.com"|)$/);
    const last = await api('GET', `query/${created.id}/results?locator=${locator}&maxRecords=1000`);
    expect(last.headers.get('sforce-numberofrecords')).toBe('500');
    expect(last.headers.get('sforce-locator')).toBe('null');

    const bad = await api('POST', 'query', JSON.stringify({ operation: 'query', query: 'SELECT Id, (SELECT Id FROM Contacts) FROM Account' }));
    expect(bad.status).toBe(400);
  });

  it('loads with an ingest job: insert with successful and failed results, #N/A clears, upsert by external id, delete', async () => {
    const inserted = await conn.bulk2.loadAndWaitForResults({
      object: 'Contact',
      operation: 'insert',
      input: [
        { LastName: 'Bulk One', Email: 'bulk.one@example.com', Title: 'CTO' },
        { LastName: 'Bulk Two', Email: 'broken-email', Title: 'VP' },
        { LastName: 'Bulk Three', Email: 'bulk.three@example.com', Title: 'CEO' },
      ],
    });
    expect(inserted.successfulResults).toHaveLength(2);
    expect(inserted.failedResults).toHaveLength(1);
    expect(inserted.failedResults[0].sf__Error).toBe('INVALID_EMAIL_ADDRESS:Email: invalid email address: broken-email:Email --');
    const oneId = inserted.successfulResults.find((r) => (r as Row).Email === 'bulk.one@example.com')!.sf__Id as string;
    expect(inserted.successfulResults[0].sf__Created).toBe('true');

    const updated = await conn.bulk2.loadAndWaitForResults({ object: 'Contact', operation: 'update', input: `Id,Title\n${oneId},#N/A\n` });
    expect(updated.successfulResults).toHaveLength(1);
    expect((await conn.sobject('Contact').retrieve(oneId)).Title).toBeNull();

    const upserted = await conn.bulk2.loadAndWaitForResults({
      object: 'Account',
      operation: 'upsert',
      externalIdFieldName: 'Journy_Account_Id__c',
      input: 'Journy_Account_Id__c,Name,Industry\nacc-1,Renamed by bulk,Media\nbulk-new-1,Brand New,Retail\n',
    });
    expect(upserted.successfulResults.map((r) => r.sf__Created).sort()).toEqual(['false', 'true']);
    const renamed = await conn.query<Row>("SELECT Name FROM Account WHERE Journy_Account_Id__c = 'acc-1'");
    expect(renamed.records[0].Name).toBe('Renamed by bulk');

    const linked = await conn.bulk2.loadAndWaitForResults({
      object: 'Contact',
      operation: 'insert',
      input: 'LastName,Account.Journy_Account_Id__c\nLinked,bulk-new-1\n',
    });
    const linkedId = linked.successfulResults[0].sf__Id as string;
    const linkedRow = await conn.query<Row>(`SELECT Account.Journy_Account_Id__c FROM Contact WHERE Id = '${linkedId}'`);
    expect((linkedRow.records[0].Account as Row).Journy_Account_Id__c).toBe('bulk-new-1');

    const deleted = await conn.bulk2.loadAndWaitForResults({ object: 'Contact', operation: 'delete', input: `Id\n${oneId}\n0035g00000ZZZZZAAA\n` });
    expect(deleted.successfulResults).toHaveLength(1);
    expect(deleted.failedResults).toHaveLength(1);
  });

  it('keeps the job state machine: no upload after close, results only when done, unprocessed rows of an aborted job', async () => {
    const job = (await (await api('POST', 'ingest', JSON.stringify({ object: 'Account', operation: 'insert', contentType: 'CSV', lineEnding: 'LF' }))).json()) as Row;
    expect(job).toMatchObject({ state: 'Open', contentUrl: `services/data/v${LATEST_VERSION}/jobs/ingest/${job.id}/batches` });
    const upload = await api('PUT', `ingest/${job.id}/batches`, 'Name\nAborted One\nAborted Two\n', 'text/csv');
    expect(upload.status).toBe(201);
    expect(await upload.text()).toBe('');
    const aborted = (await (await api('PATCH', `ingest/${job.id}`, JSON.stringify({ state: 'Aborted' }))).json()) as Row;
    expect(aborted.state).toBe('Aborted');
    const late = await api('PUT', `ingest/${job.id}/batches`, 'Name\nLate\n', 'text/csv');
    expect(late.status).toBe(409);
    const unprocessed = await (await api('GET', `ingest/${job.id}/unprocessedrecords/`)).text();
    expect(unprocessed.trim().split('\n')).toEqual(['"Name"', '"Aborted One"', '"Aborted Two"']);
    const missing = await api('GET', 'ingest/7505g00000ZZZZZAAA');
    expect(missing.status).toBe(404);
  });
});
