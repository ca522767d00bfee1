import * as grpc from '@grpc/grpc-js';
import * as avro from 'avsc';
import { pubSubPackage } from '../../../libs/salesforce/src/pubsub/service';
import { passwordGrantToken } from '../src';
import { Harness, startEmulator } from './helpers';

/** The Pub/Sub server driven by a bare gRPC client on the service definition: the documented semantics, message by message. */
describe('the Pub/Sub API (gRPC)', () => {
  let h: Harness;
  let client: grpc.Client & Record<string, (...args: unknown[]) => unknown>;
  let token: string;

  const metadata = (accessToken = token) => {
    const m = new grpc.Metadata();
    m.set('accesstoken', accessToken);
    m.set('instanceurl', h.url);
    m.set('tenantid', h.emulator.org.orgId);
    return m;
  };
  const unary = <T>(method: string, request: unknown, m = metadata()) =>
    new Promise<T>((resolve, reject) => client[method](request, m, {}, (error: grpc.ServiceError | null, value: T) => (error ? reject(error) : resolve(value))));
  const asRep = (operations: unknown[]) => h.admin('act-as', { username: 'rep.alex@journy-demo.example', operations });
  const newContact = async (lastName: string, fields: Record<string, unknown> = {}) => ((await asRep([{ op: 'create', object: 'Contact', fields: { LastName: lastName, ...fields } }])) as { results: { id: string }[] }).results[0].id;

  interface Response { events: { event: { id: string; schemaId: string; payload: Buffer }; replayId: Buffer }[]; latestReplayId: Buffer; pendingNumRequested: number; rpcId: string }
  /** A Subscribe call that records what comes back. */
  function subscribe(m = metadata()) {
    const call = client.Subscribe(m) as grpc.ClientDuplexStream<Record<string, unknown>, Response>;
    const responses: Response[] = [];
    let ended: grpc.StatusObject | null = null;
    call.on('data', (r: Response) => responses.push(r));
    call.on('error', () => undefined);
    call.on('status', (status: grpc.StatusObject) => (ended = status));
    return { call, responses, ended: () => ended, events: () => responses.flatMap((r) => r.events) };
  }
  async function until(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
  const replayNumber = (b: Buffer) => Number(b.readBigUInt64BE());

  beforeAll(async () => {
    h = await startEmulator({ pubsubKeepaliveMs: 300, pubsubIdleTimeoutMs: 600 });
    token = await passwordGrantToken(h.url);
    client = new (pubSubPackage().PubSub)(h.emulator.pubsubEndpoint, grpc.credentials.createSsl(Buffer.from(h.emulator.pubsubCertificate!))) as never;
  });
  afterAll(async () => {
    client.close();
    await h.stop();
  });

  it('GetTopic and GetSchema: a multi-entity channel names no schema; errors carry error-code and rpc-id trailers', async () => {
    expect(await unary('GetTopic', { topicName: '/data/ChangeEvents' })).toMatchObject({ topicName: '/data/ChangeEvents', canSubscribe: true, schemaId: '' });
    const contactTopic = await unary<{ schemaId: string }>('GetTopic', { topicName: '/data/ContactChangeEvent' });
    const schema = await unary<{ schemaJson: string; schemaId: string }>('GetSchema', { schemaId: contactTopic.schemaId });
    const fields = (JSON.parse(schema.schemaJson) as { fields: { name: string; doc?: string }[] }).fields;
    expect(fields[0].name).toBe('ChangeEventHeader');
    expect(fields.find((f) => f.name === 'LastModifiedDate')).toMatchObject({ doc: 'Data:DateTime' });
    expect(fields.find((f) => f.name === 'Name')).toBeDefined();

    const missing = await unary('GetTopic', { topicName: '/data/NopeChangeEvent' }).catch((e: grpc.ServiceError) => e);
    expect(missing).toMatchObject({ code: grpc.status.NOT_FOUND, details: expect.stringMatching(/ rpcId: [0-9a-f-]{36}$/) });
    expect((missing as grpc.ServiceError).metadata.get('error-code')).toEqual(['sfdc.platform.eventbus.grpc.topic.not.found']);
    expect((missing as grpc.ServiceError).metadata.get('rpc-id')).toHaveLength(1);
    const blank = await unary('GetSchema', { schemaId: '' }).catch((e: grpc.ServiceError) => e);
    expect(blank).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringContaining("The schema ID can't be blank.") });
    const denied = await unary('GetTopic', { topicName: '/data/ChangeEvents' }, metadata('00D000000000000!bogus')).catch((e: grpc.ServiceError) => e);
    expect(denied).toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    expect((denied as grpc.ServiceError).metadata.get('error-code')).toEqual(['sfdc.platform.eventbus.grpc.service.auth.error']);
  });

  it('Subscribe: preset on the first request only, demand owed across requests and capped at 100, latest id and pending on every response', async () => {
    for (const name of ['P1', 'P2', 'P3']) await newContact(name);
    const s = subscribe();
    s.call.write({ topicName: '/data/ContactChangeEvent', replayPreset: 'EARLIEST', numRequested: 2 });
    await until(() => s.events().length >= 2, 'two events');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(s.events()).toHaveLength(2);
    const first = s.responses[0];
    expect(first.latestReplayId).toHaveLength(8);
    expect(s.responses[s.responses.length - 1].pendingNumRequested).toBe(0);
    expect(replayNumber(s.responses[s.responses.length - 1].latestReplayId)).toBe(replayNumber(s.events()[1].replayId));
    // A later request's preset is ignored: it only adds demand.
    s.call.write({ replayPreset: 'LATEST', numRequested: 150 });
    await until(() => s.events().length >= 3, 'the third event');
    expect(s.responses[s.responses.length - 1].pendingNumRequested).toBe(99); // min(100, 0 + 150) - 1
    await newContact('P4');
    await until(() => s.events().length >= 4, 'a live event');
    expect(s.responses.every((r) => r.pendingNumRequested <= 100)).toBe(true);
    const ids = s.events().map((e) => replayNumber(e.replayId));
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    // A keepalive: no events, the latest replay id, the demand still owed.
    const before = s.responses.length;
    await until(() => s.responses.length > before && s.responses[s.responses.length - 1].events.length === 0, 'a keepalive', 3000);
    expect(replayNumber(s.responses[s.responses.length - 1].latestReplayId)).toBe(ids[ids.length - 1]);
    // Another topic on the same stream is refused.
    s.call.write({ topicName: '/data/AccountChangeEvent', numRequested: 1 });
    await until(() => s.ended() !== null, 'the refusal');
    expect(s.ended()).toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    expect(s.ended()!.metadata.get('error-code')).toEqual(['sfdc.platform.eventbus.grpc.subscription.fetch.topic.mismatch']);
  });

  it('CUSTOM resumes after the given id; an expired or unknown id, or CUSTOM without one, is INVALID_ARGUMENT', async () => {
    const a = subscribe();
    a.call.write({ topicName: '/data/ContactChangeEvent', replayPreset: 'LATEST', numRequested: 10 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await newContact('C1');
    await newContact('C2');
    await until(() => a.events().length >= 2, 'two events');
    a.call.cancel();
    const b = subscribe();
    b.call.write({ topicName: '/data/ContactChangeEvent', replayPreset: 'CUSTOM', replayId: a.events()[0].replayId, numRequested: 10 });
    await until(() => b.events().length >= 1, 'the event after the id');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(b.events().map((e) => replayNumber(e.replayId))).toEqual([replayNumber(a.events()[1].replayId)]);
    b.call.cancel();

    const unknown = Buffer.alloc(8);
    unknown.writeBigUInt64BE(3n);
    const c = subscribe();
    c.call.write({ topicName: '/data/ContactChangeEvent', replayPreset: 'CUSTOM', replayId: unknown, numRequested: 1 });
    await until(() => c.ended() !== null, 'the refusal');
    expect(c.ended()!.metadata.get('error-code')).toEqual(['sfdc.platform.eventbus.grpc.subscription.fetch.replayid.corrupted']);
    const d = subscribe();
    d.call.write({ topicName: '/data/ContactChangeEvent', replayPreset: 'CUSTOM', numRequested: 1 });
    await until(() => d.ended() !== null, 'the refusal');
    expect(d.ended()).toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    expect(d.ended()!.metadata.get('error-code')).toEqual(['sfdc.platform.eventbus.grpc.subscription.fetch.replayid.validation.failed']);
  });

  it('bitmaps as real orgs send them, nulledFields on an update; the idle close with nothing requested', async () => {
    const id = await newContact('Bits', { Phone: '+32 1' });
    const s = subscribe();
    s.call.write({ topicName: '/data/ContactChangeEvent', replayPreset: 'LATEST', numRequested: 1 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await asRep([{ op: 'update', object: 'Contact', id, fields: { LastName: 'Bitten', Title: 'Sr', Phone: null } }]);
    await until(() => s.events().length >= 1, 'the update');
    const { event } = s.events()[0];
    const info = await unary<{ schemaJson: string }>('GetSchema', { schemaId: event.schemaId });
    const decoded = avro.Type.forSchema(JSON.parse(info.schemaJson)).fromBuffer(event.payload) as { ChangeEventHeader: { changedFields: string[]; nulledFields: string[] } };
    for (const element of decoded.ChangeEventHeader.changedFields) expect(element).toMatch(/^(\d+-)?0x([0-9A-F]{2})+$/);
    expect(decoded.ChangeEventHeader.changedFields.some((e) => /^\d+-0x/.test(e))).toBe(true); // Name.LastName
    expect(decoded.ChangeEventHeader.nulledFields).toHaveLength(1);
    // Demand is 0 now: the stream closes once the idle window passes (the 300 ms keepalives do not hold it).
    await until(() => s.ended() !== null, 'the idle close', 3000);
    expect(s.ended()).toMatchObject({ code: grpc.status.OK });
  });

  it('plain text on request', async () => {
    const plain = await startEmulator({ pubsubPlaintext: true });
    try {
      const bare = new (pubSubPackage().PubSub)(plain.emulator.pubsubEndpoint, grpc.credentials.createInsecure()) as never as grpc.Client & Record<string, (...args: unknown[]) => unknown>;
      const m = new grpc.Metadata();
      m.set('accesstoken', await passwordGrantToken(plain.url));
      m.set('instanceurl', plain.url);
      m.set('tenantid', plain.emulator.org.orgId);
      const topic = await new Promise((resolve, reject) => bare.GetTopic({ topicName: '/data/ChangeEvents' }, m, {}, (e: Error | null, v: unknown) => (e ? reject(e) : resolve(v))));
      expect(topic).toMatchObject({ canSubscribe: true });
      bare.close();
    } finally {
      await plain.stop();
    }
  });
});
