import { SalesforceEmulator } from '@tools/salesforce-emulator';
import { ConnectionChangesPublisher } from '@connector/org-access';
import { Store, Tap, connectOrg, ingestEnv, logCapture, openStore, payloadOf, sleep, startIngest } from '../support/ingest-harness';
import { uniqueName } from '../support/stack-env';
import { WorkersLifecycle } from '../../apps/ingest/src/workers/workers.lifecycle';

jest.setTimeout(120_000);

describe('initial import: a seeded org with relationships becomes journy commands, logs and links', () => {
  let emulator: SalesforceEmulator;
  let url: string;
  let store: Store;
  let tap: Tap;
  let connectionId: string | null = null;
  const tenant = uniqueName('tenant');

  beforeAll(async () => {
    emulator = new SalesforceEmulator({ autoApprove: true, bulkProcessingDelayMs: 20 });
    url = await emulator.start();
    await fetch(`${url}/__emulator/generate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ accounts: 24, contacts: 150, relationships: 20, contactsWithoutEmail: 0.05, accountsWithoutExternalId: 0.1, randomSeed: 11 }) });
    store = await openStore();
    tap = await Tap.open(() => connectionId);
  });
  afterAll(async () => {
    await tap?.close();
    await store?.close();
    await emulator?.stop();
  });

  it('publishes every account, user and membership exactly, skips records without a key with the reason, and counts it all', async () => {
    const connection = await connectOrg(emulator, url, store.connections, store.cipher, { tenantId: tenant, settings: { source: { ongoingImport: false } } });
    connectionId = connection.id;
    const { lines, logger } = logCapture();
    const ingest = await startIngest(store, ingestEnv(emulator, { INGEST_IMPORT_PAGE_SIZE: '40' }), logger);
    try {
      const job = await store.jobs.start(tenant, connection.id, 'test');
      let finished = await store.jobs.get(tenant, connection.id, job.id);
      for (let i = 0; i < 300 && finished?.state !== 'SUCCEEDED' && finished?.state !== 'FAILED'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        finished = await store.jobs.get(tenant, connection.id, job.id);
      }
      expect(finished).toMatchObject({ state: 'SUCCEEDED', phase: 'DONE' });

      const accounts = [...emulator.org.all('Account')] as Record<string, unknown>[];
      const contacts = [...emulator.org.all('Contact')] as Record<string, unknown>[];
      const relations = [...emulator.org.all('AccountContactRelation')] as Record<string, unknown>[];
      const keyed = accounts.filter((a) => a.Journy_Account_Id__c);
      const withEmail = contacts.filter((c) => c.Email);
      const extIdOf = new Map(accounts.map((a) => [a.Id, a.Journy_Account_Id__c as string | null]));
      const emailOf = new Map(contacts.map((c) => [c.Id, c.Email ? String(c.Email).toLowerCase() : null]));
      const expectedMembers = relations.filter((r) => extIdOf.get(r.AccountId) && emailOf.get(r.ContactId)).map((r) => `${extIdOf.get(r.AccountId)}|${emailOf.get(r.ContactId)}`).sort();
      expect(keyed.length).toBeLessThan(accounts.length); // the seed has accounts without the key…
      expect(withEmail.length).toBeLessThan(contacts.length); // …and contacts without email
      expect(relations.length).toBeGreaterThan(contacts.length); // direct relations plus the extra ones

      const total = keyed.length + withEmail.length;
      // Commands and logs are two topics read side by side: wait for every kind, memberships included.
      const members = (t: Tap) => t.commands.filter((c) => payloadOf(c).type === 'AddAccountMembers').reduce((n, c) => n + (payloadOf(c).body as { users: unknown[] }).users.length, 0);
      await tap.until((t) => t.commands.filter((c) => payloadOf(c).type.startsWith('Upsert')).length >= total && members(t) >= expectedMembers.length && t.logs.length >= accounts.length + contacts.length + relations.length, 'all commands and logs');

      const upsertAccounts = tap.commands.filter((c) => payloadOf(c).type === 'UpsertAccount').map((c) => payloadOf(c).body);
      expect(upsertAccounts.map((a) => a.accountId).sort()).toEqual(keyed.map((a) => a.Journy_Account_Id__c).sort());
      const sample = keyed[0];
      expect(upsertAccounts.find((a) => a.accountId === sample.Journy_Account_Id__c)).toEqual({
        accountId: sample.Journy_Account_Id__c, domain: new URL(String(sample.Website)).hostname.replace(/^www\./, ''), properties: { name: sample.Name },
      });
      const upsertUsers = tap.commands.filter((c) => payloadOf(c).type === 'UpsertUser').map((c) => payloadOf(c).body);
      expect(upsertUsers.map((u) => u.email).sort()).toEqual(withEmail.map((c) => String(c.Email).toLowerCase()).sort());
      const person = withEmail[0];
      expect(upsertUsers.find((u) => u.email === String(person.Email).toLowerCase())).toEqual({
        userId: null, email: String(person.Email).toLowerCase(), properties: { first_name: person.FirstName ?? null, last_name: person.LastName, phone: person.Phone ?? null },
      });
      const memberships = tap.commands.filter((c) => payloadOf(c).type === 'AddAccountMembers').map((c) => payloadOf(c).body as { accountId: string; users: { email: string }[] });
      expect(memberships.every((m) => m.users.length >= 1 && m.users.length <= 100)).toBe(true);
      expect(memberships.flatMap((m) => m.users.map((u) => `${m.accountId}|${u.email}`)).sort()).toEqual(expectedMembers);
      // Commands are keyed per journy entity and carry their Salesforce source.
      const anyCommand = tap.commands[0];
      expect(anyCommand).toMatchObject({ tenantId: tenant, connectionId: connection.id, mode: 'INITIAL_IMPORT', source: { orgId: emulator.org.orgId } });
      expect(new Set(tap.commands.map((c) => c.commandId)).size).toBe(tap.commands.length);

      // One log line per record; records without their key are skipped with the reason.
      const skipped = tap.logs.filter((l) => l.status === 'SKIPPED');
      expect(skipped.filter((l) => l.objectType === 'ACCOUNT').map((l) => l.salesforce.recordId).sort()).toEqual(accounts.filter((a) => !a.Journy_Account_Id__c).map((a) => a.Id).sort());
      expect(skipped.filter((l) => l.objectType === 'USER').map((l) => l.salesforce.recordId).sort()).toEqual(contacts.filter((c) => !c.Email).map((c) => c.Id).sort());
      expect(skipped.every((l) => l.reason === 'MISSING_KEY' && l.message)).toBe(true);
      expect(tap.logs.filter((l) => l.objectType === 'MEMBERSHIP').length).toBe(relations.length);

      expect(finished!.counts).toEqual({
        Account: { read: accounts.length, published: keyed.length, skipped: accounts.length - keyed.length, failed: 0 },
        Contact: { read: contacts.length, published: withEmail.length, skipped: contacts.length - withEmail.length, failed: 0 },
        AccountContactRelation: { read: relations.length, published: expectedMembers.length, skipped: relations.length - expectedMembers.length, failed: 0 },
      });

      // A link for every imported record, so later syncs find the counterpart without a lookup.
      const contactLinks = await store.links.findBySalesforceIds(tenant, connection.id, withEmail.map((c) => String(c.Id)));
      expect(contactLinks).toHaveLength(withEmail.length);
      expect(contactLinks.find((l) => l.salesforceId === person.Id)).toMatchObject({ kind: 'USER', journyKey: String(person.Email).toLowerCase(), lastRead: { LastName: person.LastName } });
      expect(await store.links.findByJournyKeys(tenant, connection.id, 'ACCOUNT', keyed.map((a) => String(a.Journy_Account_Id__c)))).toHaveLength(keyed.length);

      // Read with Bulk API 2.0, page by page.
      const stats = (await (await fetch(`${url}/__emulator/stats`)).json()) as { api: { byEndpoint: Record<string, number> } };
      expect(Object.keys(stats.api.byEndpoint).some((k) => /bulk|jobs\/query/i.test(k))).toBe(true);
      expect(lines().some((l) => l.msg === 'import finished')).toBe(true);
    } finally {
      await ingest.stop();
    }
  });

  it('reports a stream that cannot run as stuck in its health check, with the reason', async () => {
    const tenantId = uniqueName('tenant');
    const connection = await connectOrg(emulator, url, store.connections, store.cipher, { tenantId });
    // The org moved somewhere that does not answer: the stream keeps failing.
    await store.connections.update(tenantId, connection.id, { org: { ...connection.org, instanceUrl: 'http://127.0.0.1:9' } });
    const { logger } = logCapture();
    const ingest = await startIngest(store, ingestEnv(emulator, { INGEST_STREAM_STUCK_MS: '1500', INGEST_POLL_INTERVAL_MS: '200' }), logger);
    try {
      let health = ingest.runtime.health();
      for (let i = 0; i < 100 && health.status === 'up'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        health = ingest.runtime.health();
      }
      expect(health.status).toBe('down');
      expect(health.details!.reason).toContain(connection.id);
      const status = (health.details!.connections as { connectionId: string; state: string; lastError: string }[]).find((c) => c.connectionId === connection.id)!;
      expect(status.state).toBe('retrying');
      expect(status.lastError).toMatch(/did not answer|unreachable|fetch failed|ECONNREFUSED/i);
    } finally {
      await ingest.stop();
    }
  });

  it('starts an import of a streaming connection once its change is published, not at the next safety-net look', async () => {
    const tenantId = uniqueName('tenant');
    const connection = await connectOrg(emulator, url, store.connections, store.cipher, { tenantId, settings: { source: { ongoingImport: false } } });
    const { logger } = logCapture();
    const ingest = await startIngest(store, ingestEnv(emulator, { INGEST_STREAMING_POLL_MS: '120000' }), logger);
    try {
      for (let i = 0; i < 300 && ingest.runtime.statuses().find((s) => s.connectionId === connection.id)?.state !== 'streaming'; i++) await sleep(100);
      expect(ingest.runtime.statuses().find((s) => s.connectionId === connection.id)?.state).toBe('streaming');
      const job = await store.jobs.start(tenantId, connection.id, 'test');
      await sleep(3000);
      expect((await store.jobs.get(tenantId, connection.id, job.id))?.state).toBe('PENDING'); // a streaming worker does not poll every few seconds
      const published = Date.now();
      await new ConnectionChangesPublisher(ingest.kafka).changed('UPDATED', connection); // what the API does on POST …/imports
      let state = (await store.jobs.get(tenantId, connection.id, job.id))?.state;
      for (let i = 0; i < 300 && state !== 'SUCCEEDED' && state !== 'FAILED'; i++) {
        await sleep(100);
        state = (await store.jobs.get(tenantId, connection.id, job.id))?.state;
      }
      expect(state).toBe('SUCCEEDED');
      expect(Date.now() - published).toBeLessThan(30_000);
    } finally {
      await ingest.stop();
    }
  });

  it('a streaming connection changed without a change message is looked at by the next reconcile: an import job starts, a disable stops the stream', async () => {
    const tenantId = uniqueName('tenant');
    const connection = await connectOrg(emulator, url, store.connections, store.cipher, { tenantId, settings: { source: { ongoingImport: false } } });
    const { logger } = logCapture();
    const ingest = await startIngest(store, ingestEnv(emulator, { INGEST_STREAMING_POLL_MS: '120000' }), logger);
    const stateOf = () => ingest.runtime.statuses().find((s) => s.connectionId === connection.id)?.state;
    try {
      for (let i = 0; i < 300 && stateOf() !== 'streaming'; i++) await sleep(100);
      expect(stateOf()).toBe('streaming');
      // Written straight to the store, as if the change message had been lost: the periodic reconcile (every 30 s)
      // reads all connections' revisions and all active jobs, and wakes this worker.
      const job = await store.jobs.start(tenantId, connection.id, 'test');
      await ingest.app.get(WorkersLifecycle).reconcile();
      let state = (await store.jobs.get(tenantId, connection.id, job.id))?.state;
      for (let i = 0; i < 300 && state !== 'SUCCEEDED' && state !== 'FAILED'; i++) {
        await sleep(100);
        state = (await store.jobs.get(tenantId, connection.id, job.id))?.state;
      }
      expect(state).toBe('SUCCEEDED');
      for (let i = 0; i < 300 && stateOf() !== 'streaming'; i++) await sleep(100);
      expect(stateOf()).toBe('streaming');
      await store.connections.update(tenantId, connection.id, { enabled: false }); // the revision moves
      await sleep(1000);
      expect(stateOf()).toBe('streaming'); // nothing told the worker yet
      await ingest.app.get(WorkersLifecycle).reconcile();
      for (let i = 0; i < 100 && stateOf() !== 'idle'; i++) await sleep(100);
      expect(stateOf()).toBe('idle');
    } finally {
      await ingest.stop();
    }
  });
});
