import { SalesforceEmulator, passwordGrantToken } from '@tools/salesforce-emulator';
import { ChangeEvent, PubSubChannel, PubSubStream, SharedRefreshSession } from '@connector/salesforce';
import { eventually } from '../support/eventually';

// The de-facto Node client of the Pub/Sub API, written by nobody here (tests only): its own proto, TLS setup,
// flow control, Avro library (avro-js) and bitmap decoder.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const PubSubApiClient = require('salesforce-pubsub-api-client').default as new (config: Record<string, unknown>, logger: unknown) => {
  connect(): Promise<void>;
  subscribe(topic: string, callback: (subscription: unknown, type: string, data: PozilEvent) => void, numRequested?: number): Promise<void>;
  close(): void;
};

interface PozilEvent {
  replayId: number | bigint;
  payload: { ChangeEventHeader: { changeType: string; changedFields: string[]; nulledFields: string[]; recordIds: string[] }; Name?: { LastName?: string } | null };
}

const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };


describe('the emulator\'s Pub/Sub API driven by salesforce-pubsub-api-client', () => {
  let emulator: SalesforceEmulator;
  let url: string;
  let channel: PubSubChannel;
  let stream: PubSubStream;
  let client: InstanceType<typeof PubSubApiClient>;
  const theirs: PozilEvent[] = [];
  const ours: ChangeEvent[] = [];
  const admin = async (path: string, body: unknown) => {
    const response = await fetch(`${url}/__emulator/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return (await response.json()) as { results: { id: string }[] };
  };
  const asRep = (operations: unknown[]) => admin('act-as', { username: 'rep.alex@journy-demo.example', operations });

  beforeAll(async () => {
    emulator = new SalesforceEmulator({ pubsubKeepaliveMs: 1000 });
    url = await emulator.start();
    const token = await passwordGrantToken(url);
    client = new PubSubApiClient({
      authType: 'user-supplied', accessToken: token, instanceUrl: url.replace(/^http:/, 'https:'), organizationId: emulator.org.orgId,
      pubSubEndpoint: emulator.pubsubEndpoint, rejectUnauthorizedSsl: false,
    }, silent);
    await client.connect();
    await client.subscribe('/data/ChangeEvents', (_subscription, type, data) => {
      if (type === 'event') theirs.push(data);
    });
    channel = new PubSubChannel({ endpoint: emulator.pubsubEndpoint, tls: true, rootCertificates: emulator.pubsubCertificate });
    stream = new PubSubStream(channel, new SharedRefreshSession(url, token, () => passwordGrantToken(url)), {
      channel: '/data/ChangeEvents', orgId: emulator.org.orgId, replayFrom: () => 'LATEST', onEvent: async (e) => void ours.push(e), onProblem: () => undefined, establishMs: 300,
    });
    await stream.start();
    await new Promise((resolve) => setTimeout(resolve, 500)); // both subscriptions routed before the first change
  });
  afterAll(async () => {
    await stream?.stop();
    // The emulator ends the streams first: the client's close() leaves its call open with no error listener.
    await emulator?.stop();
    client?.close();
    channel?.close();
  });

  it('decodes the same events, with the same changed and nulled field names, as our client', async () => {
    const account = [...emulator.org.all('Account')][0];
    const created = await asRep([{ op: 'create', object: 'Contact', fields: { FirstName: 'Grace', LastName: 'Hopper', Phone: '+1 555', AccountId: account?.Id ?? null } }]);
    const id = created.results[0].id;
    await asRep([{ op: 'update', object: 'Contact', id, fields: { LastName: 'Murray', Phone: null } }]);
    await asRep([{ op: 'update', object: 'Contact', id, fields: { Title: 'Rear Admiral', Department: 'Navy' } }]);
    await asRep([{ op: 'delete', object: 'Contact', id }]);
    const mine = () => ours.filter((e) => e.header.recordIds.includes(id));
    const yours = () => theirs.filter((e) => e.payload.ChangeEventHeader.recordIds.includes(id));
    await eventually(() => mine().length >= 4 && yours().length >= 4, 'four events on both clients', 15_000);

    const replay = (e: ChangeEvent) => Buffer.from(e.replayId, 'base64').readBigUInt64BE();
    expect(yours().map((e) => BigInt(e.replayId))).toEqual(mine().map(replay));
    expect(yours().map((e) => e.payload.ChangeEventHeader.changeType)).toEqual(['CREATE', 'UPDATE', 'UPDATE', 'DELETE']);
    for (const [index, event] of mine().entries()) {
      const other = yours()[index].payload.ChangeEventHeader;
      expect(event.header.changedFields).toEqual(other.changedFields);
      expect(event.header.nulledFields).toEqual(other.nulledFields);
    }
    expect(mine()[1].header.changedFields).toEqual(expect.arrayContaining(['Name.LastName', 'Phone', 'LastModifiedDate']));
    expect(mine()[1].header.nulledFields).toEqual(['Phone']);
    expect(mine()[2].header.changedFields).toEqual(expect.arrayContaining(['Title', 'Department']));
    expect(yours()[1].payload.Name?.LastName).toBe('Murray');
  });
});
