import { SalesforceEmulator, passwordGrantToken } from '@tools/salesforce-emulator';
import { ChangeEvent, PubSubChannel, PubSubStream, ReplayFrom, SalesforceRestClient, SharedRefreshSession, StreamProblem } from '@connector/salesforce';
import { eventually } from '../support/eventually';


describe('PubSubStream against the emulator (TLS)', () => {
  let emulator: SalesforceEmulator;
  let url: string;
  let session: SharedRefreshSession;
  let rest: SalesforceRestClient;
  let channel: PubSubChannel;
  const streams: PubSubStream[] = [];
  let refreshes = 0;

  const token = () => passwordGrantToken(url);
  const admin = (path: string, body: unknown = {}) => fetch(`${url}/__emulator/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const createContact = async (fields: Record<string, unknown>) => ((await rest.request('POST', '/sobjects/Contact', fields)) as { id: string }).id;
  const lastName = (e: ChangeEvent) => (e.fields.Name as { LastName?: string } | undefined)?.LastName;

  beforeAll(async () => {
    emulator = new SalesforceEmulator({ pubsubKeepaliveMs: 400, pubsubIdleTimeoutMs: 1500 });
    url = await emulator.start();
    session = new SharedRefreshSession(url, await token(), async () => {
      refreshes++;
      return token();
    });
    rest = new SalesforceRestClient(session, { callOptionsClient: 'journy-connector' });
    channel = new PubSubChannel({ endpoint: emulator.pubsubEndpoint, tls: true, rootCertificates: emulator.pubsubCertificate });
  });
  afterEach(async () => {
    await Promise.all(streams.splice(0).map((s) => s.stop()));
    await fetch(`${url}/__emulator/faults`, { method: 'DELETE' });
  });
  afterAll(async () => {
    channel.close();
    await emulator.stop();
  });

  function open(replayFrom: () => ReplayFrom, handle: (e: ChangeEvent) => Promise<void>, problems: StreamProblem[] = [], extra: Partial<ConstructorParameters<typeof PubSubStream>[2]> = {}): PubSubStream {
    const stream = new PubSubStream(channel, session, {
      channel: '/data/ChangeEvents', orgId: emulator.org.orgId, replayFrom, onEvent: handle, onProblem: (p) => problems.push(p), establishMs: 300, maxBackoffMs: 500, ...extra,
    });
    streams.push(stream);
    return stream;
  }

  /** A stream that remembers what it handled, resuming from the last one. */
  function following(extra: Partial<ConstructorParameters<typeof PubSubStream>[2]> = {}, problems: StreamProblem[] = []) {
    const events: ChangeEvent[] = [];
    let position: ReplayFrom = 'LATEST';
    const idle: string[] = [];
    const stream = open(() => position, async (event) => {
      events.push(event);
      position = { replayId: event.replayId };
    }, problems, { onIdlePosition: (id) => idle.push(id), ...extra });
    return { stream, events, idle, position: () => position };
  }

  it('decodes events like the CometD stream: bitmaps as names, a cleared field as null, datetimes as ISO text', async () => {
    const { stream, events } = following();
    await stream.start();
    const id = await createContact({ FirstName: 'Ada', LastName: 'Lovelace', Phone: '+32 9', Email: 'ada@example.org' });
    await rest.request('PATCH', `/sobjects/Contact/${id}`, { LastName: 'King', Phone: null });
    await eventually(() => events.length >= 2, 'the create and the update');
    const [created, updated] = events;
    expect(created.header).toMatchObject({ entityName: 'Contact', changeType: 'CREATE', recordIds: [id], changedFields: [] });
    expect(created.header.changeOrigin).toContain('client=journy-connector');
    expect(created.fields).toMatchObject({ Name: { Salutation: null, FirstName: 'Ada', LastName: 'Lovelace' }, Phone: '+32 9', Email: 'ada@example.org' });
    expect(created.fields.CreatedDate).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
    expect(updated.header.changedFields).toEqual(expect.arrayContaining(['Name.LastName', 'Phone', 'LastModifiedDate']));
    expect(updated.header.nulledFields).toEqual(['Phone']);
    expect(updated.fields).toEqual({ Name: { LastName: 'King' }, Phone: null, LastModifiedDate: expect.stringMatching(/Z$/) });
    expect(Buffer.from(updated.replayId, 'base64')).toHaveLength(8);
  });

  it('fetches a new schema when an object gains a field mid-stream', async () => {
    const { stream, events } = following();
    await stream.start();
    await createContact({ LastName: 'Before field' });
    await eventually(() => events.length >= 1, 'the first event');
    const cached = channel.cachedSchemas();
    expect(await admin('fields', { object: 'Contact', field: { name: 'Tier__c', type: 'string', length: 20 } })).toHaveProperty('status', 200);
    await createContact({ LastName: 'After field', Tier__c: 'Gold' });
    await eventually(() => events.length >= 2, 'the event with the new field');
    expect(events[1].fields).toMatchObject({ Tier__c: 'Gold', Name: { LastName: 'After field' } });
    expect(channel.cachedSchemas()).toBe(cached + 1);
  });

  it('a dropped stream is rebuilt from the acknowledged id: nothing lost, nothing twice', async () => {
    const reconnects: string[] = [];
    const { stream, events } = following({ onReconnect: (reason) => reconnects.push(reason) });
    await stream.start();
    await createContact({ LastName: 'Before drop' });
    await eventually(() => events.length >= 1, 'the first event');
    await admin('pubsub/drop');
    await createContact({ LastName: 'While dropped' });
    await admin('pubsub/drop', { status: 'INTERNAL' });
    await createContact({ LastName: 'After second drop' });
    await eventually(() => events.some((e) => lastName(e) === 'After second drop'), 'the events after the drops', 15_000);
    expect(events.map(lastName)).toEqual(['Before drop', 'While dropped', 'After second drop']);
    expect(reconnects.length).toBeGreaterThanOrEqual(1);
  });

  it('an outage: the rebuilds that fail are retried with backoff until the service is back', async () => {
    const reconnects: string[] = [];
    const { stream, events } = following({ onReconnect: (reason) => reconnects.push(reason) });
    await stream.start();
    await createContact({ LastName: 'Before outage' });
    await eventually(() => events.length >= 1, 'the first event');
    await admin('pubsub/drop', { outageMs: 1500 });
    await createContact({ LastName: 'During outage' });
    await eventually(() => events.some((e) => lastName(e) === 'During outage'), 'the event published during the outage', 15_000);
    expect(reconnects.length).toBeGreaterThanOrEqual(3); // the drop, then rebuilds refused while the service was down
    expect(reconnects.some((r) => /service\.unavailable/.test(r))).toBe(true);
  });

  it('events the server sends again after a reconnect are recognised and dropped', async () => {
    const { stream, events } = following();
    await stream.start();
    for (const name of ['Once 1', 'Once 2', 'Once 3']) await createContact({ LastName: name });
    await eventually(() => events.length >= 3, 'three events');
    await admin('pubsub/drop', { redeliver: 2 });
    await createContact({ LastName: 'Once 4' });
    await eventually(() => events.some((e) => lastName(e) === 'Once 4'), 'the event after the reconnect', 15_000);
    expect(events.map(lastName)).toEqual(['Once 1', 'Once 2', 'Once 3', 'Once 4']);
    expect(emulator.primary.pubsubTenant.redeliverOnResume).toBe(0); // the resume did send the two again
  });

  it('an expired session: one refresh, then the stream resumes', async () => {
    const { stream, events } = following();
    await stream.start();
    await createContact({ LastName: 'Before expiry' });
    await eventually(() => events.length >= 1, 'the event before expiry');
    const before = refreshes;
    await admin('sessions/expire');
    await createContact({ LastName: 'After expiry' });
    await eventually(() => events.some((e) => lastName(e) === 'After expiry'), 'the event after the refresh', 15_000);
    expect(refreshes).toBe(before + 1);
  });

  it('reports an expired replay id, and a refused org as unavailable', async () => {
    const problems: StreamProblem[] = [];
    await createContact({ LastName: 'Soon expired' });
    const stale = Buffer.alloc(8);
    stale.writeBigUInt64BE(5n);
    await expect(open(() => ({ replayId: stale.toString('base64') }), async () => undefined, problems).start()).rejects.toThrow(/replayid\.corrupted/);
    expect(problems[0]).toMatchObject({ kind: 'replay-invalid' });

    await admin('pubsub/refuse', { refused: true });
    const refused: StreamProblem[] = [];
    await expect(open(() => 'LATEST', async () => undefined, refused).start()).rejects.toThrow(/PERMISSION_DENIED/);
    expect(refused[0]).toMatchObject({ kind: 'source-unavailable', source: 'pubsub' });
    await admin('pubsub/refuse', { refused: false });
  });

  it('never has more than 100 events outstanding, and keeps demand up while a slow handler works', async () => {
    let handled = 0;
    let maxAhead = 0;
    const reconnects: string[] = [];
    const delivered = () => (emulator.primary.pubsubTenant.stats.delivered);
    const start = delivered();
    await open(() => 'LATEST', async () => {
      maxAhead = Math.max(maxAhead, delivered() - start - handled);
      handled++;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }, [], { onReconnect: (reason) => reconnects.push(reason) }).start();
    await rest.request('POST', '/composite/sobjects', { allOrNone: false, records: Array.from({ length: 200 }, (_, i) => ({ attributes: { type: 'Contact' }, LastName: `Bulk ${i}` })) });
    await rest.request('POST', '/composite/sobjects', { allOrNone: false, records: Array.from({ length: 50 }, (_, i) => ({ attributes: { type: 'Contact' }, LastName: `More ${i}` })) });
    await eventually(() => handled >= 250, '250 events', 20_000);
    expect(maxAhead).toBeLessThanOrEqual(100);
    expect(reconnects).toEqual([]);
  });

  it('asks for one more before the idle close while a handler holds every event it got', async () => {
    const reconnects: string[] = [];
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const events: ChangeEvent[] = [];
    await open(() => 'LATEST', async (e) => {
      events.push(e);
      if (events.length === 1) await held;
    }, [], { batchSize: 2, idleGuardMs: 300, onReconnect: (reason) => reconnects.push(reason) }).start();
    for (const name of ['Held 1', 'Held 2', 'Held 3']) await createContact({ LastName: name });
    await new Promise((resolve) => setTimeout(resolve, 2500)); // past the emulator's 1.5 s idle close
    release();
    await eventually(() => events.length >= 3, 'all three events');
    expect(reconnects).toEqual([]);
  });

  it('keepalives report the position of a caught-up stream; a silent stream is rebuilt', async () => {
    const reconnects: string[] = [];
    const { stream, events, idle } = following({ silenceTimeoutMs: 1200, onReconnect: (reason) => reconnects.push(reason) });
    await stream.start();
    await createContact({ LastName: 'Then quiet' });
    await eventually(() => events.length >= 1 && idle.length >= 1, 'a keepalive after the event');
    expect(Buffer.from(idle[idle.length - 1], 'base64').readBigUInt64BE()).toBeGreaterThanOrEqual(Buffer.from(events[0].replayId, 'base64').readBigUInt64BE());
    await fetch(`${url}/__emulator/config`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pubsubKeepaliveMs: 60_000 }) });
    try {
      await eventually(() => reconnects.some((r) => /no response/.test(r)), 'the silent stream rebuilt', 5000);
    } finally {
      await fetch(`${url}/__emulator/config`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pubsubKeepaliveMs: 400 }) });
    }
    await createContact({ LastName: 'After silence' });
    await eventually(() => events.some((e) => lastName(e) === 'After silence'), 'the event after the rebuild', 10_000);
  });
});
