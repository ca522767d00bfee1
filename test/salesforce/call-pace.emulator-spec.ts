import { SalesforceEmulator, passwordGrantToken } from '@tools/salesforce-emulator';
import { CallPace, RecordWriter, SalesforceRestClient, SharedRefreshSession } from '@connector/salesforce';

/** A client's writes against an org on the realistic latency profile, paced or not. */
describe('CallPace against an org on the realistic profile', () => {
  let emulator: SalesforceEmulator;
  let url: string;
  const admin = (path: string, body?: unknown) => fetch(`${url}/__emulator/${path}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.json() as Promise<{ api: { peakInFlight: number } }>);
  const client = async (pace?: CallPace) => {
    const token = () => passwordGrantToken(url);
    return new SalesforceRestClient(new SharedRefreshSession(url, await token(), token), { callOptionsClient: 'journy-connector', pace });
  };
  const contacts = () => [...emulator.org.all('Contact')].map((c) => ({ Id: c.Id as string, Title: `t${Math.random()}` }));

  beforeAll(async () => {
    emulator = new SalesforceEmulator();
    url = await emulator.start();
    await admin('generate', { accounts: 10, contacts: 3000, randomSeed: 9 });
    await admin('config', { latencyProfile: 'realistic' });
  });
  afterAll(() => emulator.stop());

  it('widens past the unpaced four calls once the org answers slowly, and stays within its width', async () => {
    const pace = new CallPace();
    const records = contacts();
    expect(records.length).toBeGreaterThanOrEqual(3000);
    const unpaced = new RecordWriter(await client(), { bulkMinRecords: 1_000_000 });
    const peakOf = async () => (await admin('stats')).api.peakInFlight;
    const before = await peakOf();
    await unpaced.update('Contact', records);
    expect(await peakOf()).toBe(Math.max(before, 4));

    const paced = new RecordWriter(await client(pace), { bulkMinRecords: 1_000_000 });
    const results = await paced.update('Contact', records);
    expect(results.every((r) => r.success)).toBe(true);
    // 200 records take ~1.2 s on this profile: a width of 12 at 100 ms between call starts.
    expect(pace.averageMs).toBeGreaterThan(600);
    expect(pace.width).toBeGreaterThan(4);
    const peak = await peakOf();
    expect(peak).toBeGreaterThan(4);
    expect(peak).toBeLessThanOrEqual(pace.width + 1); // +1: the stats call itself
  }, 60_000);
});
