import { KafkaRuntime, TOPICS, startGroupAtEnd, type ProfileEvent } from '@connector/kafka';
import { JournySimulator, type Population } from '@tools/journy-simulator';
import { startAppProcess, waitForHttp } from '../support/app-process';
import { connectOrg, ingestEnv, sleep } from '../support/ingest-harness';
import { openOutboundHarness, type OutboundHarness } from '../support/outbound-processes';
import { uniqueName } from '../support/stack-env';

jest.setTimeout(180_000);

/**
 * At-least-once with an idempotent effect: journy-events is killed with SIGKILL in the middle of a stream of
 * events that update and create contacts and accounts; a new process takes over. Salesforce must end exactly
 * as the events say: every field at its last value, every new user and account created exactly once.
 */
describe('journy-events killed mid-batch', () => {
  let h: OutboundHarness;
  beforeAll(async () => {
    h = await openOutboundHarness('crash-test', { autoApprove: true, bulkProcessingDelayMs: 20 });
  });
  afterAll(() => h?.close());

  it('leaves Salesforce exactly as the events say: no lost update, no duplicate contact or account', async () => {
    const { emulator, url, store, tap, kafka, running } = h;
    await fetch(`${url}/__emulator/generate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ accounts: 30, contacts: 400, randomSeed: 9 }) });
    const tenant = uniqueName('tenant');
    const connection = await connectOrg(emulator, url, store.connections, store.cipher, {
      tenantId: tenant,
      settings: {
        destination: {
          userSegments: [], accountSegments: [], createContacts: true, createAccounts: true,
          contactMappings: [{ journyProperty: 'stage', journyType: 'string', salesforceField: 'Stage__c' }, { journyProperty: 'engagement_score', journyType: 'number', salesforceField: 'Engagement_Score__c' }],
          accountMappings: [{ journyProperty: 'health_score', journyType: 'number', salesforceField: 'Health_Score__c' }, { journyProperty: 'mrr', journyType: 'number', salesforceField: 'MRR__c' }, { journyProperty: 'seats', journyType: 'number', salesforceField: 'Seats__c' }],
        },
      },
    });
    h.connectionId = connection.id;
    const contacts = [...emulator.org.all('Contact')];
    const accounts = [...emulator.org.all('Account')];
    const population: Population = {
      users: [
        ...contacts.map((c, i) => ({ userId: `usr-${i}`, email: String(c.Email), accountId: null })),
        ...Array.from({ length: 150 }, (_, i) => ({ userId: `usr-new-${i}`, email: `new.${i}.${tenant}@example.org`, accountId: null })),
      ],
      accounts: [
        ...accounts.map((a) => ({ accountId: String(a.Journy_Account_Id__c), domain: null })),
        ...Array.from({ length: 20 }, (_, i) => ({ accountId: `acc-new-${i}-${tenant}`, domain: null })),
      ],
    };
    const sim = new JournySimulator({ tenantId: tenant, population, randomSeed: 21, mix: { userProperties: 0.4, userScores: 0.3, accountProperties: 0.1, accountScores: 0.2, segmentMoves: 0, memberships: 0 } });
    const events = Array.from({ length: 8000 }, () => sim.next());
    const expected = finalValues(events);

    const group = uniqueName('journy-events');
    await startGroupAtEnd(kafka.kafka, group, [TOPICS.profileEvents.name]);
    const env = { ...ingestEnv(url), MONGODB_URI: store.uri, HTTP_HOST: '127.0.0.1', LOG_LEVEL: 'info', JOURNY_EVENTS_GROUP: group, JOURNY_EVENTS_LINGER_MS: '100', JOURNY_EVENTS_BULK_MIN_RECORDS: '300' };
    const first = startAppProcess('journy-events', { ...env, JOURNY_EVENTS_PORT: '29130' });
    running.push(first);
    await waitForHttp('http://127.0.0.1:29130/health/live', 60_000, first);
    const send = async (from: number, to: number) => {
      for (let i = from; i < to; i += 250) {
        await kafka.producer.send(TOPICS.profileEvents.name, 'journy.profile-events.v1', events.slice(i, Math.min(to, i + 250)));
        await sleep(40); // a stream, not one backlog: the kill lands in the middle of batches
      }
    };
    // The first half is streaming when the process is killed, once it has written a part; the second half is sent
    // only after the kill, so the restarted process always has work of both kinds (in flight, and new).
    const half = events.length / 2;
    await send(0, half);
    for (let i = 0; i < 600 && tap.logs.filter((l) => l.status === 'SUCCEEDED').length < 300; i++) await sleep(25);
    first.process.kill('SIGKILL');
    await first.exited;
    const writtenBeforeKill = tap.logs.filter((l) => l.status === 'SUCCEEDED').length;
    expect(writtenBeforeKill).toBeGreaterThan(0);
    await send(half, events.length);

    const second = startAppProcess('journy-events', { ...env, JOURNY_EVENTS_PORT: '29131' });
    running.push(second);
    await waitForHttp('http://127.0.0.1:29131/health/live', 60_000, second);
    await waitForLag(kafka, group);
    await sleep(1500);
    expect(tap.logs.filter((l) => l.status === 'SUCCEEDED').length).toBeGreaterThan(writtenBeforeKill); // the second process had work left

    // Exactly one record per new user and account; every field at the value of its entity's last event.
    const byEmail = new Map<string, Record<string, unknown>[]>();
    for (const c of emulator.org.all('Contact')) if (!c.IsDeleted && c.Email) byEmail.set(String(c.Email).toLowerCase(), [...(byEmail.get(String(c.Email).toLowerCase()) ?? []), c]);
    const byAccountId = new Map<string, Record<string, unknown>[]>();
    for (const a of emulator.org.all('Account')) if (!a.IsDeleted && a.Journy_Account_Id__c) byAccountId.set(String(a.Journy_Account_Id__c), [...(byAccountId.get(String(a.Journy_Account_Id__c)) ?? []), a]);
    const mismatches: string[] = [];
    for (const [key, fields] of expected) {
      const [kind, id] = key.split('|');
      const records = kind === 'USER' ? byEmail.get(id) ?? [] : byAccountId.get(id) ?? [];
      if (records.length !== 1) { mismatches.push(`${key}: ${records.length} records`); continue; }
      for (const [field, value] of Object.entries(fields)) {
        if (records[0][field] !== value) mismatches.push(`${key}.${field}: ${JSON.stringify(records[0][field])} ≠ ${JSON.stringify(value)}`);
      }
    }
    expect(mismatches.slice(0, 10)).toEqual([]);
    expect(expected.size).toBeGreaterThan(400);
  });
});

/** What Salesforce must hold after the events: the last value of every mapped property, per entity. */
function finalValues(events: { value: ProfileEvent }[]): Map<string, Record<string, unknown>> {
  const fields: Record<string, string> = { first_name: 'FirstName', phone: 'Phone', stage: 'Stage__c', engagement_score: 'Engagement_Score__c', health_score: 'Health_Score__c', mrr: 'MRR__c', seats: 'Seats__c' };
  const out = new Map<string, Record<string, unknown>>();
  for (const { value } of events) {
    const body = (value.payload as { 'journy.PropertiesChanged'?: { changes: { name: string; current: unknown }[] } })['journy.PropertiesChanged'];
    if (!body) continue;
    const key = value.entityType === 'USER' ? `USER|${value.entity.email!.toLowerCase()}` : `ACCOUNT|${value.entity.accountId}`;
    const record = out.get(key) ?? {};
    for (const change of body.changes) if (fields[change.name]) record[fields[change.name]] = change.current;
    out.set(key, record);
  }
  return out;
}

async function waitForLag(kafka: KafkaRuntime, group: string): Promise<void> {
  const admin = kafka.kafka.admin();
  await admin.connect();
  try {
    for (let i = 0; i < 600; i++) {
      const ends = await admin.fetchTopicOffsets(TOPICS.profileEvents.name);
      const [committed] = await admin.fetchOffsets({ groupId: group, topics: [TOPICS.profileEvents.name] });
      const lag = ends.reduce((sum, end) => sum + Number(end.high) - Math.max(Number(end.low), Number(committed.partitions.find((p) => p.partition === end.partition)?.offset ?? -1)), 0);
      if (lag === 0) return;
      await sleep(200);
    }
    throw new Error(`group ${group} did not catch up`);
  } finally {
    await admin.disconnect();
  }
}
