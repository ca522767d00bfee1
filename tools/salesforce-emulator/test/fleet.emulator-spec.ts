import * as grpc from '@grpc/grpc-js';
import { Connection, OAuth2 } from 'jsforce';
import { StreamingExtension } from 'jsforce/api/streaming';
import { pubSubPackage } from '../../../libs/salesforce/src/pubsub/service';
import { DEFAULT_APP, LATEST_VERSION, passwordGrantToken } from '../src';
import type { FleetOrgView } from '../src';
import { Harness, REDIRECT_URI, eventually, startEmulator } from './helpers';

interface FayeClient {
  subscribe(channel: string, listener: (message: unknown) => void): PromiseLike<unknown>;
  disconnect(): PromiseLike<unknown> | void;
}

/** Many orgs in one emulator: each on its own URL, with its own ids, sessions, data, events, limits and profile. */
describe('the emulator as many orgs', () => {
  let h: Harness;
  let orgs: FleetOrgView[];

  const jsforceOn = async (url: string) => {
    const oauth2 = new OAuth2({ loginUrl: url, clientId: DEFAULT_APP.clientId, clientSecret: DEFAULT_APP.clientSecret, redirectUri: REDIRECT_URI });
    const token = await oauth2.authenticate('integration@journy-demo.example', 'emulator-password');
    return new Connection({ oauth2, instanceUrl: token.instance_url, accessToken: token.access_token, version: LATEST_VERSION });
  };
  const adminOf = async <T>(url: string, path: string, body?: unknown) => {
    const response = await fetch(`${url}/__emulator/${path}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };

  beforeAll(async () => {
    h = await startEmulator({ cometdConnectTimeoutMs: 500 });
    const created = await h.admin<{ orgs: FleetOrgView[]; createdMs: number }>('orgs', { count: 300, prefix: 'acme', generate: { accounts: 5, contacts: 10 } });
    orgs = created.orgs;
  });
  afterAll(() => h.stop());

  it('creates hundreds of orgs on one port, each with its own URL and org id, listed by the admin API', async () => {
    expect(orgs).toHaveLength(300);
    const port = new URL(h.url).port;
    expect(new Set(orgs.map((o) => o.url)).size).toBe(300);
    expect(new Set(orgs.map((o) => o.orgId)).size).toBe(300);
    expect(orgs.every((o) => new URL(o.url).port === port && o.orgId !== h.emulator.org.orgId)).toBe(true);
    const listed = await h.admin<{ orgs: { name: string; api: { used: number } }[] }>('orgs');
    expect(listed.orgs.map((o) => o.name)).toEqual(orgs.map((o) => o.name));
    const bad = await fetch(`${h.url}/__emulator/orgs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ count: 0 }) });
    expect(bad.status).toBe(400);
  });

  it('jsforce logs in to each org on its URL; identity, records and sessions stay in their org', async () => {
    const [a, b] = [orgs[0], orgs[299]];
    const connA = await jsforceOn(a.url);
    const connB = await jsforceOn(b.url);
    expect((await connA.identity()).organization_id).toBe(a.orgId);
    expect((await connB.identity()).organization_id).toBe(b.orgId);
    expect(connA.instanceUrl).toBe(a.url);

    const created = await connA.sobject('Account').create({ Name: 'Only in A' });
    expect(created.success).toBe(true);
    const inA = await connA.query<{ Name: string }>("SELECT Name FROM Account WHERE Name = 'Only in A'");
    const inB = await connB.query<{ Name: string }>("SELECT Name FROM Account WHERE Name = 'Only in A'");
    expect(inA.totalSize).toBe(1);
    expect(inB.totalSize).toBe(0);
    expect((await connB.query('SELECT Id FROM Account')).totalSize).toBe(5);
    const org = await connB.query<{ Id: string; Name: string }>('SELECT Id, Name FROM Organization');
    expect(org.records[0]).toMatchObject({ Id: b.orgId, Name: b.name });

    // A's token is not a session of B's org.
    const crossed = await fetch(`${b.url}/services/data/v${LATEST_VERSION}/sobjects/Account/${created.id}`, { headers: { authorization: `Bearer ${connA.accessToken}` } });
    expect(crossed.status).toBe(401);
    // The demo org on the emulator's own URL is untouched.
    expect(h.emulator.org.get('Account', created.id!)).toBeUndefined();
  });

  it("each org has its own faults, limits and latency profile: one org's trouble is not another's", async () => {
    const [calm, troubled] = [orgs[1], orgs[2]];
    await adminOf(troubled.url, 'faults', { requestLimitExceeded: true });
    await adminOf(troubled.url, 'config', { latencyProfile: 'realistic' });
    const connCalm = await jsforceOn(calm.url);
    const connTroubled = await jsforceOn(troubled.url);
    const started = Date.now();
    await connCalm.query('SELECT Id FROM Contact');
    expect(Date.now() - started).toBeLessThan(100); // fast profile: a call answers at once
    await expect(connTroubled.query('SELECT Id FROM Contact')).rejects.toMatchObject({ errorCode: 'REQUEST_LIMIT_EXCEEDED' });
    const health = await adminOf<{ orgId: string; latencyProfile: string }>(troubled.url, 'health');
    expect(health).toMatchObject({ orgId: troubled.orgId, latencyProfile: 'realistic' });
    const stats = await adminOf<{ api: { used: number } }>(calm.url, 'stats');
    expect(stats.api.used).toBeGreaterThan(0);
    await fetch(`${troubled.url}/__emulator/faults`, { method: 'DELETE' });
  });

  it('CometD (jsforce streaming, faye underneath) on each org URL delivers only that org\u2019s changes', async () => {
    const [a, b] = [orgs[3], orgs[4]];
    const clients: FayeClient[] = [];
    const subscribeOn = async (url: string, into: unknown[]) => {
      const conn = await jsforceOn(url);
      const client = conn.streaming.createClient([new StreamingExtension.Replay('/data/AccountChangeEvent', -1)]) as unknown as FayeClient;
      clients.push(client);
      await client.subscribe('/data/AccountChangeEvent', (m) => void into.push(m));
    };
    const seenA: unknown[] = [];
    const seenB: unknown[] = [];
    await Promise.all([subscribeOn(a.url, seenA), subscribeOn(b.url, seenB)]);
    await adminOf(a.url, 'act-as', { operations: [{ op: 'create', object: 'Account', fields: { Name: 'A change' } }] });
    await eventually(() => seenA.length === 1, 'the change on A');
    await adminOf(b.url, 'act-as', { operations: [{ op: 'create', object: 'Account', fields: { Name: 'B change' } }] });
    await eventually(() => seenB.length === 1, 'the change on B');
    expect(seenA).toHaveLength(1);
    await Promise.all(clients.map((c) => Promise.race([Promise.resolve(c.disconnect()).catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 2000))])));
  });

  it('one Pub/Sub endpoint serves every org: tenantid picks the org, and a session must be that org\u2019s', async () => {
    const [a, b] = [orgs[5], orgs[6]];
    const client = new (pubSubPackage().PubSub)(h.emulator.pubsubEndpoint, grpc.credentials.createSsl(Buffer.from(h.emulator.pubsubCertificate!))) as grpc.Client & Record<string, (...args: unknown[]) => unknown>;
    const metadata = (token: string, orgId: string, url: string) => {
      const m = new grpc.Metadata();
      m.set('accesstoken', token);
      m.set('instanceurl', url);
      m.set('tenantid', orgId);
      return m;
    };
    const tokenA = await passwordGrantToken(a.url);
    const tokenB = await passwordGrantToken(b.url);
    const received: { org: string; count: number }[] = [];
    const open = (token: string, org: FleetOrgView) => {
      const call = client.Subscribe(metadata(token, org.orgId, org.url)) as grpc.ClientDuplexStream<Record<string, unknown>, { events: unknown[] }>;
      call.on('data', (r: { events: unknown[] }) => r.events.length && received.push({ org: org.name, count: r.events.length }));
      call.on('error', () => undefined);
      call.write({ topicName: '/data/ChangeEvents', replayPreset: 'LATEST', numRequested: 10 });
      return call;
    };
    const callA = open(tokenA, a);
    const callB = open(tokenB, b);
    await eventually(() => h.emulator.pubsub!.streamCount() >= 2, 'both streams open');
    await adminOf(a.url, 'act-as', { operations: [{ op: 'create', object: 'Contact', fields: { LastName: 'A' } }] });
    await eventually(() => received.length === 1, 'the event of A');
    expect(received).toEqual([{ org: a.name, count: 1 }]);

    const crossed = await new Promise<grpc.ServiceError | null>((resolve) => client.GetTopic({ topicName: '/data/ChangeEvents' }, metadata(tokenA, b.orgId, b.url), {}, (error: grpc.ServiceError | null) => resolve(error)));
    expect(crossed?.code).toBe(grpc.status.UNAUTHENTICATED);
    // An org's Pub/Sub controls touch its streams only.
    const dropped = await adminOf<{ dropped: number }>(b.url, 'pubsub/drop', {});
    expect(dropped.dropped).toBe(1);
    expect(h.emulator.pubsub!.streamCount()).toBe(1);
    callA.cancel();
    callB.cancel();
    client.close();
  });
});
