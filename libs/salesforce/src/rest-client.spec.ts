import { CallPace, DEFAULT_CALL_PACE } from './call-pace';
import { SalesforceRestClient } from './rest-client';
import type { SalesforceSession } from './session';

const session: SalesforceSession = { instanceUrl: 'https://org.example', accessToken: () => 'token', refresh: async () => 'token' };

/** A client on a clock the test moves: each HTTP exchange takes `callMs`, the caller's pause `pauseMs`. */
function pacedClient(callMs: number, pauseMs: number) {
  let now = 0;
  let inFlight = 0;
  let peak = 0;
  const pace = new CallPace({ ...DEFAULT_CALL_PACE, min: 1, max: 1, now: () => now });
  const fetchImpl = (async () => {
    inFlight += 1;
    peak = Math.max(peak, inFlight);
    await Promise.resolve();
    now += callMs;
    inFlight -= 1;
    return new Response('{}', { status: 200 });
  }) as typeof fetch;
  let pauses = 0;
  const beforeCall = async () => {
    pauses += 1;
    now += pauseMs;
    await new Promise((resolve) => setImmediate(resolve));
  };
  const client = new SalesforceRestClient(session, { callOptionsClient: 'test', beforeCall, pace }, fetchImpl);
  return { client, pace, peak: () => peak, pauses: () => pauses };
}

describe('SalesforceRestClient within a pace', () => {
  it('times only the HTTP exchange, not the pause before it', async () => {
    const { client, pace } = pacedClient(100, 60_000);
    await client.request('GET', '/limits');
    expect(pace.averageMs).toBe(100);
  });

  it('waits out the pause before taking a slot, so a paused call holds none', async () => {
    const { client, pace, peak, pauses } = pacedClient(100, 5_000);
    await Promise.all([client.request('GET', '/a'), client.request('GET', '/b'), client.requestText('GET', '/c')]);
    expect(pauses()).toBe(3);
    expect(peak()).toBe(1);
    expect(pace.averageMs).toBe(100);
  });
});
