import type { Command } from '@connector/kafka';
import { SalesforceEmulator } from '@tools/salesforce-emulator';
import { Store, Tap, connectOrg, emulatorAdmin, ingestEnv, logCapture, openStore, payloadOf, sleep, startIngest } from '../support/ingest-harness';
import { eventually } from '../support/eventually';
import { uniqueName } from '../support/stack-env';

jest.setTimeout(120_000);

/** The change stream's source: switched by its setting, or by itself when the org refuses Pub/Sub, always keeping its place. */
describe('change stream sources', () => {
  let emulator: SalesforceEmulator;
  let url: string;
  let store: Store;
  let tap: Tap;
  let connectionId: string | null = null;
  let ingest: Awaited<ReturnType<typeof startIngest>>;
  let logs: ReturnType<typeof logCapture>;
  const tenant = uniqueName('tenant');
  const admin = emulatorAdmin(() => url);
  const asRep = (operations: unknown[]) => admin('act-as', { username: 'rep.alex@journy-demo.example', operations });
  const contacts = () => [...emulator.org.all('Contact')].filter((c) => c.Email && !c.IsDeleted);
  const lastName = (c: Command) => (payloadOf(c).body.properties as Record<string, unknown> | undefined)?.last_name;
  const carrying = (name: string, modes = ['LIVE', 'RESYNC']) => tap.commands.filter((c) => modes.includes(c.mode) && payloadOf(c).type === 'UpsertUser' && lastName(c) === name);
  const status = () => ingest.runtime.statuses().find((s) => s.connectionId === connectionId);

  async function waitFor(predicate: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(status())}`);
      await sleep(100);
    }
  }

  /** Renames a contact per name, one write at a time, spread over `spreadMs` (some land while a stream changes hands). */
  async function rename(names: string[], spreadMs = 0): Promise<void> {
    const targets = contacts();
    for (const [i, name] of names.entries()) {
      await asRep([{ op: 'update', object: 'Contact', id: targets[i % targets.length].Id, fields: { LastName: name } }]);
      if (spreadMs) await sleep(spreadMs / names.length);
    }
  }

  async function setSource(changeStream: 'pubsub' | 'cometd' | null): Promise<void> {
    const current = (await store.connections.findById(tenant, connectionId!))!;
    await store.connections.update(tenant, connectionId!, { settings: { ...current.settings, source: { ...current.settings.source, changeStream } } });
  }

  /**
   * Every change reached journy (live, or through the hand-over's re-read), none twice live, and each contact's
   * last command carries what Salesforce holds now: once in effect.
   */
  async function onceInEffect(names: string[]): Promise<void> {
    await tap.until(() => names.every((n) => carrying(n).length >= 1), `a command for each of ${names.join(', ')}`, 40_000);
    await sleep(1500); // a duplicate would arrive right behind
    expect(names.filter((n) => carrying(n, ['LIVE']).length > 1)).toEqual([]);
    for (const contact of contacts()) {
      const last = tap.commands.filter((c) => c.source?.recordId === contact.Id && payloadOf(c).type === 'UpsertUser' && lastName(c) !== undefined).pop();
      if (last) expect([contact.Id, lastName(last)]).toEqual([contact.Id, contact.LastName]);
    }
  }

  beforeAll(async () => {
    emulator = new SalesforceEmulator({ autoApprove: true, bulkProcessingDelayMs: 20, cometdConnectTimeoutMs: 2000, pubsubKeepaliveMs: 1000 });
    url = await emulator.start();
    await admin('generate', { accounts: 3, contacts: 12, randomSeed: 9 });
    store = await openStore();
    tap = await Tap.open(() => connectionId);
    const connection = await connectOrg(emulator, url, store.connections, store.cipher, { tenantId: tenant, settings: { source: { ongoingImport: true } } });
    connectionId = connection.id;
    logs = logCapture();
    ingest = await startIngest(store, ingestEnv(emulator, { INGEST_OWNERSHIP_GROUP: `owners-${tenant}` }), logs.logger);
    await waitFor(() => status()?.state === 'streaming', 'the stream');
  });
  afterAll(async () => {
    await ingest?.stop();
    await tap?.close();
    await store?.close();
    await emulator?.stop();
  });

  it('streams over Pub/Sub by default, on the instance\'s one channel', async () => {
    expect(status()).toMatchObject({ state: 'streaming', source: 'pubsub', fallbackReason: null });
    expect(emulator.pubsub!.streamCount()).toBe(1);
    await rename(['Default One']);
    await onceInEffect(['Default One']);
  });

  it('switching the setting keeps the stream\'s place: nothing lost, nothing applied twice in effect', async () => {
    await setSource('cometd');
    await rename(['Switch A', 'Switch B', 'Switch C', 'Switch D'], 1200); // across the hand-over
    await waitFor(() => status()?.source === 'cometd' && status()?.state === 'streaming', 'the CometD stream');
    await rename(['On CometD']);
    await onceInEffect(['Switch A', 'Switch B', 'Switch C', 'Switch D', 'On CometD']);

    await setSource('pubsub');
    await rename(['Back A', 'Back B', 'Back C'], 1200);
    await waitFor(() => status()?.source === 'pubsub' && status()?.state === 'streaming', 'the Pub/Sub stream again');
    await rename(['On Pub/Sub again']);
    await onceInEffect(['Back A', 'Back B', 'Back C', 'On Pub/Sub again']);
    // The Pub/Sub stream's position is saved within INGEST_OFFSET_FLUSH_MS (5 s) of the events it acknowledged.
    const stored = () => store.offsets.get(tenant, connectionId!, '/data/ChangeEvents');
    await eventually(async () => (await stored())?.source === 'pubsub', 'the Pub/Sub position saved', 15_000, 200);
    expect(await stored()).toMatchObject({ source: 'pubsub', fallbackReason: null });
    // Each move read again only what changed since the last processed commit, then followed the tip.
    expect(logs.lines().filter((l) => l.msg === 'records re-read after missed change events' && /change stream moved to/.test(String(l.reason))).length).toBe(2);
  });

  it('an org without Pub/Sub falls back to CometD by itself, logged and visible, and keeps its place', async () => {
    await setSource(null);
    await admin('pubsub/refuse', { refused: true });
    await rename(['Refused A', 'Refused B'], 600);
    await waitFor(() => status()?.source === 'cometd' && status()?.state === 'streaming', 'the fallback to CometD');
    expect(status()!.fallbackReason).toMatch(/Pub\/Sub refused: PERMISSION_DENIED.*service\.tenant\.license/);
    expect(logs.lines().some((l) => l.msg === 'Pub/Sub refused for this org: streaming over CometD instead')).toBe(true);
    expect(await store.offsets.get(tenant, connectionId!, '/data/ChangeEvents')).toMatchObject({ fallbackReason: expect.stringContaining('Pub/Sub refused') });
    await rename(['Fallen back']);
    await onceInEffect(['Refused A', 'Refused B', 'Fallen back']);
    await admin('pubsub/refuse', { refused: false });
  });
});
