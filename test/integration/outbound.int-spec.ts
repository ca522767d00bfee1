import type { ProfileEvent, SyncLogRecord } from '@connector/kafka';
import type { Connection, ConnectionSettings } from '@connector/persistence';
import { SalesforceEmulator } from '@tools/salesforce-emulator';
import { JournySimulator, type Population } from '@tools/journy-simulator';
import { Store, Tap, connectOrg, ingestEnv, logCapture, openStore, sleep } from '../support/ingest-harness';
import { startJournyEvents } from '../support/outbound-harness';
import { ConnectionChangesPublisher } from '@connector/org-access';
import { uniqueName } from '../support/stack-env';

const CHANGE_HEARD = "connection change heard; the tenant's connections will be re-read";

jest.setTimeout(120_000);

const CONTACT_MAPPINGS = [
  { journyProperty: 'engagement_score', journyType: 'number', salesforceField: 'Engagement_Score__c' },
  { journyProperty: 'stage', journyType: 'string', salesforceField: 'Stage__c' },
  { journyProperty: 'last_active', journyType: 'datetime', salesforceField: 'Last_Active__c' },
  { journyProperty: 'signup_date', journyType: 'datetime', salesforceField: 'Signup_Date__c' },
  { journyProperty: 'interests', journyType: 'string_array', salesforceField: 'Interests__c' },
  { journyProperty: 'champion', journyType: 'boolean', salesforceField: 'Is_Champion__c' },
  { journyProperty: 'seats_used', journyType: 'number', salesforceField: 'Seats_Used__c' },
];
const ACCOUNT_MAPPINGS = [
  { journyProperty: 'health_score', journyType: 'number', salesforceField: 'Health_Score__c' },
  { journyProperty: 'lifecycle_stage', journyType: 'string', salesforceField: 'Lifecycle_Stage__c' },
  { journyProperty: 'mrr', journyType: 'number', salesforceField: 'MRR__c' },
];

/**
 * journy → Salesforce against the emulator over HTTP, on the real broker, registry and store: every rule of the
 * destination settings, and every failure the emulator can inject.
 */
