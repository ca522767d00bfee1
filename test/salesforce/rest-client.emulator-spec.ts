import { SalesforceEmulator, passwordGrantToken } from '@tools/salesforce-emulator';
import { SalesforceRestClient, SharedRefreshSession } from '@connector/salesforce';

describe('SalesforceRestClient against the emulator', () => {
  let emulator: SalesforceEmulator;
  let url: string;

  const passwordToken = () => passwordGrantToken(url);

  beforeAll(async () => {
    emulator = new SalesforceEmulator();
    url = await emulator.start();
  });
  afterAll(() => emulator.stop());

  it('describes objects, tracks API usage and sends Sforce-Call-Options', async () => {
    const usage: number[] = [];
    const client = new SalesforceRestClient(new SharedRefreshSession(url, await passwordToken(), passwordToken), { callOptionsClient: 'journy-connector', onApiUsage: (u) => usage.push(u.used) });
    const describe = await client.describe('Account');
    expect(describe.name).toBe('Account');
    expect(usage).toHaveLength(1);
    await expect(client.describe('Nope')).rejects.toMatchObject({ category: 'integration', code: 'NOT_FOUND' });
  });

  it('refreshes once for all concurrent callers after the session expired, then retries', async () => {
    let refreshes = 0;
    const session = new SharedRefreshSession(url, await passwordToken(), async () => {
      refreshes++;
      return passwordToken();
    });
    const client = new SalesforceRestClient(session, { callOptionsClient: 'journy-connector' });
    await fetch(`${url}/__emulator/sessions/expire`, { method: 'POST' });
    const results = await Promise.all([client.limits(), client.limits(), client.describe('Contact')]);
    expect(results[0].DailyApiRequests.Max).toBeGreaterThan(0);
    expect(refreshes).toBe(1);
  });

  it('maps REQUEST_LIMIT_EXCEEDED and 503 to retryable errors', async () => {
    const client = new SalesforceRestClient(new SharedRefreshSession(url, await passwordToken(), passwordToken), { callOptionsClient: 'journy-connector' });
    await fetch(`${url}/__emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ requestLimitExceeded: true }) });
    await expect(client.limits()).rejects.toMatchObject({ category: 'retryable', code: 'REQUEST_LIMIT_EXCEEDED' });
    await fetch(`${url}/__emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ requestLimitExceeded: false, errors: { rest: { rate: 1, kind: 503 } } }) });
    await expect(client.describe('Account')).rejects.toMatchObject({ category: 'retryable', code: 'SERVER_UNAVAILABLE' });
    await fetch(`${url}/__emulator/faults`, { method: 'DELETE' });
  });
});
