import { SalesforceEmulator, passwordGrantToken } from '@tools/salesforce-emulator';
import { CdcStream, ChangeEvent, ReplayFrom, SalesforceRestClient, SharedRefreshSession, StreamProblem } from '@connector/salesforce';
import { eventually } from '../support/eventually';


describe('CdcStream against the emulator', () => {
  let emulator: SalesforceEmulator;
  let url: string;
  let session: SharedRefreshSession;
  let rest: SalesforceRestClient;
  const streams: CdcStream[] = [];
  let refreshes = 0;

  const token = () => passwordGrantToken(url);
  const admin = (path: string) => fetch(`${url}/__emulator/${path}`, { method: 'POST' });
  const createContact = (lastName: string) => rest.request('POST', '/sobjects/Contact', { LastName: lastName });

  beforeAll(async () => {
    emulator = new SalesforceEmulator({ cometdConnectTimeoutMs: 1000, cometdClientTimeoutMs: 1500 });
    url = await emulator.start();
    session = new SharedRefreshSession(url, await token(), async () => {
      refreshes++;
      return token();
    });
    rest = new SalesforceRestClient(session, { callOptionsClient: 'journy-connector' });
  });
  afterEach(async () => {
    await Promise.all(streams.splice(0).map((s) => s.stop()));
  });
  afterAll(() => emulator.stop());

  function open(replayFrom: () => ReplayFrom, events: ChangeEvent[], problems: StreamProblem[], onEvent?: (e: ChangeEvent) => Promise<void>): CdcStream {
    const stream = new CdcStream(session, {
      channel: '/data/ContactChangeEvent',
      replayFrom,
      onEvent: onEvent ?? (async (event) => void events.push(event)),
      onProblem: (problem) => problems.push(problem),
      timeoutSeconds: 5,
    });
    streams.push(stream);
    return stream;
  }

  it('delivers change events in order with the header, the origin of our own writes included', async () => {
    const events: ChangeEvent[] = [];
    await open(() => 'LATEST', events, []).start();
    await createContact('One');
    await createContact('Two');
    await eventually(() => events.length >= 2, 'two events');
    expect(events.map((e) => (e.fields.Name as { LastName: string }).LastName)).toEqual(['One', 'Two']);
    expect(events[0].header).toMatchObject({ entityName: 'Contact', changeType: 'CREATE' });
    expect(events[0].header.changeOrigin).toContain('client=journy-connector');
    expect(Number(events[1].replayId)).toBeGreaterThan(Number(events[0].replayId));
  });

  it('loses nothing when the client is dropped: faye re-subscribes from the acknowledged replay id', async () => {
    const events: ChangeEvent[] = [];
    let acknowledged: ReplayFrom = 'LATEST';
    const stream = open(() => acknowledged, events, [], async (event) => {
      events.push(event);
      acknowledged = { replayId: event.replayId };
    });
    await stream.start();
    await createContact('Before drop');
    await eventually(() => events.length >= 1, 'the first event');
    await admin('cometd/drop');
    await createContact('While dropped');
    await eventually(() => events.some((e) => (e.fields.Name as { LastName: string }).LastName === 'While dropped'), 'the event published while dropped', 15_000);
    expect(events.filter((e) => (e.fields.Name as { LastName: string }).LastName === 'While dropped')).toHaveLength(1);
  });

  it('refreshes an expired session once and resumes', async () => {
    const events: ChangeEvent[] = [];
    let acknowledged: ReplayFrom = 'LATEST';
    await open(() => acknowledged, events, [], async (event) => {
      events.push(event);
      acknowledged = { replayId: event.replayId };
    }).start();
    await createContact('Before expiry');
    await eventually(() => events.length >= 1, 'the event before expiry');
    const before = refreshes;
    await admin('sessions/expire');
    await admin('cometd/drop');
    // Published while the stream is re-authenticating: the replay from the acknowledged id brings it.
    await createContact('After refresh');
    await eventually(() => refreshes > before, 'a token refresh', 15_000);
    await eventually(() => events.some((e) => (e.fields.Name as { LastName: string }).LastName === 'After refresh'), 'the event after the refresh', 15_000);
  });

  it('reports an invalid replay id instead of wedging, and stops on a handler failure', async () => {
    const problems: StreamProblem[] = [];
    await expect(open(() => ({ replayId: '987654321' }), [], problems).start()).rejects.toThrow(/replayId \{987654321\}/);
    expect(problems[0]).toMatchObject({ kind: 'replay-invalid', replayId: '987654321' });

    const failing: StreamProblem[] = [];
    const seen: ChangeEvent[] = [];
    await open(() => 'LATEST', seen, failing, async (event) => {
      seen.push(event);
      throw new Error('kafka is down');
    }).start();
    await createContact('Fails');
    await createContact('Not delivered');
    await eventually(() => failing.length >= 1, 'the handler failure');
    expect(failing[0]).toMatchObject({ kind: 'handler-failed' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(seen).toHaveLength(1);
  });
});
