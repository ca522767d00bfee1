import { TOPICS, startGroupAtEnd, type ProfileEvent } from '@connector/kafka';
import { ParkedEventsRepository } from '@connector/persistence';
import { JournySimulator } from '@tools/journy-simulator';
import { startAppProcess, waitForHttp } from '../support/app-process';
import { connectOrg, ingestEnv } from '../support/ingest-harness';
import { eventually } from '../support/eventually';
import { openOutboundHarness, type OutboundHarness } from '../support/outbound-processes';
import { uniqueName } from '../support/stack-env';

jest.setTimeout(240_000);

/**
 * Two journy-events members share the group. An org's quota runs out, so its events are parked by the member
 * that holds their partitions; that member is killed with SIGKILL while they wait, and newer events of the same
 * contacts arrive. The other member takes the partitions over, replays the parked events once the quota is back,
 * then the newer ones: Salesforce ends at every contact's last value, and nothing stays parked.
 */
describe('journy-events: two members, one killed while its events are parked', () => {
  let h: OutboundHarness;
  beforeAll(async () => {
    h = await openOutboundHarness('handover-test', { autoApprove: true });
  });
  afterAll(() => h?.close());

  it('replays the dead member’s parked events on the member that takes its partitions, before the newer ones', async () => {
    const { emulator, url, store, tap, kafka, running } = h;
    const admin = (path: string, body: unknown = {}) => fetch(`${url}/__emulator/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    await admin('generate', { accounts: 3, contacts: 60, randomSeed: 41, contactsWithoutEmail: 0 });
    const connection = await connectOrg(emulator, url, store.connections, store.cipher, {
      tenantId: uniqueName('tenant'),
      settings: { destination: { userSegments: [], accountSegments: [], createContacts: false, createAccounts: false, contactMappings: [{ journyProperty: 'engagement_score', journyType: 'number', salesforceField: 'Engagement_Score__c' }], accountMappings: [] } },
    });
    h.connectionId = connection.id;
    const parked = new ParkedEventsRepository(store.mongo);
    const contacts = [...emulator.org.all('Contact')].map((c) => ({ id: c.Id as string, userId: `usr-${String(c.Id)}`, email: String(c.Email), accountId: null }));
    const sim = new JournySimulator({ tenantId: connection.tenantId, population: { users: contacts, accounts: [] } });
    const score = (user: (typeof contacts)[number], value: number) => sim.userEvent(user, { 'journy.PropertiesChanged': { changes: [{ name: 'engagement_score', previous: null, current: value as never, computed: true }], snapshot: null } });
    const send = (events: { key: string; value: ProfileEvent }[]) => kafka.producer.send(TOPICS.profileEvents.name, 'journy.profile-events.v1', events);
    const succeeded = (events: { value: ProfileEvent }[]) => events.every((e) => tap.logs.some((l) => l.correlationId === e.value.eventId && l.status === 'SUCCEEDED'));

    const group = uniqueName('journy-events');
    await startGroupAtEnd(kafka.kafka, group, [TOPICS.profileEvents.name]);
    const env = {
      ...ingestEnv(url), MONGODB_URI: store.uri, HTTP_HOST: '127.0.0.1', LOG_LEVEL: 'info', JOURNY_EVENTS_GROUP: group, JOURNY_EVENTS_LINGER_MS: '100',
      JOURNY_EVENTS_SESSION_TIMEOUT_MS: '8000', JOURNY_EVENTS_QUOTA_PAUSE_MS: '2000',
    };
    const first = startAppProcess('journy-events', { ...env, JOURNY_EVENTS_PORT: '29150' });
    running.push(first);
    await waitForHttp('http://127.0.0.1:29150/health/live', 60_000, first);
    const warm = contacts.slice(0, 3).map((c) => score(c, 1));
    await send(warm);
    await tap.until(() => succeeded(warm), 'the warm-up written', 60_000);

    // The quota runs out: every contact's first change is parked by the only member.
    await admin('faults', { requestLimitExceeded: true });
    const older = contacts.map((c, i) => score(c, 100 + i));
    await send(older);
    const parkedCount = async () => (await parked.list(connection.tenantId, connection.id, 10_000)).length;
    await eventually(async () => (await parkedCount()) === older.length, 'all first changes parked', 60_000, 200);

    // A second member joins; the first dies with its events parked; newer values of half the contacts arrive.
    const second = startAppProcess('journy-events', { ...env, JOURNY_EVENTS_PORT: '29151' });
    running.push(second);
    await waitForHttp('http://127.0.0.1:29151/health/live', 60_000, second);
    await eventually(() => second.stdout().includes('partitions assigned'), 'the second member assigned partitions', 60_000, 100);
    first.process.kill('SIGKILL');
    await first.exited;
    const newer = contacts.filter((_, i) => i % 2 === 0).map((c, i) => score(c, 500 + i));
    await send(newer);
    await admin('faults', { requestLimitExceeded: false });

    await tap.until(() => succeeded(newer), 'the newer changes written', 120_000);
    await eventually(async () => (await parkedCount()) === 0, 'nothing left parked', 60_000, 200);
    const expected = new Map(contacts.map((c, i) => [c.id, 100 + i]));
    contacts.filter((_, i) => i % 2 === 0).forEach((c, i) => expected.set(c.id, 500 + i));
    const wrong = [...expected].filter(([id, value]) => emulator.org.get('Contact', id)!.Engagement_Score__c !== value);
    expect(wrong.slice(0, 5)).toEqual([]);
    expect(second.stdout()).toContain('parked events applied'); // the second member replayed what the first had parked
  });
});
