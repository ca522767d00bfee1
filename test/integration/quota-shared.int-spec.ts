import { SalesforceEmulator } from '@tools/salesforce-emulator';
import { Store, connectOrg, emulatorAdmin, ingestEnv, logCapture, openStore, sleep, startIngest } from '../support/ingest-harness';
import { startJournyEvents } from '../support/outbound-harness';
import { uniqueName } from '../support/stack-env';

jest.setTimeout(120_000);

/** One quota pause for the org: taken by one journy-events instance, honoured by the other and by ingest. */
describe('a shared API quota pause', () => {
  let emulator: SalesforceEmulator;
  let url: string;
  let store: Store;
  const apps: Awaited<ReturnType<typeof startJournyEvents>>[] = [];
  let ingest: Awaited<ReturnType<typeof startIngest>> | null = null;
  const tenant = uniqueName('tenant');
  const admin = emulatorAdmin(() => url);
  const group = uniqueName('journy-events');
  let connection: Awaited<ReturnType<typeof connectOrg>>;

  beforeAll(async () => {
    emulator = new SalesforceEmulator({ autoApprove: true, bulkProcessingDelayMs: 20 });
    url = await emulator.start();
    await admin('generate', { accounts: 2, contacts: 10, randomSeed: 17, contactsWithoutEmail: 0 });
    store = await openStore();
    const logger = logCapture().logger;
    // A pause lasts 8 s before /limits is read again: long enough to watch who honours it.
    const env = ingestEnv(emulator, { JOURNY_EVENTS_GROUP: group, JOURNY_EVENTS_QUOTA_PAUSE_MS: '8000' });
    connection = await connectOrg(emulator, url, store.connections, store.cipher, {
      tenantId: tenant,
      settings: { destination: { userSegments: [], accountSegments: [], createContacts: false, createAccounts: false, contactMappings: [], accountMappings: [] } },
    });
    for (let i = 0; i < 2; i++) apps.push(await startJournyEvents(store, env, logger, { join: i > 0 }));
    ingest = await startIngest(store, ingestEnv(emulator, { INGEST_OWNERSHIP_GROUP: `owners-${tenant}` }), logger);
    for (let i = 0; i < 300 && ingest.runtime.statuses().find((s) => s.connectionId === connection.id)?.state !== 'streaming'; i++) await sleep(100);
    // Both journy-events members joined and the group settled, so the event below is consumed at once.
    const groupAdmin = apps[0].kafka.kafka.admin();
    await groupAdmin.connect();
    for (let i = 0; i < 300; i++, await sleep(100)) {
      const [described] = (await groupAdmin.describeGroups([group])).groups;
      if (described.state === 'Stable' && described.members.length === 2) break;
    }
    await groupAdmin.disconnect();
  });
  afterAll(async () => {
    for (const app of apps) await app.stop();
    await ingest?.stop();
    await store?.close();
    await emulator?.stop();
  });

  it('is seen by every instance of every app within seconds', async () => {
    expect(ingest!.runtime.statuses().find((s) => s.connectionId === connection.id)?.state).toBe('streaming');
    // One instance sees Salesforce refuse a call for the org's limit (outbound.int-spec proves that path).
    apps[0].runtime.quota.exhausted(connection, 'TotalRequests Limit exceeded.');
    let stored = await store.apiUsage.find(tenant, connection.id);
    for (let i = 0; i < 100 && !stored?.pausedUntil; i++, await sleep(100)) stored = await store.apiUsage.find(tenant, connection.id);
    expect(stored?.pausedUntil).not.toBeNull();
    const pausedAt = Date.now();

    // Both journy-events instances hold their calls: the one that paused, and the other (read from the store).
    const client = () => { throw new Error('a paused connection reads no /limits before its pause runs out'); };
    for (const app of apps) expect(await app.runtime.quota.blocked(connection, client as never)).not.toBeNull();

    // Ingest too, once it has read the store again (it trusts what it read for up to 2 s, `sharedReadEveryMs`): an
    // import started then spends no API call until the pause is over.
    await sleep(2100);
    await admin('counters');
    const job = await store.jobs.start(tenant, connection.id, 'test');
    await sleep(3000);
    const during = (await (await fetch(`${url}/__emulator/stats`)).json()) as { api: { used: number; byEndpoint: Record<string, number> } };
    expect(during.api.byEndpoint).toEqual({}); // no API call of any kind while paused
    for (let i = 0; i < 300 && (await store.jobs.get(tenant, connection.id, job.id))?.state !== 'SUCCEEDED'; i++) await sleep(100);
    expect((await store.jobs.get(tenant, connection.id, job.id))?.state).toBe('SUCCEEDED');
    expect(Date.now() - pausedAt).toBeGreaterThan(5000); // it waited for the pause to run out
  });
});
