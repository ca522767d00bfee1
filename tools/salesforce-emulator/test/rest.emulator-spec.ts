import type { Connection } from 'jsforce';
import { LATEST_VERSION } from '../src';
import { Harness, rejectionOf, startEmulator } from './helpers';

type Row = Record<string, unknown>;

describe('REST API (jsforce)', () => {
  let h: Harness;
  let conn: Connection;

  beforeAll(async () => {
    h = await startEmulator({ seed: { generate: { accounts: 50, contacts: 2500, relationships: 40, randomSeed: 7 } } });
    conn = await h.connect();
  });
  afterAll(() => h.stop());

  const raw = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${h.url}/services/data/v${LATEST_VERSION}/${path}`, {
      method,
      headers: { Authorization: `Bearer ${conn.accessToken}`, 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
  };

  describe('metadata', () => {
    it('lists versions without auth, and resources with an absolute identity URL', async () => {
      const versions = (await (await fetch(`${h.url}/services/data/`)).json()) as { version: string; url: string }[];
      expect(versions[versions.length - 1]).toEqual({ label: "Winter '27", url: `/services/data/v${LATEST_VERSION}`, version: LATEST_VERSION });
      const resources = await raw('GET', '');
      expect(resources.body.sobjects).toBe(`/services/data/v${LATEST_VERSION}/sobjects`);
      expect(resources.body.identity).toBe(`${h.url}/id/${h.emulator.org.orgId}/${h.emulator.integrationUserId}`);
      const identity = await conn.identity();
      expect(identity).toMatchObject({ user_id: h.emulator.integrationUserId, organization_id: h.emulator.org.orgId });
    });

    it('describes objects with every field flag, custom fields and child relationships', async () => {
      const contact = await conn.sobject('Contact').describe();
      const email = contact.fields.find((f) => f.name === 'Email')!;
      expect(email).toMatchObject({ type: 'email', length: 80, byteLength: 240, idLookup: true, nillable: true, createable: true, updateable: true, soapType: 'xsd:string' });
      const ext = contact.fields.find((f) => f.name === 'Journy_User_Id__c')!;
      expect(ext).toMatchObject({ custom: true, externalId: true, idLookup: true, unique: true });
      const account = await conn.sobject('Account').describe();
      expect(account.keyPrefix).toBe('001');
      expect(account.childRelationships.map((r) => r.relationshipName)).toEqual(expect.arrayContaining(['Contacts', 'AccountContactRelations']));
      const stage = account.fields.find((f) => f.name === 'Lifecycle_Stage__c')!;
      expect(stage.restrictedPicklist).toBe(true);
      expect(stage.picklistValues!.map((p) => p.value)).toContain('Active');
      const global = await conn.describeGlobal();
      expect(global.sobjects.map((s) => s.name)).toEqual(expect.arrayContaining(['Account', 'Contact', 'AccountContactRelation', 'User']));
      const missing = await raw('GET', 'sobjects/Foo/describe');
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual([{ message: 'The requested resource does not exist', errorCode: 'NOT_FOUND' }]);
    });
  });

  describe('query', () => {
    it('pages with nextRecordsUrl (2000 by default, batchSize honoured) and jsforce autoFetch follows', async () => {
      const first = await raw('GET', `query?q=${encodeURIComponent('SELECT Id FROM Contact')}`);
      expect(first.body.totalSize).toBe(2500);
      expect(first.body.done).toBe(false);
      expect(first.body.records).toHaveLength(2000);
      expect(first.body.nextRecordsUrl).toMatch(new RegExp(`^/services/data/v${LATEST_VERSION}/query/01g[A-Za-z0-9]+-2000$`));
      const small = await raw('GET', `query?q=${encodeURIComponent('SELECT Id FROM Contact')}`, undefined, { 'Sforce-Query-Options': 'batchSize=300' });
      expect(small.body.records).toHaveLength(300);

      const all = await conn.query('SELECT Id, Email FROM Contact').run({ autoFetch: true, maxFetch: 10_000 });
      expect(all.records).toHaveLength(2500);
      expect(new Set(all.records.map((r) => r.Id)).size).toBe(2500);

      const bad = await raw('GET', 'query/01gXXXXXXXXXXXXXXX-2000');
      expect(bad.body).toEqual([{ message: 'invalid query locator', errorCode: 'INVALID_QUERY_LOCATOR' }]);
    });

    it('returns parent fields nested with attributes, and child subqueries', async () => {
      const result = await conn.query<Row>("SELECT Id, Email, Account.Name, Account.Owner.Username FROM Contact WHERE AccountId != null LIMIT 1");
      const row = result.records[0] as Row & { Account: Row & { Owner: Row } };
      expect(row.attributes).toEqual({ type: 'Contact', url: `/services/data/v${LATEST_VERSION}/sobjects/Contact/${row.Id}` });
      expect(row.Account.attributes).toMatchObject({ type: 'Account' });
      expect(typeof row.Account.Name).toBe('string');
      expect(String(row.Account.Owner.Username)).toContain('@journy-demo.example');

      const orphan = await conn.sobject('Contact').create({ LastName: 'Orphan' });
      const none = await conn.query<Row>(`SELECT Id, Account.Name FROM Contact WHERE Id = '${orphan.id}'`);
      expect(none.records[0].Account).toBeNull();

      const accounts = await conn.query<Row>('SELECT Id, Name, (SELECT ContactId, IsDirect, Roles FROM AccountContactRelations ORDER BY IsDirect DESC) FROM Account LIMIT 3');
      const relations = accounts.records[0].AccountContactRelations as { totalSize: number; done: boolean; records: Row[] };
      expect(relations.done).toBe(true);
      expect(relations.totalSize).toBeGreaterThan(0);
      expect(relations.records[0]).toMatchObject({ IsDirect: true });
    });

    it('filters with comparison, IN / NOT IN, LIKE, AND / OR / NOT, null, datetime literals, ORDER BY, LIMIT, OFFSET and COUNT()', async () => {
      const emails = (await conn.query<Row>('SELECT Email FROM Contact WHERE Email != null ORDER BY Email LIMIT 3')).records.map((r) => r.Email as string);
      const inList = emails.map((e) => `'${e}'`).join(',');
      expect((await conn.query(`SELECT Id FROM Contact WHERE Email IN (${inList})`)).totalSize).toBe(3);
      expect((await conn.query(`SELECT Id FROM Contact WHERE Email IN (${inList.toUpperCase()})`)).totalSize).toBe(3);
      const total = (await conn.query('SELECT COUNT() FROM Contact')).totalSize;
      expect((await conn.query(`SELECT COUNT() FROM Contact WHERE Email NOT IN (${inList})`)).totalSize).toBe(total - 3);
      expect((await conn.query("SELECT COUNT() FROM Contact WHERE Email LIKE 'ann.%'")).totalSize).toBeGreaterThan(0);
      expect((await conn.query("SELECT COUNT() FROM Contact WHERE NOT (Email LIKE 'ann.%' OR Email = null)")).totalSize).toBe(
        total - (await conn.query("SELECT COUNT() FROM Contact WHERE Email LIKE 'ann.%'")).totalSize - (await conn.query('SELECT COUNT() FROM Contact WHERE Email = null')).totalSize,
      );
      expect((await conn.query('SELECT COUNT() FROM Contact WHERE SystemModstamp > 2000-01-01T00:00:00Z AND CreatedDate <= 2999-12-31T23:59:59.000+01:00')).totalSize).toBe(total);
      expect((await conn.query('SELECT COUNT() FROM Contact WHERE CreatedDate = LAST_N_DAYS:60')).totalSize).toBe(total);
      const page = await conn.query<Row>('SELECT Email FROM Contact WHERE Email != null ORDER BY Email ASC LIMIT 2 OFFSET 1');
      expect(page.records.map((r) => r.Email)).toEqual(emails.slice(1, 3));
      const desc = await conn.query<Row>('SELECT Email FROM Contact ORDER BY Email DESC NULLS LAST LIMIT 1');
      expect(desc.records[0].Email).not.toBeNull();
      const semi = await conn.query(`SELECT COUNT() FROM Contact WHERE Id IN (SELECT ContactId FROM AccountContactRelation WHERE IsDirect = false)`);
      expect(semi.totalSize).toBeGreaterThan(0);
      const aggregate = await raw('GET', `query?q=${encodeURIComponent('SELECT COUNT(Id) FROM Account')}`);
      expect(aggregate.body.records).toEqual([{ attributes: { type: 'AggregateResult' }, expr0: 50 }]);
    });

    it('formats datetimes as +0000, dates as YYYY-MM-DD and nulls as null', async () => {
      const created = await conn.sobject('Contact').create({ LastName: 'Formats', Birthdate: '1990-02-03', Last_Active__c: '2026-01-02T03:04:05Z' });
      const row = (await conn.query<Row>(`SELECT Birthdate, Last_Active__c, Email, CreatedDate FROM Contact WHERE Id = '${created.id}'`)).records[0];
      expect(row.Birthdate).toBe('1990-02-03');
      expect(row.Last_Active__c).toBe('2026-01-02T03:04:05.000+0000');
      expect(row.Email).toBeNull();
      expect(row.CreatedDate).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$/);
    });

    it('answers what it does not understand with MALFORMED_QUERY, INVALID_FIELD or INVALID_TYPE', async () => {
      const field = await rejectionOf(conn.query('SELECT Id, Nme FROM Account'));
      expect(field.errorCode).toBe('INVALID_FIELD');
      expect(field.message).toContain("No such column 'Nme' on entity 'Account'");
      expect(field.message).toContain('ERROR at Row:1:Column:12');
      expect((await rejectionOf(conn.query('SELECT Id FORM Account'))).errorCode).toBe('MALFORMED_QUERY');
      expect((await rejectionOf(conn.query('SELECT Id FROM Foo'))).errorCode).toBe('INVALID_TYPE');
      expect((await rejectionOf(conn.query("SELECT Id FROM Contact WHERE CreatedDate > '2024-01-01'"))).errorCode).toBe('INVALID_FIELD');
      expect((await rejectionOf(conn.query('SELECT Id FROM Contact GROUP BY Id'))).errorCode).toBe('MALFORMED_QUERY');
    });

    it('includes deleted records in queryAll only', async () => {
      const created = await conn.sobject('Account').create({ Name: 'Doomed' });
      await conn.sobject('Account').destroy(created.id!);
      expect((await conn.query(`SELECT Id FROM Account WHERE Id = '${created.id}'`)).totalSize).toBe(0);
      const all = await conn.query<Row>(`SELECT Id, IsDeleted FROM Account WHERE Id = '${created.id}'`, { scanAll: true });
      expect(all.records[0].IsDeleted).toBe(true);
    });
  });

  describe('records', () => {
    it('creates, retrieves, updates and deletes one record', async () => {
      const created = await conn.sobject('Account').create({ Name: 'Crud Co', Website: 'https://crud.example', NumberOfEmployees: 12 });
      expect(created).toMatchObject({ success: true, errors: [] });
      expect(created.id).toMatch(/^001[A-Za-z0-9]{15}$/);
      const read = await conn.sobject('Account').retrieve(created.id!);
      expect(read).toMatchObject({ Name: 'Crud Co', NumberOfEmployees: 12, IsDeleted: false });
      const updated = await conn.sobject('Account').update({ Id: created.id!, Name: 'Crud Co 2', Website: null });
      expect(updated.success).toBe(true);
      const after = await conn.sobject('Account').retrieve(created.id!);
      expect(after).toMatchObject({ Name: 'Crud Co 2', Website: null });
      await conn.sobject('Account').destroy(created.id!);
      const gone = await raw('GET', `sobjects/Account/${created.id}`);
      expect(gone.status).toBe(404);
      const again = await raw('PATCH', `sobjects/Account/${created.id}`, { Name: 'x' });
      expect(again.body[0].errorCode).toBe('ENTITY_IS_DELETED');
    });

    it('validates writes against describe with Salesforce error codes', async () => {
      const cases: [Row, string, string[]][] = [
        [{ LastName: 'x'.repeat(81) }, 'STRING_TOO_LONG', ['LastName']],
        [{ LastName: 'Lee', Email: 'not-an-email' }, 'INVALID_EMAIL_ADDRESS', ['Email']],
        [{ FirstName: 'NoLast' }, 'REQUIRED_FIELD_MISSING', ['LastName']],
        [{ LastName: 'Lee', Seats_Used__c: 'many' }, 'INVALID_TYPE_ON_FIELD_IN_RECORD', ['Seats_Used__c']],
        [{ LastName: 'Lee', AccountId: '003000000000001' }, 'MALFORMED_ID', ['AccountId']],
        [{ LastName: 'Lee', Nope__c: 1 }, 'INVALID_FIELD', ['Nope__c']],
        [{ LastName: 'Lee', Name: 'Computed' }, 'INVALID_FIELD_FOR_INSERT_UPDATE', ['Name']],
      ];
      for (const [record, code, fields] of cases) {
        const response = await raw('POST', 'sobjects/Contact', record);
        expect(response.status).toBe(400);
        expect(response.body[0]).toMatchObject({ errorCode: code, fields });
      }
      const picklist = await raw('POST', 'sobjects/Account', { Name: 'P', Lifecycle_Stage__c: 'Sleeping' });
      expect(picklist.body[0]).toEqual({ errorCode: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', message: 'Lifecycle Stage: bad value for restricted picklist field: Sleeping', fields: ['Lifecycle_Stage__c'] });
      const tooLong = await raw('POST', 'sobjects/Contact', { LastName: 'y'.repeat(90) });
      expect(tooLong.body[0].message).toBe(`Last Name: data value too large: ${'y'.repeat(90)} (max length=80)`);
      await conn.sobject('Contact').create({ LastName: 'Unique', Journy_User_Id__c: 'u-dup' });
      const duplicate = await raw('POST', 'sobjects/Contact', { LastName: 'Unique2', Journy_User_Id__c: 'u-dup' });
      expect(duplicate.body[0].errorCode).toBe('DUPLICATE_VALUE');
      expect(duplicate.body[0].message).toMatch(/^duplicate value found: Journy_User_Id__c duplicates value on record with id: 003/);
      const notFound = await raw('PATCH', 'sobjects/Contact/0035g00000ZZZZZ', { LastName: 'x' });
      expect(notFound.status).toBe(404);
      expect(notFound.body[0].errorCode).toBe('NOT_FOUND');
    });

    it('applies the optional duplicate rule on Contact email (DUPLICATES_DETECTED)', async () => {
      await h.admin('config', { contactEmailDuplicateRule: true });
      try {
        await conn.sobject('Contact').create({ LastName: 'First', Email: 'dupe.rule@example.com' });
        const second = await raw('POST', 'sobjects/Contact', { LastName: 'Second', Email: 'DUPE.RULE@example.com' });
        expect(second.body[0]).toMatchObject({ errorCode: 'DUPLICATES_DETECTED', message: 'Use one of these records?' });
      } finally {
        await h.admin('config', { contactEmailDuplicateRule: false });
      }
    });

    it('upserts by external id: 201 created, 200 updated, 300 on several matches, 404 for a bad field', async () => {
      const created = await raw('PATCH', 'sobjects/Account/Journy_Account_Id__c/ext-42', { Name: 'Upserted' });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ success: true, errors: [], created: true });
      const updated = await raw('PATCH', 'sobjects/Account/Journy_Account_Id__c/ext-42', { Name: 'Upserted again' });
      expect(updated.status).toBe(200);
      expect(updated.body).toEqual({ id: created.body.id, success: true, errors: [], created: false });
      const old = await fetch(`${h.url}/services/data/v45.0/sobjects/Account/Journy_Account_Id__c/ext-42`, { method: 'PATCH', headers: { Authorization: `Bearer ${conn.accessToken}`, 'content-type': 'application/json' }, body: '{"Name":"v45"}' });
      expect(old.status).toBe(204);

      const viaJsforce = await conn.sobject('Account').upsert({ Name: 'jsforce upsert', Journy_Account_Id__c: 'ext-43' }, 'Journy_Account_Id__c');
      expect(viaJsforce).toMatchObject({ success: true, created: true });

      await conn.sobject('Contact').create([{ LastName: 'Twin A', Email: 'twin@example.com' }, { LastName: 'Twin B', Email: 'twin@example.com' }]);
      const multiple = await raw('PATCH', 'sobjects/Contact/Email/twin@example.com', { Title: 'CEO' });
      expect(multiple.status).toBe(300);
      expect(multiple.body).toHaveLength(2);
      expect(multiple.body[0]).toMatch(new RegExp(`^/services/data/v${LATEST_VERSION}/sobjects/Contact/003`));
      expect((await rejectionOf(conn.sobject('Contact').upsert({ Title: 'CEO', Email: 'twin@example.com' }, 'Email'))).errorCode).toBe('MULTIPLE_CHOICES');

      const badField = await raw('PATCH', 'sobjects/Account/Namez/x', { Name: 'x' });
      expect(badField.status).toBe(404);
      expect(badField.body).toEqual([{ message: 'Provided external ID field does not exist or is not accessible: Namez', errorCode: 'NOT_FOUND' }]);
    });
  });

  describe('sObject Collections', () => {
    it('creates in request order with per-record results (statusCode inside errors) and partial success', async () => {
      const results = await conn.sobject('Contact').create([{ LastName: 'C1' }, { FirstName: 'NoLast' }, { LastName: 'C3', Email: 'c3@example.com' }], { allOrNone: false });
      expect(results.map((r) => r.success)).toEqual([true, false, true]);
      const failed = await raw('POST', 'composite/sobjects', { allOrNone: false, records: [{ attributes: { type: 'Contact' }, FirstName: 'NoLast' }] });
      expect(failed.body).toEqual([{ success: false, errors: [{ statusCode: 'REQUIRED_FIELD_MISSING', message: 'Required fields are missing: [LastName]', fields: ['LastName'] }] }]);
    });

    it('rolls everything back with allOrNone', async () => {
      const before = (await conn.query('SELECT COUNT() FROM Account')).totalSize;
      const response = await raw('POST', 'composite/sobjects', { allOrNone: true, records: [{ attributes: { type: 'Account' }, Name: 'Kept?' }, { attributes: { type: 'Account' }, Name: 'x'.repeat(300) }] });
      expect(response.status).toBe(200);
      expect(response.body[0]).toEqual({ success: false, errors: [{ statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK', message: 'Record rolled back because not all records were valid and the request was using AllOrNone header', fields: [] }] });
      expect(response.body[1].errors[0].statusCode).toBe('STRING_TOO_LONG');
      expect((await conn.query('SELECT COUNT() FROM Account')).totalSize).toBe(before);
    });

    it('updates, upserts and deletes many; refuses more than 200 records', async () => {
      const created = await conn.sobject('Account').create([{ Name: 'U1' }, { Name: 'U2' }]);
      const ids = created.map((r) => r.id!);
      const updated = await conn.sobject('Account').update(ids.map((Id) => ({ Id, Industry: 'Media' })));
      expect(updated.every((r) => r.success)).toBe(true);
      const upserted = await raw('PATCH', 'composite/sobjects/Account/Journy_Account_Id__c', {
        allOrNone: false,
        records: [
          { attributes: { type: 'Account' }, Name: 'New via collection', Journy_Account_Id__c: 'col-1' },
          { attributes: { type: 'Account' }, Name: 'Again', Journy_Account_Id__c: 'ext-42' },
          { attributes: { type: 'Account' }, Name: 'Dup A', Journy_Account_Id__c: 'dup-x' },
          { attributes: { type: 'Account' }, Name: 'Dup B', Journy_Account_Id__c: 'dup-x' },
        ],
      });
      expect(upserted.body.map((r: Row) => [r.success, r.created])).toEqual([[true, true], [true, false], [false, undefined], [false, undefined]]);
      expect(upserted.body[2].errors[0].statusCode).toBe('DUPLICATE_EXTERNAL_ID');
      const deleted = await conn.sobject('Account').destroy(ids);
      expect(deleted.map((r) => r.success)).toEqual([true, true]);
      const tooMany = await raw('POST', 'composite/sobjects', { records: Array.from({ length: 201 }, (_, i) => ({ attributes: { type: 'Account' }, Name: `n${i}` })) });
      expect(tooMany.status).toBe(400);
      expect(tooMany.body[0].errorCode).toBe('EXCEEDED_ID_LIMIT');
    });
  });

  describe('composite and limits', () => {
    it('runs dependent subrequests with @{ref} and counts as one API call', async () => {
      const before = h.emulator.apiUsage().used;
      const response = await raw('POST', 'composite', {
        allOrNone: true,
        compositeRequest: [
          { method: 'POST', url: `/services/data/v${LATEST_VERSION}/sobjects/Account`, referenceId: 'NewAccount', body: { Name: 'Composite Co' } },
          { method: 'POST', url: `/services/data/v${LATEST_VERSION}/sobjects/Contact`, referenceId: 'NewContact', body: { LastName: 'Comp', AccountId: '@{NewAccount.id}' } },
          { method: 'GET', url: `/services/data/v${LATEST_VERSION}/sobjects/Contact/@{NewContact.id}?fields=AccountId`, referenceId: 'Check' },
        ],
      });
      expect(h.emulator.apiUsage().used - before).toBe(1);
      const [account, , check] = response.body.compositeResponse;
      expect(account.httpStatusCode).toBe(201);
      expect(check.body.AccountId).toBe(account.body.id);

      const failing = await raw('POST', 'composite', {
        allOrNone: true,
        compositeRequest: [
          { method: 'POST', url: `/services/data/v${LATEST_VERSION}/sobjects/Account`, referenceId: 'A', body: { Name: 'Rolled back' } },
          { method: 'POST', url: `/services/data/v${LATEST_VERSION}/sobjects/Contact`, referenceId: 'B', body: { FirstName: 'no last name' } },
        ],
      });
      expect(failing.body.compositeResponse[0].body[0].errorCode).toBe('PROCESSING_HALTED');
      expect(failing.body.compositeResponse[1].body[0].errorCode).toBe('REQUIRED_FIELD_MISSING');
      expect((await conn.query("SELECT COUNT() FROM Account WHERE Name = 'Rolled back'")).totalSize).toBe(0);
    });

    it('counts every call in Sforce-Limit-Info and /limits, and refuses calls past the allocation', async () => {
      await conn.query('SELECT Id FROM User');
      const used = conn.limitInfo.apiUsage!.used;
      expect(conn.limitInfo.apiUsage!.limit).toBe(100_000);
      const limits = await conn.limits();
      expect(limits.DailyApiRequests.Max).toBe(100_000);
      expect(limits.DailyApiRequests.Remaining).toBe(100_000 - used - 1);
      const stats = await h.admin<{ api: { byEndpoint: Record<string, number> } }>('stats');
      expect(stats.api.byEndpoint['GET query']).toBeGreaterThan(0);

      await h.admin('faults', { requestLimitExceeded: true });
      try {
        const refused = await raw('GET', 'limits');
        expect(refused.status).toBe(403);
        expect(refused.body).toEqual([{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }]);
      } finally {
        await h.admin('faults', undefined, 'DELETE');
      }
    });

    it('injects 500s, 503s and UNABLE_TO_LOCK_ROW on request', async () => {
      await h.admin('faults', { errors: { query: { rate: 1, kind: 503 } } });
      expect((await raw('GET', `query?q=${encodeURIComponent('SELECT Id FROM User')}`)).status).toBe(503);
      await h.admin('faults', { errors: { any: { rate: 1, kind: 500 } } });
      const failed = await raw('GET', 'limits');
      expect(failed.status).toBe(500);
      expect(failed.body[0].errorCode).toBe('UNKNOWN_EXCEPTION');
      await h.admin('faults', { errors: { rest: { rate: 1, kind: 'timeout' } } });
      const hung = fetch(`${h.url}/services/data/v${LATEST_VERSION}/sobjects/Account/describe`, { headers: { Authorization: `Bearer ${conn.accessToken}` }, signal: AbortSignal.timeout(300) });
      await expect(hung).rejects.toThrow(/timeout|aborted/i);
      await h.admin('faults', { errors: {}, lockRowRate: 1 });
      const locked = await conn.sobject('Account').create([{ Name: 'Locked' }]);
      expect(locked[0].success).toBe(false);
      expect((locked[0] as unknown as { errors: { statusCode: string }[] }).errors[0].statusCode).toBe('UNABLE_TO_LOCK_ROW');
      await h.admin('faults', undefined, 'DELETE');
    });
  });
});
