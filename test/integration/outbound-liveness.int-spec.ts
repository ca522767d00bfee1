import type { ProfileEvent } from '@connector/kafka';
import { SalesforceEmulator } from '@tools/salesforce-emulator';
import { JournySimulator } from '@tools/journy-simulator';
import { Store, Tap, connectOrg, emulatorAdmin, ingestEnv, logCapture, openStore, sleep } from '../support/ingest-harness';
import { startJournyEvents } from '../support/outbound-harness';
import { uniqueName } from '../support/stack-env';

jest.setTimeout(120_000);

/**
 * A slow org does not cost journy-events its group membership: a Bulk job that runs longer than the session
 * timeout is waited for while the member heartbeats; no rebalance, and the records are written once.
 */
describe('liveness under a slow org', () => {
  let emulator: SalesforceEmulator;
  let url: string;
  let store: Store;
  let tap: Tap;
  let app: Awaited<ReturnType<typeof startJournyEvents>>;
  let connectionId: string | null = null;
  const tenant = uniqueName('tenant');
  const admin = emulatorAdmin(() => url);

  beforeAll(async () => {
    // Each Bulk job waits 5 s twice (queued, then processing): 10 s, longer than the 6 s session timeout.
    emulator = new SalesforceEmulator({ autoApprove: true, bulkProcessingDelayMs: 5000 });
    url = await emulator.start();
    await admin('generate', { accounts: 2, contacts: 30, randomSeed: 13, contactsWithoutEmail: 0 });
    store = await openStore();
    const connection = await connectOrg(emulator, url, store.connections, store.cipher, {
      tenantId: tenant,
      settings: { destination: { userSegments: [], accountSegments: [], createContacts: false, createAccounts: false, contactMappings: [{ journyProperty: 'engagement_score', journyType: 'number', salesforceField: 'Engagement_Score__c' }], accountMappings: [] } },
    });
    connectionId = connection.id;
    tap = await Tap.open(() => connectionId);
    app = await startJournyEvents(store, ingestEnv(url, { JOURNY_EVENTS_SESSION_TIMEOUT_MS: '6000', JOURNY_EVENTS_BULK_MIN_RECORDS: '10' }), logCapture().logger);
  });
  afterAll(async () => {
    await app?.stop();
    await tap?.close();
    await store?.close();
    await emulator?.stop();
  });

  it('waits out a Bulk job longer than the session timeout with no rebalance, and writes every record once', async () => {
    const groupAdmin = app.kafka.kafka.admin();
    await groupAdmin.connect();
    const members = async () => (await groupAdmin.describeGroups([app.config.JOURNY_EVENTS_GROUP])).groups[0].members.map((m) => m.memberId).sort();
    for (let i = 0; i < 100 && (await members()).length === 0; i++) await sleep(200);
    const before = await members();
    expect(before).toHaveLength(1);

    const contacts = [...emulator.org.all('Contact')].slice(0, 20);
    const sim = new JournySimulator({ tenantId: tenant, population: { users: [], accounts: [] } });
    const events = contacts.map((c, i) => sim.userEvent({ userId: `usr-${i}`, email: String(c.Email), accountId: null }, {
      'journy.PropertiesChanged': { changes: [{ name: 'engagement_score', previous: null, current: (100 + i) as never, computed: true }], snapshot: null },
    } as ProfileEvent['payload']));
    const started = Date.now();
    await app.publish(events.map((e) => ({ key: 'one-partition', value: e.value })));
    await tap.until(() => contacts.every((c, i) => emulator.org.get('Contact', c.Id as string)!.Engagement_Score__c === 100 + i), 'every record written', 60_000);
    expect(Date.now() - started).toBeGreaterThan(9000); // it did wait for the slow job

    expect(await members()).toEqual(before); // the same member: never evicted, no rebalance
    const stats = (await (await fetch(`${url}/__emulator/stats`)).json()) as { api: { byEndpoint: Record<string, number> } };
    expect(stats.api.byEndpoint['POST jobs/ingest']).toBe(1);
    expect(stats.api.byEndpoint['PATCH composite/sobjects'] ?? 0).toBe(0);
    await groupAdmin.disconnect();
  });
});
