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
    const { emulator, tap } = h;
    const { admin, connection, parked, contacts, score, send, succeeded, env, startMember, startWarm } = await scoredOrg(h, 60, 41);
    const first = await startWarm({ ...env, JOURNY_EVENTS_QUOTA_PAUSE_MS: '2000' }, 29150);

    // The quota runs out: every contact's first change is parked by the only member.
    await admin('faults', { requestLimitExceeded: true });
    const older = contacts.map((c, i) => score(c, 100 + i));
    await send(older);
    const parkedCount = async () => (await parked.list(connection.tenantId, connection.id, 10_000)).length;
    await eventually(async () => (await parkedCount()) === older.length, 'all first changes parked', 60_000, 200);

    // A second member joins; the first dies with its events parked; newer values of half the contacts arrive.
    const second = await startMember({ ...env, JOURNY_EVENTS_QUOTA_PAUSE_MS: '2000' }, 29151);
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

/**
 * A member is in the middle of a long write (a Bulk job on an org with heavy automation) when a second member
 * joins. The group waits for every member's batch before it settles, so the first member parks what it is still
 * applying and lets the rebalance go on; its write finishes in the background, and nothing is applied twice or lost.
 */
describe('journy-events: a member joins while another is in a long write', () => {
  let h: OutboundHarness;
  beforeAll(async () => {
    h = await openOutboundHarness('rebalance-test', { autoApprove: true });
  });
  afterAll(() => h?.close());

  it('settles the group within seconds, without waiting for the write, and every contact ends at its value', async () => {
    const { emulator, tap, kafka } = h;
    const { admin, connection, parked, contacts, score, send, succeeded, group, env, startMember, startWarm, bulkJobOpened } = await scoredOrg(h, 80, 43);
    const stable = async () => {
      const client = kafka.kafka.admin();
      await client.connect();
      try {
        const [described] = (await client.describeGroups([group])).groups;
        return described?.state === 'Stable' && described.members.filter((m) => m.memberAssignment.length > 0).length === 2;
      } finally {
        await client.disconnect();
      }
    };

    const first = await startWarm({ ...env, JOURNY_EVENTS_BULK_MIN_RECORDS: '50' }, 29152);

    // Heavy automation: a Bulk job of this org takes over half a minute, longer than the group's rebalance timeout.
    await admin('config', { latencyProfile: 'slow-automation' });
    const values = contacts.map((c, i) => score(c, 200 + i));
    await send(values);
    await eventually(bulkJobOpened, 'the Bulk job open', 60_000, 200);

    await startMember({ ...env, JOURNY_EVENTS_BULK_MIN_RECORDS: '50' }, 29153);
    const joining = Date.now();
    await eventually(stable, 'the group stable with both members', 60_000, 250);
    const settledMs = Date.now() - joining;
    expect(first.stdout()).toContain('group rebalancing: the connections still applying are parked');
    expect(settledMs).toBeLessThan(15_000); // the write alone takes longer, and the group's rebalance timeout is 16 s

    await tap.until(() => succeeded(values), 'every value written', 120_000);
    await eventually(async () => (await parked.list(connection.tenantId, connection.id, 10_000)).length === 0, 'nothing left parked', 60_000, 200);
    const wrong = contacts.map((c, i) => [c.id, 200 + i] as const).filter(([id, value]) => emulator.org.get('Contact', id)!.Engagement_Score__c !== value);
    expect(wrong.slice(0, 5)).toEqual([]);
    await admin('config', { latencyProfile: 'fast' });
  });
});

/**
 * A member's write ends a few seconds after a second member joins: within the rebalance grace. The group waits
 * for it instead of parking its events to replay them elsewhere, and nothing is parked or written twice.
 */
