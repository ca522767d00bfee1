import type { Command, ProfileEvent } from '@connector/kafka';
import { SalesforceEmulator } from '@tools/salesforce-emulator';
import { JournySimulator } from '@tools/journy-simulator';
import { Store, Tap, connectOrg, emulatorAdmin, ingestEnv, logCapture, openStore, payloadOf, sleep, startIngest } from '../support/ingest-harness';
import { startJournyEvents } from '../support/outbound-harness';
import { uniqueName } from '../support/stack-env';

jest.setTimeout(180_000);

const CONTACT_MAPPINGS = [{ journyProperty: 'stage', journyType: 'string', salesforceField: 'Stage__c' }];

/**
 * Both directions at once: what journy-events writes into Salesforce must never come back to journy, on any
 * path of ingest: a live event, a GAP_OVERFLOW re-read, or the re-read after an expired replay id.
 */
describe.each(['pubsub', 'cometd'] as const)('no echo of journy-events’ writes through ingest’s re-reads (%s)', (source) => {
  let emulator: SalesforceEmulator;
  let url: string;
  let store: Store;
  let tap: Tap;
  let connectionId: string | null = null;
  let ingest: Awaited<ReturnType<typeof startIngest>>;
  let journyEvents: Awaited<ReturnType<typeof startJournyEvents>>;
  let logs: ReturnType<typeof logCapture>;
  let sim: JournySimulator;
  let contacts: { Id: string; Email: string }[] = [];
  const tenant = uniqueName('tenant');
  const env = () => ingestEnv(emulator, { INGEST_OWNERSHIP_GROUP: `owners-${tenant}`, INGEST_CHANGE_STREAM: source });

  const admin = emulatorAdmin(() => url);
  const properties = (c: Command) => (payloadOf(c).body.properties ?? {}) as Record<string, unknown>;
  const resyncsOf = (recordId: string) => tap.commands.filter((c) => c.source?.recordId === recordId && c.mode === 'RESYNC');
  const stageOf = (id: string) => emulator.org.get('Contact', id)!.Stage__c;
  const until = async (what: string, predicate: () => boolean, timeoutMs = 40_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(100);
    }
  };
  const rereads = () => logs.lines().filter((l) => l.msg === 'records re-read after missed change events').length;

  /** journy-events writes `stage` to each contact, and every write is settled (logged) before this returns. */
  async function writeStages(targets: { Id: string; Email: string }[], stage: string): Promise<void> {
    const events = targets.map((c, i) => sim.userEvent({ userId: `usr-${c.Id}`, email: c.Email, accountId: null }, {
      'journy.PropertiesChanged': { changes: [{ name: 'stage', previous: null, current: `${stage}-${i}`, computed: false }], snapshot: null },
    } as ProfileEvent['payload']));
    await journyEvents.publish(events);
    await until(`journy-events wrote ${stage}`, () => targets.every((c, i) => stageOf(c.Id) === `${stage}-${i}`));
    const ids = new Set(events.map((e) => e.value.eventId));
    await until('the writes settled', () => tap.logs.filter((l) => l.direction === 'JOURNY_TO_SALESFORCE' && l.status === 'SUCCEEDED' && ids.has(l.correlationId ?? '')).length >= targets.length);
  }

  /** A change Salesforce made with no event of its own (what a gap or a missed replay means). */
  function silentPhoneChange(id: string, phone: string): void {
    Object.assign(emulator.org.get('Contact', id)!, { Phone: phone, SystemModstamp: Math.floor(Date.now() / 1000) * 1000 });
  }

  async function waitStreaming(): Promise<void> {
    await until('the stream', () => ingest.runtime.statuses().find((s) => s.connectionId === connectionId)?.state === 'streaming');
  }

  beforeAll(async () => {
    emulator = new SalesforceEmulator({ autoApprove: true, bulkProcessingDelayMs: 20, cometdConnectTimeoutMs: 2000 });
    url = await emulator.start();
    await admin('generate', { accounts: 2, contacts: 8, randomSeed: 9, contactsWithoutEmail: 0 });
    contacts = [...emulator.org.all('Contact')].map((c) => ({ Id: c.Id as string, Email: String(c.Email) }));
    store = await openStore();
    tap = await Tap.open(() => connectionId);
    const connection = await connectOrg(emulator, url, store.connections, store.cipher, {
      tenantId: tenant,
      settings: { source: { ongoingImport: true }, destination: { userSegments: [], accountSegments: [], createContacts: false, createAccounts: false, contactMappings: CONTACT_MAPPINGS, accountMappings: [] } },
    });
    connectionId = connection.id;
    logs = logCapture();
    ingest = await startIngest(store, env(), logs.logger);
    const job = await store.jobs.start(tenant, connection.id, 'test');
    for (let i = 0; i < 300 && (await store.jobs.get(tenant, connection.id, job.id))?.state !== 'SUCCEEDED'; i++) await sleep(100);
    await waitStreaming();
    journyEvents = await startJournyEvents(store, env(), logs.logger);
    sim = new JournySimulator({ tenantId: tenant, population: { users: [], accounts: [] } });
  });
  afterAll(async () => {
    await journyEvents?.stop();
    await ingest?.stop();
    await tap?.close();
    await store?.close();
    await emulator?.stop();
  });

  it('a GAP_OVERFLOW re-read sends back nothing journy-events wrote, and still sends what Salesforce changed', async () => {
    const written = contacts.slice(0, 5);
    await writeStages(written, 'gap');
    silentPhoneChange(contacts[5].Id, '+32 9 111 11 11');
    const before = rereads();
    await admin('gap', { entity: 'Contact', changeType: 'GAP_OVERFLOW' });
    await until('the re-read', () => rereads() > before);
    await until('the silent change re-read', () => resyncsOf(contacts[5].Id).some((c) => properties(c).phone === '+32 9 111 11 11'));
    for (const c of written) expect(resyncsOf(c.Id).filter((r) => 'stage' in properties(r))).toEqual([]);
    // Each written contact's re-read is logged, and sends nothing: its only difference from what journy has is
    // journy-events' own value (NO_CHANGE), or every value is its own (ECHO_SUPPRESSED). Lines travel on their own
    // topic, so they may be read after the commands.
    await tap.until(() => written.every((c) => tap.logs.some((l) => l.mode === 'RESYNC' && l.salesforce.recordId === c.Id)), 'the re-read lines of the written contacts');
    for (const c of written) {
      const lines = tap.logs.filter((l) => l.mode === 'RESYNC' && l.salesforce.recordId === c.Id);
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.every((l) => l.status === 'SKIPPED' && ['NO_CHANGE', 'ECHO_SUPPRESSED'].includes(l.reason ?? ''))).toBe(true);
    }
  });

  it('the re-read after an expired replay id sends back nothing journy-events wrote meanwhile', async () => {
    await ingest.stop();
    const written = contacts.slice(1, 4);
    await writeStages(written, 'away');
    silentPhoneChange(contacts[6].Id, '+32 9 222 22 22');
    await admin('replay/expire');
    const before = rereads();
    ingest = await startIngest(store, env(), logs.logger);
    await until('the re-read', () => rereads() > before);
    await until('the silent change re-read', () => resyncsOf(contacts[6].Id).some((c) => properties(c).phone === '+32 9 222 22 22'));
    for (const c of written) expect(resyncsOf(c.Id).filter((r) => String(properties(r).stage ?? '').startsWith('away'))).toEqual([]);
    await waitStreaming();
  });

  it('a sales rep setting a field back to a value journy-events once wrote is news again', async () => {
    const target = contacts[0];
    const journyValue = stageOf(target.Id) as string;
    await admin('act-as', { username: 'rep.alex@journy-demo.example', operations: [{ op: 'update', object: 'Contact', id: target.Id, fields: { Stage__c: 'rep-choice' } }] });
    await until('the rep’s change sent', () => tap.commands.some((c) => c.source?.recordId === target.Id && c.mode === 'LIVE' && properties(c).stage === 'rep-choice'));
    await admin('act-as', { username: 'rep.alex@journy-demo.example', operations: [{ op: 'update', object: 'Contact', id: target.Id, fields: { Stage__c: journyValue } }] });
    await until('the rep’s change back sent', () => tap.commands.some((c) => c.source?.recordId === target.Id && c.mode === 'LIVE' && properties(c).stage === journyValue));
  });
});
