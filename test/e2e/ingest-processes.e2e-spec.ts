import { SalesforceEmulator } from '@tools/salesforce-emulator';
import { RunningApp, startAppProcess, stopApp, waitForHttp } from '../support/app-process';
import { Store, Tap, connectOrg, ingestEnv, openStore, payloadOf, sleep } from '../support/ingest-harness';
import { uniqueName } from '../support/stack-env';

jest.setTimeout(90_000);

interface StreamsHealth { checks: { streams?: { details?: { connections?: { connectionId: string; state: string; source?: string }[] } } } }

/** The built ingest app as processes: killed with SIGKILL mid-import, and two instances sharing connections. */
describe('the ingest app as processes', () => {
  let emulator: SalesforceEmulator;
  let url: string;
  let store: Store & { uri: string };
  let tap: Tap;
  let connectionId: string | null = null;
  const running: RunningApp[] = [];

  const start = (port: number, group: string, extra: Record<string, string> = {}) => {
    const app = startAppProcess('ingest', { ...ingestEnv(emulator, { INGEST_OWNERSHIP_GROUP: group, ...extra }), MONGODB_URI: store.uri, INGEST_PORT: String(port), HTTP_HOST: '127.0.0.1', LOG_LEVEL: 'info' });
    running.push(app);
    return app;
  };
  const streams = async (port: number) => {
    try {
      const report = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as StreamsHealth;
      return report.checks.streams?.details?.connections ?? [];
    } catch {
      return [];
    }
  };

  beforeAll(async () => {
    emulator = new SalesforceEmulator({ autoApprove: true, bulkProcessingDelayMs: 20, cometdConnectTimeoutMs: 3000 });
    url = await emulator.start();
    store = await openStore();
    tap = await Tap.open(() => connectionId);
  });
  afterAll(async () => {
    for (const app of running) if (app.process.exitCode === null && app.process.signalCode === null) await stopApp(app, 5000);
    await tap?.close();
    await store?.close();
    await emulator?.stop();
  });

  it('resumes an import killed with SIGKILL from its checkpoint, re-sending at most the page in flight', async () => {
    await fetch(`${url}/__emulator/generate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ accounts: 200, contacts: 12_000, randomSeed: 3 }) });
    const tenant = uniqueName('tenant');
    const connection = await connectOrg(emulator, url, store.connections, store.cipher, { tenantId: tenant });
    connectionId = connection.id;
    const group = uniqueName('owners');
    const first = start(29110, group, { INGEST_IMPORT_PAGE_SIZE: '500' });
    await waitForHttp('http://127.0.0.1:29110/health/live', 60_000, first);
    const job = await store.jobs.start(tenant, connection.id, 'test');
    // Kill it in the middle of the contacts.
    for (let i = 0; i < 600; i++) {
      const current = await store.jobs.get(tenant, connection.id, job.id);
      if (current?.phase === 'CONTACTS' && current.counts.Contact.read >= 3000) break;
      if (current?.state === 'SUCCEEDED') throw new Error('the import finished before it could be killed');
      await sleep(50);
    }
    first.process.kill('SIGKILL');
    await first.exited;
    const killedAt = await store.jobs.get(tenant, connection.id, job.id);
    expect(killedAt).toMatchObject({ state: 'RUNNING', phase: 'CONTACTS' });
    expect(killedAt!.counts.Contact.read).toBeLessThan(12_000);

    const second = start(29111, group, { INGEST_IMPORT_PAGE_SIZE: '500' });
    let done = await store.jobs.get(tenant, connection.id, job.id);
    for (let i = 0; i < 1200 && done?.state !== 'SUCCEEDED'; i++) {
      await sleep(100);
      done = await store.jobs.get(tenant, connection.id, job.id);
    }
    expect(done).toMatchObject({ state: 'SUCCEEDED', phase: 'DONE' });
    expect(done!.counts.Contact).toEqual({ read: 12_000, published: 12_000, skipped: 0, failed: 0 });
    expect(second.stdout()).toContain('import resumed from its checkpoint');

    await tap.until((t) => new Set(t.commands.filter((c) => payloadOf(c).type === 'UpsertUser').map((c) => c.source!.recordId)).size === 12_000, 'every contact', 60_000);
    const users = tap.commands.filter((c) => payloadOf(c).type === 'UpsertUser');
    // Every contact got exactly one command id; what was re-sent (the page in flight at the kill) kept its id.
    const idsPerRecord = new Map<string, Set<string>>();
    for (const c of users) idsPerRecord.set(c.source!.recordId, (idsPerRecord.get(c.source!.recordId) ?? new Set()).add(c.commandId));
    expect([...idsPerRecord.values()].every((ids) => ids.size === 1)).toBe(true);
    expect(users.length - 12_000).toBeLessThanOrEqual(500);
    await stopApp(second);
  });

  it('moves a connection to the other instance within seconds when its owner is killed', async () => {
    const tenant = uniqueName('tenant');
    const connection = await connectOrg(emulator, url, store.connections, store.cipher, { tenantId: tenant, settings: { source: { ongoingImport: true } } });
    connectionId = connection.id;
    // Another connection's links would not matter; this one is live only (no import): records are new to it.
    const group = uniqueName('owners');
    const a = start(29120, group);
    const b = start(29121, group);
    await waitForHttp('http://127.0.0.1:29120/health/live', 60_000, a);
    await waitForHttp('http://127.0.0.1:29121/health/live', 60_000, b);
    let owner: { app: RunningApp; port: number } | null = null;
    for (let i = 0; i < 300 && !owner; i++) {
      const [onA, onB] = [await streams(29120), await streams(29121)];
      const streamingOn = (list: { connectionId: string; state: string }[]) => list.some((s) => s.connectionId === connection.id && s.state === 'streaming');
      if (streamingOn(onA) && !onB.some((s) => s.connectionId === connection.id)) owner = { app: a, port: 29120 };
      else if (streamingOn(onB) && !onA.some((s) => s.connectionId === connection.id)) owner = { app: b, port: 29121 };
      else await sleep(200);
    }
    expect(owner).not.toBeNull();
    const other = owner!.port === 29120 ? { app: b, port: 29121 } : { app: a, port: 29120 };

    const rep = (fields: Record<string, unknown>) => fetch(`${url}/__emulator/act-as`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'rep.sam@journy-demo.example', operations: [{ op: 'create', object: 'Contact', fields }] }) });
    await rep({ LastName: 'Before', Email: 'before.kill@example.org' });
    await tap.until((t) => t.commands.some((c) => payloadOf(c).body.email === 'before.kill@example.org'), 'the change before the kill');

    owner!.app.process.kill('SIGKILL');
    const killedAt = Date.now();
    let takenAfterMs = -1;
    for (let i = 0; i < 600; i++) {
      if ((await streams(other.port)).some((s) => s.connectionId === connection.id && s.state === 'streaming')) {
        takenAfterMs = Date.now() - killedAt;
        break;
      }
      await sleep(100);
    }
    expect(takenAfterMs).toBeGreaterThan(0);
    expect(takenAfterMs).toBeLessThan(20_000);
    await rep({ LastName: 'After', Email: 'after.kill@example.org' });
    await tap.until((t) => t.commands.some((c) => payloadOf(c).body.email === 'after.kill@example.org'), 'the change after the takeover', 30_000);
    process.stdout.write(`takeover after SIGKILL of the owner: ${takenAfterMs} ms\n`);
    await stopApp(other.app);
  });

  it('over Pub/Sub: SIGKILL mid-stream and a restart turn every change into exactly one command in effect', async () => {
    const tenant = uniqueName('tenant');
    const connection = await connectOrg(emulator, url, store.connections, store.cipher, { tenantId: tenant, settings: { source: { ongoingImport: true, changeStream: 'pubsub' } } });
    connectionId = connection.id;
    const group = uniqueName('owners');
    const streamingOn = async (port: number) => (await streams(port)).some((s) => s.connectionId === connection.id && s.state === 'streaming');
    const first = start(29130, group);
    await waitForHttp('http://127.0.0.1:29130/health/live', 60_000, first);
    for (let i = 0; i < 300 && !(await streamingOn(29130)); i++) await sleep(100);
    expect((await streams(29130)).find((s) => s.connectionId === connection.id)).toMatchObject({ state: 'streaming', source: 'pubsub' });

    const total = 240;
    const email = (i: number) => `kill.${i}@example.org`;
    const commandsOf = (i: number) => tap.commands.filter((c) => c.mode === 'LIVE' && payloadOf(c).type === 'UpsertUser' && payloadOf(c).body.email === email(i));
    const writer = (async () => {
      for (let i = 0; i < total; i++) {
        await fetch(`${url}/__emulator/act-as`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'rep.sam@journy-demo.example', operations: [{ op: 'create', object: 'Contact', fields: { LastName: `Kill ${i}`, Email: email(i) } }] }) });
        await sleep(8);
      }
    })();
    await tap.until(() => [...Array(total).keys()].filter((i) => commandsOf(i).length > 0).length >= 60, 'the first changes before the kill');
    first.process.kill('SIGKILL');
    await first.exited;
    const second = start(29130, group);
    await waitForHttp('http://127.0.0.1:29130/health/live', 60_000, second);
    await writer;
    await tap.until(() => [...Array(total).keys()].every((i) => commandsOf(i).length > 0), `a command for each of the ${total} changes`, 60_000);
    await sleep(1500);
    // Re-sent after the restart or not, each change's commands share one id: journy applies it once.
    const ids = [...Array(total).keys()].map((i) => new Set(commandsOf(i).map((c) => c.commandId)).size);
    expect(ids.filter((n) => n !== 1)).toEqual([]);
    const resent = [...Array(total).keys()].filter((i) => commandsOf(i).length > 1).length;
    process.stdout.write(`SIGKILL over Pub/Sub: ${total} changes, ${resent} re-sent after the restart with the same command id, none lost\n`);
    await stopApp(second);
  });
});
