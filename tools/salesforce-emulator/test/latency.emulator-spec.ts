import { LATEST_VERSION } from '../src';
import { Harness, eventually, startEmulator } from './helpers';

/** The realistic latency profile: calls take as long as a real org's, and long-running requests are limited. */
describe('latency profiles', () => {
  let h: Harness;
  let token: string;

  beforeAll(async () => {
    h = await startEmulator({ latencyProfile: 'realistic', longRunningThresholdMs: 300, maxLongRunningRequests: 1, seed: { generate: { accounts: 3, contacts: 250, randomSeed: 2 } } });
    token = (await h.connect()).accessToken!;
  });
  afterAll(() => h.stop());

  const timed = async (method: string, path: string, body?: unknown) => {
    const started = Date.now();
    const response = await fetch(`${h.url}/services/data/v${LATEST_VERSION}/${path}`, { method, headers: { Authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: response.status, body: await response.json().catch(() => null), ms: Date.now() - started };
  };

  it('answers single calls in a real org’s hundreds of milliseconds, and Collections by their size', async () => {
    const limits = await timed('GET', 'limits');
    expect(limits.ms).toBeGreaterThanOrEqual(110);
    const contacts = [...h.emulator.org.all('Contact')].slice(0, 200);
    const write = await timed('PATCH', 'composite/sobjects', { allOrNone: false, records: contacts.map((c) => ({ attributes: { type: 'Contact' }, id: c.Id, Title: 'Timed' })) });
    expect(write.status).toBe(200);
    expect(write.ms).toBeGreaterThanOrEqual(1150); // 200 ms + 5 ms a record
  });

  it('delivers change events after a delay, in commit order', async () => {
    const [first, second] = [...h.emulator.org.all('Contact')].slice(0, 2);
    const committed = Date.now();
    await h.admin('act-as', { operations: [{ op: 'update', object: 'Contact', id: first.Id, fields: { Title: 'one' } }] });
    await h.admin('act-as', { operations: [{ op: 'update', object: 'Contact', id: second.Id, fields: { Title: 'two' } }] });
    const delivered = () => h.emulator.org.bus.replay('/data/ChangeEvents', -2).filter((e) => ['one', 'two'].includes((e.data.payload as { Title?: string }).Title ?? ''));
    expect(delivered()).toHaveLength(0);
    await eventually(() => delivered().length === 2, 'both events', 5000);
    expect(Date.now() - committed).toBeGreaterThanOrEqual(200);
    expect(delivered().map((e) => ((e.data.payload as { ChangeEventHeader: { recordIds: string[] } }).ChangeEventHeader.recordIds[0]))).toEqual([first.Id, second.Id]);
  });

  it('refuses a request past the concurrent long-running limit with REQUEST_LIMIT_EXCEEDED', async () => {
    await h.admin('faults', { errors: { query: { kind: 'timeout', rate: 1 } } }); // a query that never ends: long-running
    const hanging = fetch(`${h.url}/services/data/v${LATEST_VERSION}/query?q=${encodeURIComponent('SELECT Id FROM Account')}`, { headers: { Authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(3000) }).catch(() => null);
    await new Promise((resolve) => setTimeout(resolve, 400));
    await h.admin('faults', { errors: {} });
    const refused = await timed('GET', 'limits');
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual([{ message: 'ConcurrentPerOrgLongTxn Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }]);
    await hanging;
  });
});
