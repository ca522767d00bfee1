import { Connection } from 'jsforce';
import { CookieJar } from 'tough-cookie';
import { LATEST_VERSION } from '../src';
import { Harness, rejectionOf, startEmulator } from './helpers';

/** What a real org answers where the emulator used to differ: each block is one point of the fidelity list. */
describe('fidelity to a real org (plain HTTP, documented shapes)', () => {
  let h: Harness;
  let token: string;

  beforeAll(async () => {
    h = await startEmulator({ seed: { generate: { accounts: 5, contacts: 20, relationships: 0, randomSeed: 3 } } });
    token = (await h.connect()).accessToken!;
  });
  afterAll(() => h.stop());

  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}, version = LATEST_VERSION) => {
    const response = await fetch(`${h.url}/services/data/v${version}/${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, text, body: text && response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
  };
  const soql = (q: string, extra = '') => call('GET', `query?q=${encodeURIComponent(q)}${extra}`);
  const firstContact = async () => (await soql('SELECT Id, Email FROM Contact ORDER BY Id LIMIT 1')).body.records[0] as { Id: string; Email: string };

  /** Every change event published from now on, as the org's bus holds it. */
  const changesAfter = (mark: number) =>
    h.emulator.org.bus.replay('/data/ChangeEvents', -2).filter((e) => e.replayId > mark).map((e) => (e.data.payload as { ChangeEventHeader: Record<string, unknown> }).ChangeEventHeader);
  const lastReplayId = () => h.emulator.org.bus.replay('/data/ChangeEvents', -2).at(-1)?.replayId ?? 0;

  describe('1. changeOrigin as Salesforce writes it for each path', () => {
    it('REST with a client id, with another app’s, and with none', async () => {
      const contact = await firstContact();
      const mark = lastReplayId();
      await call('PATCH', `sobjects/Contact/${contact.Id}`, { Title: 'ours' }, { 'Sforce-Call-Options': 'client=journy-connector' });
      await call('PATCH', `sobjects/Contact/${contact.Id}`, { Title: 'theirs' }, { 'Sforce-Call-Options': 'client=HubSpotSync, defaultNamespace=hs' });
      await call('PATCH', `sobjects/Contact/${contact.Id}`, { Title: 'nobody' });
      expect(changesAfter(mark).map((c) => c.changeOrigin)).toEqual([
        `com/salesforce/api/rest/${LATEST_VERSION};client=journy-connector`,
        `com/salesforce/api/rest/${LATEST_VERSION};client=HubSpotSync`,
        `com/salesforce/api/rest/${LATEST_VERSION}`,
      ]);
    });

    it('a user in Lightning, in Classic, and the platform itself', async () => {
      const contact = await firstContact();
      const mark = lastReplayId();
      for (const via of ['lightning', 'classic', 'core']) {
        await h.admin('act-as', { username: 'rep.alex@journy-demo.example', via, operations: [{ op: 'update', object: 'Contact', id: contact.Id, fields: { Title: via } }] });
      }
      expect(changesAfter(mark).map((c) => c.changeOrigin)).toEqual([`com/salesforce/api/soap/${LATEST_VERSION};client=SfdcInternalAPI/`, '', 'com.salesforce.core']);
    });

    it('Bulk API 2.0 writes as bulkapi, with the client of the job’s calls', async () => {
      const mark = lastReplayId();
      const job = (await call('POST', 'jobs/ingest', { object: 'Account', operation: 'insert', lineEnding: 'LF' }, { 'Sforce-Call-Options': 'client=journy-connector' })).body;
      await call('PUT', `jobs/ingest/${job.id}/batches`, 'Name\nBulk Origin Co\n', { 'content-type': 'text/csv' });
      await call('PATCH', `jobs/ingest/${job.id}`, { state: 'UploadComplete' }, { 'Sforce-Call-Options': 'client=journy-connector' });
      await waitFor(async () => changesAfter(mark).length > 0);
      expect(changesAfter(mark)[0].changeOrigin).toBe(`com/salesforce/api/bulkapi/${LATEST_VERSION};client=journy-connector`);
    });
  });

  describe('2. every API version from 31.0 to the current release', () => {
    it('lists them all in order, with their release names', async () => {
      const versions = (await (await fetch(`${h.url}/services/data/`)).json()) as { version: string; label: string; url: string }[];
      expect(versions[0]).toEqual({ label: "Summer '14", url: '/services/data/v31.0', version: '31.0' });
      expect(versions.map((v) => Number(v.version))).toEqual(Array.from({ length: versions.length }, (_, i) => 31 + i));
      expect(versions.find((v) => v.version === '62.0')!.label).toBe("Winter '25");
      expect(versions.at(-1)).toEqual({ label: "Winter '27", url: '/services/data/v68.0', version: '68.0' });
    });

    it('serves a version in the middle (the CLI’s v51.0 login read), 410 below 31.0 and 404 above the current one', async () => {
      const userId = h.emulator.integrationUserId;
      const user = await call('GET', `sobjects/User/${userId}`, undefined, {}, '51.0');
      expect(user.status).toBe(200);
      expect(user.body.attributes.url).toBe(`/services/data/v51.0/sobjects/User/${userId}`);
      expect((await call('GET', 'limits', undefined, {}, '34.0')).status).toBe(200);
      expect((await call('GET', 'limits', undefined, {}, '30.0')).status).toBe(410);
      expect((await call('GET', 'limits', undefined, {}, '69.0')).body).toEqual([{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }]);
    });
  });

  describe('3. query?columns=true', () => {
    it('answers column metadata, parent paths nested as join columns', async () => {
      const result = await soql('SELECT Id, Email, Account.Name, Account.Owner.Username, HasOptedOutOfEmail FROM Contact', '&columns=true');
      expect(result.status).toBe(200);
      expect(result.body).toMatchObject({ entityName: 'Contact', groupBy: false, idSelected: true, keyPrefix: '003' });
      const columns = result.body.columnMetadata as { columnName: string; apexType: string | null; joinColumns: { columnName: string; joinColumns: { columnName: string }[] }[] }[];
      expect(columns.map((c) => c.columnName)).toEqual(['Id', 'Email', 'Account', 'HasOptedOutOfEmail']);
      expect(columns[1]).toMatchObject({ apexType: 'String', textType: true, insertable: true, updatable: true, aggregate: false, displayName: 'Email' });
      expect(columns[2].joinColumns.map((c) => c.columnName)).toEqual(['Name', 'Owner']);
      expect(columns[2].joinColumns[1].joinColumns.map((c) => c.columnName)).toEqual(['Username']);
      expect(columns[3]).toMatchObject({ apexType: 'Boolean', booleanType: true });
      expect(result.body.records).toBeUndefined();
    });
  });

  describe('4. the BAYEUX_BROWSER cookie', () => {
    it('is not Secure over plain HTTP, so an RFC 6265 cookie jar sends it back and /meta/connect succeeds', async () => {
      const jar = new CookieJar();
      const endpoint = `${h.url}/cometd/${LATEST_VERSION}`;
      const bayeux = async (message: Record<string, unknown>) => {
        const response = await fetch(endpoint, {
          method: 'POST',
          headers: { Authorization: `OAuth ${token}`, 'content-type': 'application/json', cookie: await jar.getCookieString(endpoint) },
          body: JSON.stringify([message]),
        });
        for (const header of response.headers.getSetCookie()) await jar.setCookie(header, endpoint);
        return { setCookie: response.headers.getSetCookie(), body: (await response.json()) as Record<string, unknown>[] };
      };
      const handshake = await bayeux({ channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'], id: '1' });
      expect(handshake.setCookie[0]).toMatch(/^BAYEUX_BROWSER=[^;]+; Path=\/; HttpOnly$/);
      const clientId = handshake.body[0].clientId;
      const connect = await bayeux({ channel: '/meta/connect', clientId, connectionType: 'long-polling', id: '2' });
      expect(connect.body.find((m) => m.channel === '/meta/connect')).toMatchObject({ successful: true, advice: { reconnect: 'retry', interval: 0 } });
      await bayeux({ channel: '/meta/disconnect', clientId, id: '3' });
    });

    it('is Secure behind HTTPS', async () => {
      const response = await fetch(`${h.url}/cometd/${LATEST_VERSION}`, {
        method: 'POST',
        headers: { Authorization: `OAuth ${token}`, 'content-type': 'application/json', 'x-forwarded-proto': 'https' },
        body: JSON.stringify([{ channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'], id: '1' }]),
      });
      expect(response.headers.getSetCookie()[0]).toMatch(/; HttpOnly; Secure$/);
    });
  });

  describe('5. Bulk API 2.0 job info', () => {
    it('writes apiVersion with its decimal, contentUrl with the v, and jobType in lists', async () => {
      const created = await call('POST', 'jobs/ingest', { object: 'Contact', operation: 'update', lineEnding: 'LF' });
      expect(created.text).toContain(`"apiVersion":${LATEST_VERSION},`);
      expect(created.body.contentUrl).toBe(`services/data/v${LATEST_VERSION}/jobs/ingest/${created.body.id}/batches`);
      expect(created.body.jobType).toBeUndefined();
      const list = await call('GET', 'jobs/ingest');
      expect(list.body.records.find((j: { id: string }) => j.id === created.body.id)).toMatchObject({ jobType: 'V2Ingest', contentUrl: created.body.contentUrl });
      const query = await call('POST', 'jobs/query', { operation: 'query', query: 'SELECT Id FROM Account' });
      expect(query.text).toContain(`"apiVersion":${LATEST_VERSION},`);
      expect((await call('GET', 'jobs/query')).body.records.find((j: { id: string }) => j.id === query.body.id)).toMatchObject({ jobType: 'V2Query' });
    });
  });

  describe('6. sObject Collections failures', () => {
    it('carry no id, and an 18-character id with a bad checksum is MALFORMED_ID', async () => {
      const contact = await firstContact();
      const badChecksum = `${contact.Id.slice(0, 15)}ZZZ`;
      const updated = await call('PATCH', 'composite/sobjects', {
        allOrNone: false,
        records: [
          { attributes: { type: 'Contact' }, id: contact.Id, Title: 'fine' },
          { attributes: { type: 'Contact' }, id: badChecksum, Title: 'bad' },
          { attributes: { type: 'Contact' }, id: contact.Id, Email: 'not an email' },
        ],
      });
      expect(updated.body[0]).toEqual({ id: contact.Id, success: true, errors: [] });
      expect(updated.body[1]).toEqual({ success: false, errors: [expect.objectContaining({ statusCode: 'MALFORMED_ID', fields: ['Id'] })] });
      expect(Object.keys(updated.body[2])).toEqual(['success', 'errors']);
      expect(updated.body[2].errors[0].statusCode).toBe('INVALID_EMAIL_ADDRESS');
      const deleted = await call('DELETE', `composite/sobjects?ids=${badChecksum}`);
      expect(deleted.body).toEqual([{ success: false, errors: [expect.objectContaining({ statusCode: 'MALFORMED_ID' })] }]);
      expect((await call('GET', `sobjects/Contact/${badChecksum}`)).body[0].errorCode).toBe('MALFORMED_ID');
    });
  });

  describe('7. identity', () => {
    it('userinfo speaks OpenID Connect', async () => {
      const info = (await (await fetch(`${h.url}/services/oauth2/userinfo`, { headers: { Authorization: `Bearer ${token}` } })).json()) as Record<string, unknown>;
      for (const key of ['sub', 'user_id', 'organization_id', 'preferred_username', 'nickname', 'name', 'email', 'email_verified', 'given_name', 'family_name', 'zoneinfo', 'photos', 'profile', 'picture', 'address', 'is_salesforce_integration_user', 'urls', 'active', 'user_type', 'language', 'locale', 'utcOffset', 'updated_at', 'is_app_installed']) {
        expect(info).toHaveProperty(key);
      }
      expect(info).toMatchObject({ given_name: 'journy', family_name: 'Integration', preferred_username: 'integration@journy-demo.example', is_salesforce_integration_user: false });
      expect(info.updated_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(info).not.toHaveProperty('first_name');
    });

    it('the identity URL carries the keys real orgs send', async () => {
      const info = (await (await fetch(`${h.url}/id/${h.emulator.org.orgId}/${h.emulator.integrationUserId}?version=${LATEST_VERSION}`, { headers: { Authorization: `Bearer ${token}` } })).json()) as Record<string, Record<string, unknown>>;
      for (const key of ['id', 'asserted_user', 'user_id', 'organization_id', 'username', 'nick_name', 'display_name', 'email', 'email_verified', 'first_name', 'last_name', 'timezone', 'photos', 'addr_street', 'addr_city', 'addr_state', 'addr_country', 'addr_zip', 'mobile_phone', 'mobile_phone_verified', 'is_lightning_login_user', 'status', 'urls', 'active', 'user_type', 'language', 'locale', 'utcOffset', 'last_modified_date', 'is_app_installed']) {
        expect(info).toHaveProperty(key);
      }
      expect(Object.keys(info.urls)).toEqual(expect.arrayContaining(['tooling_soap', 'tooling_rest', 'feeds', 'feed_elements', 'custom_domain']));
      expect(info.urls.rest).toBe(`${h.url}/services/data/v${LATEST_VERSION}/`);
    });
  });

  describe('8. timestamps to the second', () => {
    it('audit fields and CDC commit timestamps carry no milliseconds', async () => {
      const mark = lastReplayId();
      const created = await call('POST', 'sobjects/Account', { Name: 'Second Precision' });
      const row = (await call('GET', `sobjects/Account/${created.body.id}?fields=CreatedDate,LastModifiedDate,SystemModstamp`)).body;
      for (const field of ['CreatedDate', 'LastModifiedDate', 'SystemModstamp']) expect(row[field]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000\+0000$/);
      const header = changesAfter(mark)[0];
      expect(header.commitTimestamp as number % 1000).toBe(0);
    });
  });

  describe('9. resources common clients call', () => {
    it('updated/ and deleted/ answer ids and deletions in the window', async () => {
      const start = new Date(Date.now() - 3600_000).toISOString();
      const end = new Date(Date.now() + 3600_000).toISOString();
      const doomed = (await call('POST', 'sobjects/Account', { Name: 'Doomed Co' })).body.id as string;
      await call('DELETE', `sobjects/Account/${doomed}`);
      const window = `?start=${encodeURIComponent(start)}&end=${encodeURIComponent(end)}`;
      const updated = await call('GET', `sobjects/Account/updated/${window}`);
      expect(updated.status).toBe(200);
      expect(updated.body.latestDateCovered).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:00\.000\+0000$/);
      expect(updated.body.ids).not.toContain(doomed);
      const deleted = await call('GET', `sobjects/Account/deleted/${window}`);
      expect(deleted.body.deletedRecords).toEqual([{ id: doomed, deletedDate: expect.stringMatching(/\.000\+0000$/) }]);
      expect(deleted.body).toHaveProperty('earliestDateAvailable');
      expect((await call('GET', 'sobjects/Account/updated/?start=2001-01-01T00:00:00Z&end=2001-01-02T00:00:00Z')).body[0].errorCode).toBe('INVALID_REPLICATION_DATE');
      expect((await call('GET', 'sobjects/Account/updated/')).body[0].errorCode).toBe('MISSING_ARGUMENT');
    });

    it('SELECT … FROM Organization answers the org’s own row, read-only', async () => {
      const org = (await soql('SELECT Id, Name, IsSandbox, OrganizationType, InstanceName, NamespacePrefix, TrialExpirationDate FROM Organization')).body;
      expect(org.totalSize).toBe(1);
      expect(org.records[0]).toMatchObject({ Id: h.emulator.org.orgId, IsSandbox: false, OrganizationType: 'Enterprise Edition', NamespacePrefix: null });
      const refused = await call('POST', 'sobjects/Organization', { Name: 'Another' });
      expect(refused.body[0].errorCode).toBe('INVALID_TYPE_FOR_OPERATION');
    });

    it('a minimal Tooling API: EntityDefinition rows, and INVALID_TYPE for what it does not serve', async () => {
      const entities = (await call('GET', `tooling/query?q=${encodeURIComponent("SELECT QualifiedApiName, KeyPrefix FROM EntityDefinition WHERE QualifiedApiName IN ('Account', 'Contact') ORDER BY QualifiedApiName")}`)).body;
      expect(entities.records.map((r: Record<string, unknown>) => [r.QualifiedApiName, r.KeyPrefix])).toEqual([['Account', '001'], ['Contact', '003']]);
      expect(entities.records[0].attributes.url).toMatch(/^\/services\/data\/v[\d.]+\/sobjects\/EntityDefinition\//);
      const unknown = await call('GET', `tooling/query?q=${encodeURIComponent('SELECT Id FROM ApexClass')}`);
      expect(unknown.status).toBe(400);
      expect(unknown.body[0].errorCode).toBe('INVALID_TYPE');
    });

    it('SOSL search over accounts and contacts', async () => {
      const contact = await firstContact();
      await call('PATCH', `sobjects/Contact/${contact.Id}`, { LastName: 'Zyxwvut' });
      const found = await call('GET', `search?q=${encodeURIComponent('FIND {Zyxw*} IN NAME FIELDS RETURNING Contact(Id, LastName), Account(Id)')}`);
      expect(found.status).toBe(200);
      expect(found.body.searchRecords).toEqual([{ attributes: { type: 'Contact', url: `/services/data/v${LATEST_VERSION}/sobjects/Contact/${contact.Id}` }, Id: contact.Id, LastName: 'Zyxwvut' }]);
      const byEmail = await call('GET', `search?q=${encodeURIComponent(`FIND {${contact.Email}} IN EMAIL FIELDS RETURNING Contact(Email)`)}`);
      expect(byEmail.body.searchRecords.map((r: { Email: string }) => r.Email)).toEqual([contact.Email]);
      expect((await call('GET', `search?q=${encodeURIComponent('FIND {x}')}`)).body[0].errorCode).toBe('MALFORMED_SEARCH');
      expect((await call('GET', `search?q=${encodeURIComponent('FIND {Acme} RETURNING Opportunity')}`)).body[0].errorCode).toBe('INVALID_TYPE');
    });
  });

  describe('what is deliberately not emulated answers as a real org answers an API it has not enabled', () => {
    it('SOAP login (jsforce’s conn.login) gets a SOAP fault naming API_DISABLED_FOR_ORG', async () => {
      const conn = new Connection({ loginUrl: h.url, version: LATEST_VERSION });
      const error = await rejectionOf(conn.login('integration@journy-demo.example', 'emulator-password'));
      expect(`${error.name} ${error.message}`).toContain('API_DISABLED_FOR_ORG');
    });

    it('Bulk API 1.0 answers FeatureNotEnabled in its XML error', async () => {
      const response = await fetch(`${h.url}/services/async/${LATEST_VERSION}/job`, { method: 'POST', headers: { 'X-SFDC-Session': token, 'content-type': 'application/xml' }, body: '<jobInfo/>' });
      expect(response.status).toBe(400);
      expect(await response.text()).toContain('<exceptionCode>FeatureNotEnabled</exceptionCode>');
    });
  });
});

async function waitFor(predicate: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const started = Date.now();
  while (!(await predicate())) {
    if (Date.now() - started > timeoutMs) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