describe('journy-events: a member joins while another finishes a short write', () => {
  let h: OutboundHarness;
  beforeAll(async () => {
    h = await openOutboundHarness('rebalance-grace-test', { autoApprove: true });
  });
  afterAll(() => h?.close());

  it('lets the write finish within the grace, then settles the group with nothing parked', async () => {
    const { emulator, tap } = h;
    const { admin, connection, parked, contacts, score, send, succeeded, env, startMember, startWarm, bulkJobOpened } = await scoredOrg(h, 60, 47);
    // Every batch is written by a Bulk job, however the 60 events are split across fetches (a loaded machine splits them).
    const graceEnv = { ...env, JOURNY_EVENTS_BULK_MIN_RECORDS: '1', JOURNY_EVENTS_SESSION_TIMEOUT_MS: '20000', JOURNY_EVENTS_REBALANCE_GRACE_MS: '20000' };
    const first = await startWarm(graceEnv, 29154);

    // A Bulk job of about 20 s: long enough for a second member to start and join during it (heard within a
    // heartbeat), and over before the 20 s grace that starts then.
    await admin('config', { bulkProcessingDelayMs: 10_000 });
    const values = contacts.map((c, i) => score(c, 300 + i));
    await send(values);
    await eventually(bulkJobOpened, 'the Bulk job open', 60_000, 200);
    const second = await startMember(graceEnv, 29155);

    await eventually(() => first.stdout().includes('group rebalancing: waiting for the connections still applying'), 'the rebalance heard during the write', 60_000, 100);
    await tap.until(() => succeeded(values), 'every value written', 120_000);
    await eventually(() => second.stdout().includes('partitions assigned'), 'the second member assigned partitions', 60_000, 100);
    expect(first.stdout()).not.toContain('the connections still applying are parked');
    expect(await parked.list(connection.tenantId, connection.id, 10_000)).toEqual([]);
    const written = tap.logs.filter((l) => values.some((v) => v.value.eventId === l.correlationId) && l.status === 'SUCCEEDED');
    expect(written).toHaveLength(values.length); // each once: applied by the member that held it, not replayed
    const wrong = contacts.map((c, i) => [c.id, 300 + i] as const).filter(([id, value]) => emulator.org.get('Contact', id)!.Engagement_Score__c !== value);
    expect(wrong.slice(0, 5)).toEqual([]);
    await admin('config', { bulkProcessingDelayMs: 250 });
  });
});

/**
 * An org of `contacts` contacts connected for a new tenant that maps `engagement_score`, with what the tests send
 * and check, and a new journy-events group (starting at the topic's end) with the environment of its members.
 */
async function scoredOrg(h: OutboundHarness, contactCount: number, randomSeed: number) {
  const { emulator, url, store, tap, kafka } = h;
  const admin = async (path: string, body?: unknown) => (await fetch(`${url}/__emulator/${path}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json() as Promise<Record<string, unknown>>;
  await admin('generate', { accounts: 3, contacts: contactCount, randomSeed, contactsWithoutEmail: 0 });
  const connection = await connectOrg(emulator, url, store.connections, store.cipher, {
    tenantId: uniqueName('tenant'),
    settings: { destination: { userSegments: [], accountSegments: [], createContacts: false, createAccounts: false, contactMappings: [{ journyProperty: 'engagement_score', journyType: 'number', salesforceField: 'Engagement_Score__c' }], accountMappings: [] } },
  });
  h.connectionId = connection.id;
  const contacts = [...emulator.org.all('Contact')].map((c) => ({ id: c.Id as string, userId: `usr-${String(c.Id)}`, email: String(c.Email), accountId: null }));
  const sim = new JournySimulator({ tenantId: connection.tenantId, population: { users: contacts, accounts: [] } });
  const score = (user: (typeof contacts)[number], value: number) => sim.userEvent(user, { 'journy.PropertiesChanged': { changes: [{ name: 'engagement_score', previous: null, current: value as never, computed: true }], snapshot: null } });
  const send = (events: { key: string; value: ProfileEvent }[]) => kafka.producer.send(TOPICS.profileEvents.name, 'journy.profile-events.v1', events);
  const succeeded = (events: { value: ProfileEvent }[]) => events.every((e) => tap.logs.some((l) => l.correlationId === e.value.eventId && l.status === 'SUCCEEDED'));
  const group = uniqueName('journy-events');
  await startGroupAtEnd(kafka.kafka, group, [TOPICS.profileEvents.name]);
  const env = { ...ingestEnv(url), MONGODB_URI: store.uri, HTTP_HOST: '127.0.0.1', LOG_LEVEL: 'info', JOURNY_EVENTS_GROUP: group, JOURNY_EVENTS_LINGER_MS: '100', JOURNY_EVENTS_SESSION_TIMEOUT_MS: '8000' };
  const bulkJobOpened = async () => Object.keys(((await admin('stats')).api as { byEndpoint: Record<string, number> }).byEndpoint).some((k) => k.startsWith('POST') && k.includes('jobs/ingest'));
  /** A member of the group on `port`, live. */
  const startMember = async (memberEnv: Record<string, string>, port: number) => {
    const member = startAppProcess('journy-events', { ...memberEnv, JOURNY_EVENTS_PORT: String(port) });
    h.running.push(member);
    await waitForHttp(`http://127.0.0.1:${port}/health/live`, 60_000, member);
    return member;
  };
  /** `startMember`, then three contacts' values written through it. */
  const startWarm = async (memberEnv: Record<string, string>, port: number) => {
    const member = await startMember(memberEnv, port);
    const warm = contacts.slice(0, 3).map((c) => score(c, 1));
    await send(warm);
    await tap.until(() => succeeded(warm), 'the warm-up written', 60_000);
    return member;
  };
  return { admin, connection, parked: new ParkedEventsRepository(store.mongo), contacts, score, send, succeeded, group, env, bulkJobOpened, startMember, startWarm };
}