describe('journy profile events to Salesforce', () => {
  let emulator: SalesforceEmulator;
  let url: string;
  let store: Store;
  let tap: Tap;
  let app: Awaited<ReturnType<typeof startJournyEvents>>;
  let logs: ReturnType<typeof logCapture>;
  let population: Population;
  let sim: JournySimulator;
  const connections: Connection[] = [];
  const tenant = uniqueName('tenant');

  const admin = async (path: string, body?: unknown) => {
    const response = await fetch(`${url}/__emulator/${path}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return response.json() as Promise<Record<string, unknown>>;
  };
  const contact = (email: string) => [...emulator.org.all('Contact')].filter((c) => !c.IsDeleted && String(c.Email).toLowerCase() === email.toLowerCase());
  const account = (accountId: string) => [...emulator.org.all('Account')].find((a) => a.Journy_Account_Id__c === accountId)!;
  const logsOf = (eventIds: string[]) => tap.logs.filter((l) => eventIds.some((id) => l.correlationId === id || l.logId.length > 0 && l.correlationId === id));
  const waitFor = async (what: string, predicate: () => boolean, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; logs: ${JSON.stringify(tap.logs.slice(-5).map((l) => [l.status, l.reason, l.message]))}`);
      await sleep(100);
    }
  };
  const logFor = (event: { value: ProfileEvent }, predicate: (l: SyncLogRecord) => boolean = () => true) => logsOf([event.value.eventId]).find(predicate);
  const send = async (...events: { key: string; value: ProfileEvent }[]) => app.publish(events);
  const props = (changes: Record<string, unknown>, snapshot: Record<string, unknown> | null = null): ProfileEvent['payload'] => ({
    'journy.PropertiesChanged': { changes: Object.entries(changes).map(([name, current]) => ({ name, previous: null, current: current as string, computed: false })), snapshot: snapshot as never },
  });
  const settle = (patch: Partial<ConnectionSettings['destination']>, connection = connections[0]) =>
    store.connections.update(tenant, connection.id, { settings: { ...connection.settings, destination: { ...connection.settings.destination, ...patch } } }).then(async (updated) => {
      Object.assign(connection, updated);
      const heard = () => logs.lines().filter((l) => l.msg === CHANGE_HEARD && l.tenantId === tenant).length;
      const before = heard();
      await new ConnectionChangesPublisher(app.kafka).changed('UPDATED', connection); // as the API does on a save
      await waitFor('the connection change heard', () => heard() > before);
    });

  beforeAll(async () => {
    emulator = new SalesforceEmulator({ autoApprove: true, bulkProcessingDelayMs: 20 });
    url = await emulator.start();
    await admin('generate', { accounts: 6, contacts: 30, randomSeed: 11 });
    store = await openStore();
    const settings: Partial<ConnectionSettings> = {
      destination: { userSegments: [], accountSegments: [], createContacts: false, createAccounts: false, contactMappings: CONTACT_MAPPINGS, accountMappings: ACCOUNT_MAPPINGS },
    };
    connections.push(await connectOrg(emulator, url, store.connections, store.cipher, { tenantId: tenant, settings }));
    tap = await Tap.open(() => connections[0]?.id ?? null);
    logs = logCapture();
    app = await startJournyEvents(store, ingestEnv(url, { JOURNY_EVENTS_STALL_MS: '1000' }), logs.logger);
    const response = await fetch(`${url}/__emulator/records/Contact?limit=30`);
    const contacts = ((await response.json()) as { records: Record<string, unknown>[] }).records;
    const accounts = [...emulator.org.all('Account')];
    population = {
      users: contacts.map((c, i) => ({ userId: `usr-${i}`, email: String(c.Email), accountId: null })),
      accounts: accounts.map((a) => ({ accountId: String(a.Journy_Account_Id__c), domain: null })),
    };
    sim = new JournySimulator({ tenantId: tenant, population });
  });
  afterAll(async () => {
    await app?.stop();
    await tap?.close();
    await store?.close();
    await emulator?.stop();
  });

  it('updates the matching contact with every field type converted; a value that does not convert is refused alone', async () => {
    const user = population.users[0];
    const event = sim.userEvent(user, props({
      first_name: 'Ada', phone: null, engagement_score: 72.456, stage: 'customer', last_active: { iso: '2026-11-01T10:00:00+01:00' }, signup_date: { iso: '2026-03-04T23:30:00Z' },
      interests: ['security', 'Analytics'], champion: true, seats_used: 41.6,
    }));
    await send(event);
    await waitFor('the update log', () => !!logFor(event, (l) => l.status === 'SUCCEEDED'));
    const [row] = contact(user.email);
    expect(row).toMatchObject({
      FirstName: 'Ada', Phone: null, Engagement_Score__c: 72.46, Stage__c: 'Customer', Last_Active__c: expect.any(Number), Signup_Date__c: '2026-03-04', Interests__c: 'Security;Analytics', Is_Champion__c: true, Seats_Used__c: 42,
    });
    expect(new Date(row.Last_Active__c as number).toISOString()).toBe('2026-11-01T09:00:00.000Z');
    const log = logFor(event, (l) => l.status === 'SUCCEEDED')!;
    expect(log).toMatchObject({ direction: 'JOURNY_TO_SALESFORCE', objectType: 'USER', operation: 'UPDATE', salesforce: { objectType: 'Contact', recordId: row.Id } });
    expect(log.fields).toEqual(expect.arrayContaining([{ name: 'Engagement_Score__c', source: 'engagement_score', value: '72.46' }]));

    const acc = population.accounts[0];
    const accountEvent = sim.accountEvent(acc, props({ health_score: 55.5, lifecycle_stage: 'Gold', mrr: 1200.456 }));
    await send(accountEvent);
    await waitFor('the account log', () => !!logFor(accountEvent, (l) => l.status === 'SUCCEEDED'));
    expect(account(acc.accountId)).toMatchObject({ Health_Score__c: 55.5, MRR__c: 1200.46 });
    expect(account(acc.accountId).Lifecycle_Stage__c).not.toBe('Gold');
    expect(logFor(accountEvent)!.message).toMatch(/lifecycle_stage → Lifecycle_Stage__c \(picklist\): "Gold" is not one of its values/);
  });

  it('is update-only by default; creates contacts (and upserts accounts by external id) only when allowed, once', async () => {
    const stranger = { userId: 'usr-new-1', email: `new.person.${tenant}@example.org`, accountId: null };
    const first = sim.userEvent(stranger, props({ first_name: 'Nova', last_name: 'Person' }));
    await send(first);
    await waitFor('create not allowed', () => !!logFor(first, (l) => l.reason === 'CREATE_NOT_ALLOWED'));
    expect(contact(stranger.email)).toHaveLength(0);

    await settle({ createContacts: true, createAccounts: true });
    const again = sim.userEvent(stranger, props({ first_name: 'Nova', last_name: 'Person' }));
    const newAccount = { accountId: `acc-new-${tenant}`, domain: 'nova.example' };
    const accountEvent = sim.accountEvent(newAccount, props({ name: 'Nova Corp', health_score: 80 }));
    await send(again, accountEvent);
    await waitFor('the create', () => !!logFor(again, (l) => l.status === 'SUCCEEDED') && !!logFor(accountEvent, (l) => l.status === 'SUCCEEDED'));
    expect(contact(stranger.email)).toHaveLength(1);
    expect(contact(stranger.email)[0]).toMatchObject({ FirstName: 'Nova', LastName: 'Person' });
    expect(logFor(again, (l) => l.status === 'SUCCEEDED')!.operation).toBe('CREATE');
    expect(account(newAccount.accountId)).toMatchObject({ Name: 'Nova Corp', Health_Score__c: 80 });
    // The same event again (a redelivery) is stale; a later one updates the contact it created.
    await send(again);
    await waitFor('stale', () => !!logFor(again, (l) => l.reason === 'STALE_VERSION'));
    const later = sim.userEvent(stranger, props({ first_name: 'Nora' }));
    await send(later);
    await waitFor('the update', () => !!logFor(later, (l) => l.status === 'SUCCEEDED'));
    expect(contact(stranger.email)).toHaveLength(1);
    expect(contact(stranger.email)[0].FirstName).toBe('Nora');
    // Salesforce refuses one record (its duplicate rule on a changed email): that record is logged with Salesforce's
    // code and message, the others are written.
    await admin('config', { contactEmailDuplicateRule: true });
    const clash = sim.userEvent(population.users[8], props({ email: population.users[9].email }));
    const ok = sim.userEvent(population.users[3], props({ first_name: 'Batch' }));
    await send(clash, ok);
    await waitFor('the refusal', () => !!logFor(ok, (l) => l.status === 'SUCCEEDED') && !!logFor(clash, (l) => l.status === 'FAILED'));
    expect(logFor(clash, (l) => l.status === 'FAILED')!.error).toMatchObject({ code: 'DUPLICATES_DETECTED', message: 'Use one of these records?' });
    expect(contact(population.users[3].email)[0].FirstName).toBe('Batch');
    expect(contact(population.users[8].email)).toHaveLength(1);
    await admin('config', { contactEmailDuplicateRule: false });
    await settle({ createContacts: false, createAccounts: false });
  });

  it('never guesses between two contacts with one email', async () => {
    const email = `shared.${tenant}@example.org`;
    await admin('config', { contactEmailDuplicateRule: false });
    await admin('act-as', { username: 'rep.alex@journy-demo.example', operations: [1, 2].map((n) => ({ op: 'create', object: 'Contact', fields: { LastName: `Shared${n}`, Email: email } })) });
    const event = sim.userEvent({ userId: 'usr-shared', email, accountId: null }, props({ first_name: 'Who' }));
    await send(event);
    await waitFor('ambiguous', () => !!logFor(event, (l) => l.reason === 'AMBIGUOUS_MATCH'));
    expect(contact(email).map((c: Record<string, unknown>) => c.FirstName)).toEqual([null, null]);
  });

  it('skips values equal to those last written, and echoes of its own changes', async () => {
    const user = population.users[1];
    const first = sim.userEvent(user, props({ stage: 'Trial' }));
    await send(first);
    await waitFor('first', () => !!logFor(first, (l) => l.status === 'SUCCEEDED'));
    const calls = () => emulator.callCounts();
    const before = JSON.stringify(calls());
    const same = sim.userEvent(user, props({ stage: 'trial' }));
    await send(same);
    await waitFor('no change', () => !!logFor(same, (l) => l.reason === 'NO_CHANGE'));
    const echo = sim.userEvent(user, props({ stage: 'Lead' }), { kind: 'CONNECTOR', connectorId: 'journy-connector', connectionId: connections[0].id });
    await send(echo);
    await waitFor('echo', () => !!logFor(echo, (l) => l.reason === 'ECHO_SUPPRESSED'));
    expect(JSON.stringify(calls())).toBe(before); // neither cost an API call
    expect(contact(user.email)[0].Stage__c).toBe('Trial');
  });

  it('syncs only members of the selected segments: entering syncs every mapped field, leaving stops syncs', async () => {
    await settle({ userSegments: ['seg-vip'] });
    const user = population.users[2];
    const outside = sim.userEvent(user, props({ first_name: 'Outside', seats_used: 7 }));
    await send(outside);
    await waitFor('not in segment', () => !!logFor(outside, (l) => l.reason === 'NOT_IN_SEGMENT'));
    expect(contact(user.email)[0].FirstName).not.toBe('Outside');
    const enter = sim.userEvent(user, { 'journy.SegmentEntered': { segmentId: 'seg-vip', segmentName: 'VIP' } });
    enter.value.segments = ['seg-vip'];
    await send(enter);
    await waitFor('full sync', () => !!logFor(enter, (l) => l.status === 'SUCCEEDED'));
    expect(contact(user.email)[0]).toMatchObject({ FirstName: 'Outside', Seats_Used__c: 7 });
    expect(logFor(enter, (l) => l.status === 'SUCCEEDED')!.message).toMatch(/full sync/);
    const leave = sim.userEvent(user, { 'journy.SegmentLeft': { segmentId: 'seg-vip', segmentName: 'VIP' } });
    leave.value.segments = [];
    const after = sim.userEvent(user, props({ first_name: 'Gone' }));
    after.value.segments = [];
    await send(leave);
    await waitFor('left', () => !!logFor(leave, (l) => l.reason === 'LEFT_SEGMENT'));
    await send(after);
    await waitFor('skipped after leaving', () => !!logFor(after, (l) => l.reason === 'NOT_IN_SEGMENT'));
    expect(contact(user.email)[0].FirstName).toBe('Outside');
    await settle({ userSegments: [] });
  });

  it('attaches a contact to its account when the user joins it, and detaches it when the user leaves', async () => {
    const user = population.users[4];
    const target = population.accounts[2];
    const join = sim.userEvent(user, { 'journy.MembershipAdded': { member: { userId: null, email: null, accountId: target.accountId, domain: null } } });
    const [row] = contact(user.email);
    await admin('act-as', { username: 'rep.alex@journy-demo.example', operations: [{ op: 'update', object: 'Contact', id: row.Id, fields: { AccountId: null } }] });
    await send(join);
    await waitFor('attached', () => tap.logs.some((l) => l.objectType === 'MEMBERSHIP' && l.correlationId === join.value.eventId && l.status === 'SUCCEEDED'));
    expect(contact(user.email)[0].AccountId).toBe(account(target.accountId).Id);
    const leave = sim.userEvent(user, { 'journy.MembershipRemoved': { member: { userId: null, email: null, accountId: target.accountId, domain: null } } });
    await send(leave);
    await waitFor('detached', () => tap.logs.some((l) => l.objectType === 'MEMBERSHIP' && l.correlationId === leave.value.eventId && l.status === 'SUCCEEDED'));
    expect(contact(user.email)[0].AccountId).toBeNull();
  });

  it('rides out 5xx, row locks and an expired session; pauses on REQUEST_LIMIT_EXCEEDED and resumes without losing events', async () => {
    const user = population.users[5];
    await admin('faults', { errors: { collections: { kind: 503, rate: 1 } } });
    const during = sim.userEvent(user, props({ first_name: 'Retried' }));
    await send(during);
    await sleep(1500);
    expect(contact(user.email)[0].FirstName).not.toBe('Retried');
    await admin('faults', { errors: {}, lockRowRate: 0.5 });
    await waitFor('applied after the outage', () => contact(user.email)[0].FirstName === 'Retried');
    await admin('faults', { lockRowRate: 0 });
    await admin('sessions/expire', {});
    const expired = sim.userEvent(user, props({ first_name: 'Refreshed' }));
    await send(expired);
    await waitFor('applied after a refresh', () => contact(user.email)[0].FirstName === 'Refreshed');

    await admin('faults', { requestLimitExceeded: true });
    try {
      const limited = sim.userEvent(user, props({ first_name: 'Limited' }));
      const next = sim.userEvent(user, props({ last_name: 'Later' }));
      await send(limited);
      await waitFor('paused', () => !!logFor(limited, (l) => l.status === 'RETRYING' && l.reason === 'CONNECTION_PAUSED'));
      await send(next);
      await waitFor('parked behind', () => !!logFor(next, (l) => l.reason === 'CONNECTION_PAUSED'));
      // /health names the connection holding its events back (and stays up: it is one org's trouble).
      await waitFor('the held connection in /health', () => JSON.stringify(app.runtime.health().details).includes(connections[0].id));
      expect(app.runtime.health()).toMatchObject({ status: 'up', details: { heldConnections: [expect.objectContaining({ connectionId: connections[0].id })] } });
      // The pause is stored for every instance once Salesforce refuses a call: the parked events replay first, which
      // may wait out the backoff the outage above left (5 s doubling), so this can take tens of seconds.
      let usage = await store.apiUsage.find(tenant, connections[0].id);
      for (let i = 0; i < 300 && !usage?.pausedUntil; i++, await sleep(200)) usage = await store.apiUsage.find(tenant, connections[0].id);
      expect(usage?.pausedUntil).not.toBeNull();
    } finally {
      await admin('faults', { requestLimitExceeded: false });
    }
    await waitFor('resumed', () => contact(user.email)[0].FirstName === 'Limited' && contact(user.email)[0].LastName === 'Later', 60_000);
  });

  it('fails only an event no contact can match (an over-long email, no query sent); the next event on its partition applies', async () => {
    const long = sim.userEvent({ userId: 'usr-long-email', email: `${'x'.repeat(30_000)}@example.com`, accountId: null }, props({ first_name: 'Never' }));
    const next = sim.userEvent(population.users[18], props({ first_name: 'AfterLongEmail' }));
    const queriesBefore = ((await admin('stats')) as { api: { byEndpoint: Record<string, number> } }).api.byEndpoint['GET query'] ?? 0;
    // One Kafka key: the same partition, the long one first.
    await send({ key: 'same-partition', value: long.value }, { key: 'same-partition', value: next.value });
    await waitFor('the next event applied', () => contact(population.users[18].email)[0].FirstName === 'AfterLongEmail');
    await waitFor('the long one failed', () => !!logFor(long, (l) => l.status === 'FAILED'));
    expect(logFor(long, (l) => l.status === 'FAILED')).toMatchObject({ reason: 'INVALID_IDENTIFIER', message: expect.stringContaining('30012 characters') });
    const stats = (await admin('stats')) as { api: { byEndpoint: Record<string, number> } };
    expect((stats.api.byEndpoint['GET query'] ?? 0) - queriesBefore).toBeLessThanOrEqual(1); // at most the next user's lookup
  });

  it('dead-letters the one event Salesforce refuses for good, naming the connection, and applies the others of its batch', async () => {
    const poison = population.users[20];
    const fine = population.users[21];
    await admin('faults', { errors: { query: { kind: 400, rate: 1, errorCode: 'MALFORMED_QUERY', message: 'unexpected token: an unusual value', match: poison.email } } });
    try {
      const refused = sim.userEvent(poison, props({ first_name: 'Refused' }));
      const applied = sim.userEvent(fine, props({ first_name: 'AppliedBeside' }));
      await send({ key: 'same-partition', value: refused.value }, { key: 'same-partition', value: applied.value });
      await waitFor('the other event applied', () => contact(fine.email)[0].FirstName === 'AppliedBeside');
      await waitFor('the refused one failed', () => !!logFor(refused, (l) => l.status === 'FAILED'));
      expect(logFor(refused, (l) => l.status === 'FAILED')).toMatchObject({ reason: 'DEAD_LETTERED', message: expect.stringContaining('MALFORMED_QUERY') });
      const dlq = logs.lines().find((l) => l.msg === 'event sent to the dead-letter topic: this connection could not apply it');
      expect(dlq).toMatchObject({ connectionId: connections[0].id, error: { code: 'MALFORMED_QUERY' } });
      expect(contact(poison.email)[0].FirstName).not.toBe('Refused');
    } finally {
      await admin('faults', { errors: {} });
    }
    // The partition is not stuck: a later event of the same key applies.
    const later = sim.userEvent(population.users[22], props({ first_name: 'LaterStill' }));
    await send({ key: 'same-partition', value: later.value });
    await waitFor('a later event applied', () => contact(population.users[22].email)[0].FirstName === 'LaterStill');
  });

  it('sends unreadable and unidentifiable events to the DLQ and goes on', async () => {
    await app.publishRaw(Buffer.from('not avro at all'));
    const nameless = sim.userEvent(population.users[6], props({ first_name: 'Nameless' }));
    nameless.value.entity = { userId: null, email: null, accountId: null, domain: null };
    const fine = sim.userEvent(population.users[7], props({ first_name: 'AfterPoison' }));
    await send(nameless, fine);
    await waitFor('the good one', () => contact(population.users[7].email)[0].FirstName === 'AfterPoison');
    const dlq = logs.lines().filter((l) => l.msg === 'message sent to the dead-letter topic');
    expect(dlq.length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(dlq)).toMatch(/MISSING_IDENTIFIER/);
  });
});
