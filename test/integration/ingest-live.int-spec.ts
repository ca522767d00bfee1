import type { Command, SyncLogRecord } from '@connector/kafka';
import { SalesforceEmulator, passwordGrantToken } from '@tools/salesforce-emulator';
import { Store, Tap, connectOrg, emulatorAdmin, ingestEnv, logCapture, openStore, payloadOf, sleep, startIngest } from '../support/ingest-harness';
import { uniqueName } from '../support/stack-env';

jest.setTimeout(120_000);

/**
 * Live capture against the emulator, on each source: a sales rep edits records (UI writes, no change origin), the
 * connector's own writes come back as echoes, and the stream survives what Salesforce does to long-lived subscribers.
 */
describe.each(['pubsub', 'cometd'] as const)('live change capture over %s', (source) => {
  let emulator: SalesforceEmulator;
  let url: string;
  let store: Store;
  let tap: Tap;
  let connectionId: string | null = null;
  let ingest: Awaited<ReturnType<typeof startIngest>>;
  let logs: ReturnType<typeof logCapture>;
  const tenant = uniqueName('tenant');
  let oldEventRecord = '';
  const env = () => ingestEnv(emulator, { INGEST_OWNERSHIP_GROUP: `owners-${tenant}`, INGEST_CHANGE_STREAM: source });

  const admin = emulatorAdmin(() => url);
  const asRep = (operations: unknown[]) => admin('act-as', { username: 'rep.alex@journy-demo.example', operations }) as Promise<{ results: { id: string }[] }>;
  const commandsFor = (recordId: string) => tap.commands.filter((c) => c.source?.recordId === recordId);
  const logsFor = (recordId: string) => tap.logs.filter((l) => l.salesforce.recordId === recordId);
  const waitLog = (recordId: string, predicate: (l: SyncLogRecord) => boolean, what: string) => tap.until(() => logsFor(recordId).some(predicate), what);
  const body = (c: Command) => payloadOf(c).body;

  beforeAll(async () => {
    emulator = new SalesforceEmulator({ autoApprove: true, bulkProcessingDelayMs: 20, cometdConnectTimeoutMs: 2000, pubsubKeepaliveMs: 1000 });
    url = await emulator.start();
    await admin('generate', { accounts: 3, contacts: 12, randomSeed: 5 });
    store = await openStore();
    tap = await Tap.open(() => connectionId);
    const connection = await connectOrg(emulator, url, store.connections, store.cipher, { tenantId: tenant, settings: { source: { ongoingImport: true } } });
    connectionId = connection.id;
    // A change committed an hour before this connection's stream starts, still in the retention window.
    const old = [...emulator.org.all('Contact')].filter((c) => c.Email)[10];
    oldEventRecord = old.Id as string;
    await admin('events', { channel: '/data/ChangeEvents', data: { schema: 'contact', payload: {
      ChangeEventHeader: { entityName: 'Contact', recordIds: [old.Id], changeType: 'UPDATE', changedFields: ['Title'], changeOrigin: '', transactionKey: 'tx-old', sequenceNumber: 1, isTransactionEnd: true, commitTimestamp: Date.now() - 3600_000, commitNumber: 1, commitUser: emulator.integrationUserId },
      Title: 'Long ago',
    } } });
    logs = logCapture();
    ingest = await startIngest(store, env(), logs.logger);
    const job = await store.jobs.start(tenant, connection.id, 'test');
    for (let i = 0; i < 200 && (await store.jobs.get(tenant, connection.id, job.id))?.state !== 'SUCCEEDED'; i++) await sleep(100);
    await waitStreaming();
  });
  afterAll(async () => {
    await ingest?.stop();
    await tap?.close();
    await store?.close();
    await emulator?.stop();
  });

  async function waitStreaming(): Promise<void> {
    for (let i = 0; i < 200; i++) {
      const status = ingest.runtime.statuses().find((s) => s.connectionId === connectionId);
      if (status?.state === 'streaming') return;
      await sleep(100);
    }
    throw new Error(`stream not running: ${JSON.stringify(ingest.runtime.statuses())}`);
  }

  it('CREATE with ongoing import on publishes the new user and links it; UPDATE publishes only the changed fields; DELETE and UNDELETE are logged', async () => {
    const account = [...emulator.org.all('Account')].find((a) => a.Journy_Account_Id__c)!;
    const created = await asRep([{ op: 'create', object: 'Contact', fields: { FirstName: 'Ada', LastName: 'Lovelace', Email: 'Ada@Example.org', Phone: '+32 9 000', AccountId: account.Id } }]);
    const id = created.results[0].id;
    await tap.until(() => commandsFor(id).some((c) => payloadOf(c).type === 'UpsertUser'), 'the created user');
    const upsert = commandsFor(id).find((c) => payloadOf(c).type === 'UpsertUser')!;
    expect(upsert).toMatchObject({ mode: 'LIVE', source: { objectType: 'Contact', recordId: id } });
    expect(body(upsert)).toEqual({ userId: null, email: 'ada@example.org', properties: { first_name: 'Ada', last_name: 'Lovelace', phone: '+32 9 000' } });
    // The replay id as the source gives it: CometD's number, Pub/Sub's 8 bytes (base64).
    if (source === 'cometd') expect(upsert.source!.replayId).toMatch(/^\d+$/);
    else expect(Buffer.from(upsert.source!.replayId!, 'base64')).toHaveLength(8);
    expect(await store.links.findBySalesforceIds(tenant, connectionId!, [id])).toHaveLength(1);
    // The relationship Salesforce creates with it becomes a membership.
    await tap.until(() => tap.commands.some((c) => payloadOf(c).type === 'AddAccountMembers' && JSON.stringify(body(c)).includes('ada@example.org')), 'the membership');
    const membership = tap.commands.find((c) => payloadOf(c).type === 'AddAccountMembers' && JSON.stringify(body(c)).includes('ada@example.org'))!;
    expect(body(membership)).toEqual({ accountId: account.Journy_Account_Id__c, users: [{ userId: null, email: 'ada@example.org' }] });

    await asRep([{ op: 'update', object: 'Contact', id, fields: { LastName: 'King', Phone: null } }]);
    await tap.until(() => commandsFor(id).filter((c) => payloadOf(c).type === 'UpsertUser').length === 2, 'the update');
    const update = commandsFor(id).filter((c) => payloadOf(c).type === 'UpsertUser')[1];
    // Only what changed: the last name, and the phone cleared (nulledFields); the first name is absent, not null.
    expect(body(update)).toEqual({ userId: null, email: 'ada@example.org', properties: { last_name: 'King', phone: null } });

    await asRep([{ op: 'update', object: 'Contact', id, fields: { Description: 'not synced' } }]);
    await waitLog(id, (l) => l.reason === 'NO_MAPPED_CHANGE', 'an unmapped change skipped');

    await asRep([{ op: 'delete', object: 'Contact', id }]);
    await waitLog(id, (l) => l.operation === 'DELETE' && l.status === 'SUCCEEDED', 'the delete logged');
    // The link is marked once the event's lines are acknowledged by Kafka, so it may trail the line read here.
    const deletedFlag = async () => (await store.links.findBySalesforceIds(tenant, connectionId!, [id]))[0].deleted;
    for (let i = 0; i < 100 && !(await deletedFlag()); i++) await sleep(100);
    expect(await deletedFlag()).toBe(true);
    await asRep([{ op: 'undelete', object: 'Contact', id }]);
    await waitLog(id, (l) => l.operation === 'UNDELETE' && l.status === 'SUCCEEDED', 'the undelete logged');
    for (let i = 0; i < 100 && (await deletedFlag()); i++) await sleep(100);
    expect(await deletedFlag()).toBe(false);
    // journy records are never deleted: no command came of either.
    expect(commandsFor(id).filter((c) => payloadOf(c).type === 'UpsertUser')).toHaveLength(2);
  });

  it('logs an event committed before the stream started, and does not apply it', async () => {
    await waitLog(oldEventRecord, (l) => l.reason === 'OLDER_THAN_STREAM_START', 'the old event logged');
    expect(logsFor(oldEventRecord).filter((l) => l.mode === 'LIVE')).toEqual([expect.objectContaining({ objectType: 'USER', operation: 'UPDATE', status: 'SKIPPED', reason: 'OLDER_THAN_STREAM_START' })]);
    expect(commandsFor(oldEventRecord).filter((c) => c.mode === 'LIVE')).toEqual([]); // only its import's command
  });

  it('logs every change event it does not apply: an object it does not sync, and an event that names no record', async () => {
    const header = (entityName: string, recordIds: string[]) => ({
      entityName, recordIds, changeType: 'CREATE', changedFields: [], changeOrigin: '', transactionKey: `tx-${entityName}-${recordIds.length}`,
      sequenceNumber: 1, isTransactionEnd: true, commitTimestamp: Date.now(), commitNumber: 1, commitUser: emulator.integrationUserId,
    });
    await admin('events', { channel: '/data/ChangeEvents', data: { schema: 'custom', payload: { ChangeEventHeader: header('Distributor__c', ['a02Hs0000179WYrIAM']), Name: 'Custom' } } });
    await admin('events', { channel: '/data/ChangeEvents', data: { schema: 'contact', payload: { ChangeEventHeader: header('Contact', []) } } });
    await waitLog('a02Hs0000179WYrIAM', (l) => l.reason === 'OBJECT_NOT_SYNCED', 'the custom object event logged');
    expect(logsFor('a02Hs0000179WYrIAM')[0]).toMatchObject({ objectType: 'OTHER', operation: 'CREATE', status: 'SKIPPED', salesforce: { objectType: 'Distributor__c', recordId: 'a02Hs0000179WYrIAM' } });
    await tap.until(() => tap.logs.some((l) => l.reason === 'NO_RECORD_IDS'), 'the event without record ids logged');
    expect(tap.logs.find((l) => l.reason === 'NO_RECORD_IDS')).toMatchObject({ objectType: 'USER', status: 'SKIPPED', salesforce: { objectType: 'Contact', recordId: null } });
  });

  it('with ongoing import off, a CREATE is logged as skipped and nothing is published; the setting takes effect without restart', async () => {
    const current = (await store.connections.findById(tenant, connectionId!))!;
    await store.connections.update(tenant, connectionId!, { settings: { ...current.settings, source: { ...current.settings.source, ongoingImport: false } } });
    await ingest.kafka.producer.send('connector.connection-changes.v1', 'connector.connection-changes.v1', [{ key: connectionId!, value: { connectionId: connectionId!, tenantId: tenant, kind: 'UPDATED', revision: current.revision + 1, enabled: true, changedAt: Date.now() } }]);
    await sleep(1500);
    await waitStreaming();
    const created = await asRep([{ op: 'create', object: 'Account', fields: { Name: 'Skipped Co', Journy_Account_Id__c: 'acc-skip' } }]);
    const id = created.results[0].id;
    await waitLog(id, (l) => l.status === 'SKIPPED', 'the skipped create');
    expect(logsFor(id)).toEqual([expect.objectContaining({ objectType: 'ACCOUNT', operation: 'CREATE', status: 'SKIPPED', reason: 'ONGOING_IMPORT_DISABLED' })]);
    expect(commandsFor(id)).toEqual([]);
    await store.connections.update(tenant, connectionId!, { settings: { ...current.settings, source: { ...current.settings.source, ongoingImport: true } } });
    await sleep(1000);
    await waitStreaming();
  });

  it('drops the echo of its own writes (change origin) and changes equal to what it last wrote', async () => {
    const contact = [...emulator.org.all('Contact')].find((c) => c.Email && !c.IsDeleted)!;
    const token = await passwordGrantToken(url);
    const written = await fetch(`${url}/services/data/v62.0/sobjects/Contact/${contact.Id}`, {
      method: 'PATCH', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Sforce-Call-Options': 'client=journy-connector' }, body: JSON.stringify({ Title: 'CTO', LastName: 'Echo' }),
    });
    expect(written.status).toBe(204);
    await waitLog(contact.Id as string, (l) => l.reason === 'ECHO_SUPPRESSED', 'the origin echo');
    expect(logsFor(contact.Id as string).find((l) => l.reason === 'ECHO_SUPPRESSED')!.message).toContain('client=journy-connector');

    // A write by another integration with what the connector last wrote (the link remembers it) is an echo too.
    await store.links.recordWritten(tenant, connectionId!, contact.Id as string, { FirstName: 'Same' });
    await asRep([{ op: 'update', object: 'Contact', id: contact.Id, fields: { FirstName: 'Same' } }]);
    await tap.until(() => logsFor(contact.Id as string).filter((l) => l.reason === 'ECHO_SUPPRESSED').length === 2, 'the value echo');
    expect(commandsFor(contact.Id as string).filter((c) => c.mode !== 'INITIAL_IMPORT')).toEqual([]);
  });

  it('recovers from an expired session (refresh once) and from a dropped stream without losing a change', async () => {
    const [first, second] = [...emulator.org.all('Contact')].filter((c) => c.Email && !c.IsDeleted).slice(1, 3);
    const before = (await store.connections.findById(tenant, connectionId!))!.credentials.accessToken;
    await admin('sessions/expire');
    await sleep(2500); // the held connect returns; the next one is refused with 401
    await asRep([{ op: 'update', object: 'Contact', id: first.Id, fields: { LastName: 'AfterExpiry' } }]);
    await tap.until(() => commandsFor(first.Id as string).some((c) => (body(c).properties as Record<string, unknown>).last_name === 'AfterExpiry'), 'the change after the session expired', 40_000);

    // The token was refreshed (once) and stored for the other apps.
    const after = (await store.connections.findById(tenant, connectionId!))!.credentials.accessToken;
    expect(store.cipher.decrypt(after, connectionId!)).not.toBe(store.cipher.decrypt(before, connectionId!));
    expect(logs.lines().filter((l) => l.msg === 'change stream problem')).toEqual([]);

    // CometD: the next connect is answered 403::Unknown client and faye handshakes again; Pub/Sub: the stream ends UNAVAILABLE.
    await admin(source === 'cometd' ? 'cometd/drop' : 'pubsub/drop');
    await sleep(2500);
    await asRep([{ op: 'update', object: 'Contact', id: second.Id, fields: { LastName: 'AfterDrop' } }]);
    await tap.until(() => commandsFor(second.Id as string).some((c) => (body(c).properties as Record<string, unknown>).last_name === 'AfterDrop'), 'the change after the client was dropped', 40_000);
    const stored = await store.offsets.get(tenant, connectionId!, '/data/ChangeEvents');
    expect(stored).toMatchObject({ source, replayId: expect.any(String) });
    expect(ingest.runtime.statuses()).toEqual([expect.objectContaining({ source, fallbackReason: null })]);
  });

  it('an expired replay id: re-reads what changed since the last commit, then follows the tip', async () => {
    await ingest.stop();
    const contact = [...emulator.org.all('Contact')].filter((c) => c.Email && !c.IsDeleted)[3];
    await asRep([{ op: 'update', object: 'Contact', id: contact.Id, fields: { LastName: 'WhileAway' } }]);
    await admin('replay/expire');
    ingest = await startIngest(store, env(), logs.logger);
    await tap.until(() => commandsFor(contact.Id as string).some((c) => c.mode === 'RESYNC' && (body(c).properties as Record<string, unknown>).last_name === 'WhileAway'), 'the re-read change', 40_000);
    for (let i = 0; i < 100 && !logs.lines().some((l) => l.msg === 'records re-read after missed change events'); i++) await sleep(100); // logged once every object is re-read
    expect(logs.lines().some((l) => l.msg === 'records re-read after missed change events')).toBe(true);
    await waitStreaming();
    await asRep([{ op: 'update', object: 'Contact', id: contact.Id, fields: { LastName: 'Back' } }]);
    await tap.until(() => commandsFor(contact.Id as string).some((c) => c.mode === 'LIVE' && (body(c).properties as Record<string, unknown>).last_name === 'Back'), 'the live change after recovery', 40_000);
  });

  it('a GAP event: the named records are read again and their changes published', async () => {
    const contact = [...emulator.org.all('Contact')].filter((c) => c.Email && !c.IsDeleted)[4];
    // Salesforce changed the record without an event of its own (what a gap means).
    Object.assign(emulator.org.get('Contact', contact.Id as string)!, { LastName: 'Gapped', SystemModstamp: new Date().toISOString() });
    await admin('gap', { entity: 'Contact', changeType: 'GAP_UPDATE', recordIds: [contact.Id] });
    await tap.until(() => commandsFor(contact.Id as string).some((c) => c.mode === 'RESYNC' && (body(c).properties as Record<string, unknown>).last_name === 'Gapped'), 'the gap re-read', 10_000).catch((e) => { throw new Error(`${e.message} ${JSON.stringify(logsFor(contact.Id as string))}`); });
    const resync = commandsFor(contact.Id as string).find((c) => c.mode === 'RESYNC')!;
    expect(body(resync).properties).toEqual({ last_name: 'Gapped' });
  });

  it('reports its streams in the health check', () => {
    const health = ingest.runtime.health();
    expect(health.status).toBe('up');
    expect(health.details!.connections).toEqual([expect.objectContaining({ connectionId, state: 'streaming' })]);
  });
  it('an idle stream writes nothing to the store for keepalives that repeat the position it saved', async () => {
    const offsetWrites = async () => Number(/^connector_store_commands_total\{collection="stream_offsets",command="update",outcome="ok"[^}]*\} (\d+)$/m.exec(await ingest.metrics.render())?.[1] ?? 0);
    await sleep(6000); // the last change's position is saved (INGEST_OFFSET_FLUSH_MS, 5 s)
    const before = await offsetWrites();
    await sleep(6000); // six Pub/Sub keepalives (one a second here), each with the position already saved
    expect(await offsetWrites()).toBe(before);
    expect(ingest.runtime.statuses()).toEqual([expect.objectContaining({ connectionId, state: 'streaming' })]);
  });

  it('an event the handler cannot process is logged FAILED after a few tries, and the stream goes on', async () => {
    const [poisoned, next] = [...emulator.org.all('Contact')].filter((c) => c.Email && !c.IsDeleted).slice(6, 8);
    await admin('events', { channel: '/data/ChangeEvents', data: { schema: 'contact', payload: {
      ChangeEventHeader: { entityName: 'Contact', recordIds: [poisoned.Id], changeType: 'UPDATE', changedFields: 5, changeOrigin: '', transactionKey: 'tx-poison', sequenceNumber: 1, isTransactionEnd: true, commitTimestamp: Date.now(), commitNumber: 2, commitUser: emulator.integrationUserId },
      LastName: 'Poison',
    } } });
    await asRep([{ op: 'update', object: 'Contact', id: next.Id, fields: { LastName: 'AfterPoison' } }]);
    // CometD hands the handler a field list that is not a list; Pub/Sub sends it as a bitmap no schema can read.
    const reason = source === 'cometd' ? 'HANDLER_FAILED' : 'UNREADABLE_EVENT';
    await waitLog(poisoned.Id as string, (l) => l.reason === reason, 'the poison event logged FAILED');
    expect(logsFor(poisoned.Id as string).find((l) => l.reason === reason)).toMatchObject({ status: 'FAILED', message: expect.stringContaining(source === 'cometd' ? 'not applied after 3 tries' : 'bitmaps do not match schema') });
    await tap.until(() => commandsFor(next.Id as string).some((c) => (body(c).properties as Record<string, unknown>).last_name === 'AfterPoison'), 'the next change', 60_000);
    await waitStreaming();
  });
});
