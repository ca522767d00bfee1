import type { Connection } from 'jsforce';
import { StreamingExtension } from 'jsforce/api/streaming';
import { LATEST_VERSION } from '../src';
import { Harness, eventually, startEmulator } from './helpers';

// faye has no type declarations of its own.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Faye = require('faye') as { Client: new (url: string, options?: Record<string, unknown>) => FayeClient };

interface FayeClient {
  setHeader(name: string, value: string): void;
  addExtension(extension: unknown): void;
  subscribe(channel: string, listener: (message: ChangeMessage) => void): PromiseLike<unknown> & { cancel(): void };
  disconnect(): PromiseLike<unknown> | void;
  on(event: string, listener: () => void): void;
}

interface ChangeMessage {
  schema: string;
  payload: { ChangeEventHeader: Record<string, unknown>; [field: string]: unknown };
  event: { replayId: number };
}

type Row = Record<string, unknown>;

describe('Streaming API and Change Data Capture', () => {
  let h: Harness;
  let conn: Connection;
  const clients: FayeClient[] = [];

  beforeAll(async () => {
    h = await startEmulator({ cometdConnectTimeoutMs: 1500, cometdClientTimeoutMs: 1000, seed: { generate: { accounts: 3, contacts: 6, randomSeed: 5 } } });
    conn = await h.connect({ callOptions: { client: 'journy-connector' } });
  });
  // Wait for each disconnect's reply: faye keeps a retry timer for an unanswered /meta/disconnect.
  afterEach(async () => {
    const settle = (c: FayeClient) => Promise.race([Promise.resolve(c.disconnect()).then(() => undefined, () => undefined), new Promise((resolve) => setTimeout(resolve, 2000))]);
    await Promise.all(clients.splice(0).map(settle));
  });
  afterAll(() => h.stop());

  /** jsforce's streaming client (faye underneath, long-polling, OAuth header) with the replay extension. */
  function subscribe(channel: string, replayId: number, received: ChangeMessage[], extra: unknown[] = []): PromiseLike<unknown> {
    const client = conn.streaming.createClient([new StreamingExtension.Replay(channel, replayId), ...extra]) as unknown as FayeClient;
    clients.push(client);
    return client.subscribe(channel, (message) => received.push(message));
  }

  /** A raw Bayeux exchange, for the protocol's edge cases. */
  async function bayeux(messages: Row[], options: { cookie?: string; token?: string } = {}): Promise<{ status: number; body: Row[]; cookie: string | null }> {
    const response = await fetch(`${h.url}/cometd/${LATEST_VERSION}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        Authorization: `OAuth ${options.token ?? conn.accessToken}`,
        ...(options.cookie ? { cookie: options.cookie } : {}),
      },
      body: JSON.stringify(messages),
    });
    return { status: response.status, body: (await response.json()) as Row[], cookie: response.headers.get('set-cookie') };
  }

  it('delivers CREATE, UPDATE and DELETE change events with the header, origin and body rules', async () => {
    const received: ChangeMessage[] = [];
    await subscribe('/data/ContactChangeEvent', -1, received);

    const created = await conn.sobject('Contact').create({ FirstName: 'Ann', LastName: 'Lee', Email: 'ann.lee@example.com' });
    await eventually(() => received.length >= 1, 'the CREATE event');
    const create = received[0].payload;
    expect(create.ChangeEventHeader).toMatchObject({
      entityName: 'Contact', recordIds: [created.id], changeType: 'CREATE', changedFields: [], commitUser: h.emulator.integrationUserId, sequenceNumber: 1,
      changeOrigin: `com/salesforce/api/rest/${LATEST_VERSION};client=journy-connector`,
    });
    expect(create.ChangeEventHeader.transactionKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(create.Name).toEqual({ Salutation: null, FirstName: 'Ann', LastName: 'Lee' });
    expect(create.Email).toBe('ann.lee@example.com');
    expect(create.CreatedDate).toMatch(/Z$/);
    expect(create).not.toHaveProperty('Phone');

    await conn.sobject('Contact').update({ Id: created.id!, LastName: 'Li', Title: 'CTO', Email: null });
    await eventually(() => received.length >= 2, 'the UPDATE event');
    const update = received[1].payload;
    expect(update.ChangeEventHeader).toMatchObject({ changeType: 'UPDATE', recordIds: [created.id] });
    expect((update.ChangeEventHeader.changedFields as string[]).sort()).toEqual(['Email', 'LastModifiedDate', 'Name.LastName', 'Title'].sort());
    expect(update.Name).toEqual({ LastName: 'Li' });
    expect(update.Title).toBe('CTO');
    expect(update.Email).toBeNull();
    expect(update).not.toHaveProperty('FirstName');
    expect(update).not.toHaveProperty('SystemModstamp');
    expect(received[1].event.replayId).toBeGreaterThan(received[0].event.replayId);

    await conn.sobject('Contact').destroy(created.id!);
    await eventually(() => received.length >= 3, 'the DELETE event');
    expect(received[2].payload.ChangeEventHeader).toMatchObject({ changeType: 'DELETE', recordIds: [created.id] });
    expect(Object.keys(received[2].payload)).toEqual(['ChangeEventHeader']);
  });

  it('publishes every write path: collections (merged identical changes), composite, Bulk, and a sales rep in the UI', async () => {
    const all: ChangeMessage[] = [];
    await subscribe('/data/ChangeEvents', -1, all);
    const [a, b] = await conn.sobject('Account').create([{ Name: 'Merge A' }, { Name: 'Merge B' }]);
    await conn.sobject('Account').update([{ Id: a.id!, Industry: 'Media' }, { Id: b.id!, Industry: 'Media' }]);
    await eventually(() => all.filter((m) => m.payload.ChangeEventHeader.changeType === 'UPDATE').length >= 1, 'the merged UPDATE');
    const merged = all.find((m) => m.payload.ChangeEventHeader.changeType === 'UPDATE')!;
    expect((merged.payload.ChangeEventHeader.recordIds as string[]).sort()).toEqual([a.id, b.id].sort());

    conn.bulk2.pollInterval = 20;
    await conn.bulk2.loadAndWaitForResults({ object: 'Account', operation: 'insert', input: 'Name\nFrom Bulk\n' });
    await eventually(() => all.some((m) => m.payload.Name === 'From Bulk'), 'the Bulk CREATE');
    expect(all.find((m) => m.payload.Name === 'From Bulk')!.payload.ChangeEventHeader.changeOrigin).toBe(`com/salesforce/api/bulkapi/${LATEST_VERSION};client=journy-connector`);

    await h.admin('act-as', { username: 'rep.alex@journy-demo.example', operations: [{ op: 'update', object: 'Account', id: a.id, fields: { Name: 'Edited by Alex' } }] });
    await eventually(() => all.some((m) => m.payload.Name === 'Edited by Alex'), 'the rep edit');
    const edit = all.find((m) => m.payload.Name === 'Edited by Alex')!.payload;
    expect(edit.ChangeEventHeader).toMatchObject({ changeOrigin: `com/salesforce/api/soap/${LATEST_VERSION};client=SfdcInternalAPI/`, commitUser: h.emulator.userId('rep.alex@journy-demo.example') });
    expect(edit.LastModifiedById).toBe(h.emulator.userId('rep.alex@journy-demo.example'));
  });

  it('replays after a stored replay id, from the start with -2, and refuses an unknown or expired one', async () => {
    const first: ChangeMessage[] = [];
    await subscribe('/data/AccountChangeEvent', -1, first);
    await conn.sobject('Account').create([{ Name: 'R1' }]);
    await conn.sobject('Account').create([{ Name: 'R2' }]);
    await conn.sobject('Account').create([{ Name: 'R3' }]);
    await eventually(() => first.length >= 3, 'three events');
    const afterFirst: ChangeMessage[] = [];
    await subscribe('/data/AccountChangeEvent', first[0].event.replayId, afterFirst);
    await eventually(() => afterFirst.length >= 2, 'the replayed events');
    expect(afterFirst.map((m) => m.payload.Name)).toEqual(['R2', 'R3']);
    const everything: ChangeMessage[] = [];
    await subscribe('/data/AccountChangeEvent', -2, everything);
    await eventually(() => everything.length >= 3, 'all retained events');

    const subscribeRaw = async (replay: number) => {
      const handshake = await bayeux([{ channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'], id: '1' }]);
      const clientId = handshake.body[0].clientId as string;
      const cookie = handshake.cookie!.split(';')[0];
      return (await bayeux([{ channel: '/meta/subscribe', clientId, subscription: '/data/AccountChangeEvent', id: '2', ext: { replay: { '/data/AccountChangeEvent': replay } } }], { cookie })).body[0];
    };
    const unknown = await subscribeRaw(999_999_999);
    expect(unknown).toMatchObject({ successful: false, error: '400::The replayId {999999999} you provided was invalid.  Please provide a valid ID, -2 to replay all events, or -1 to replay only new events.' });
    await h.admin('replay/expire', {});
    const expired = await subscribeRaw(first[2].event.replayId);
    expect(expired.error).toBe(`400::The replayId {${first[2].event.replayId}} you provided was invalid.  Please provide a valid ID, -2 to replay all events, or -1 to replay only new events.`);
  });

  it('speaks Bayeux as Salesforce does: long-polling only, BAYEUX_BROWSER cookie, advice, held connects, unknown clients', async () => {
    const handshake = await bayeux([{ channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling', 'websocket'], id: '1' }]);
    expect(handshake.body[0]).toMatchObject({ channel: '/meta/handshake', id: '1', successful: true, version: '1.0', supportedConnectionTypes: ['long-polling'], ext: { replay: true, 'payload.format': true } });
    expect(handshake.body[0].clientId).toMatch(/^[0-9a-z]{31}$/);
    expect(handshake.cookie).toMatch(/^BAYEUX_BROWSER=[^;]+; Path=\/; HttpOnly/);
    const clientId = handshake.body[0].clientId as string;
    const cookie = handshake.cookie!.split(';')[0];

    const noCookie = await bayeux([{ channel: '/meta/connect', clientId, connectionType: 'long-polling', id: '2' }]);
    expect(noCookie.body[0].error).toBe(`400::Client ${clientId} has established a session, but no BAYEUX_BROWSER cookie present`);

    // The first connect after a handshake is answered at once, with the advice (as CometD servers do)…
    let started = Date.now();
    const first = await bayeux([{ channel: '/meta/connect', clientId, connectionType: 'long-polling', id: '3' }], { cookie });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(first.body[0]).toEqual({ clientId, channel: '/meta/connect', id: '3', successful: true, advice: { interval: 0, timeout: 1500, reconnect: 'retry' } });
    // …the next ones are held for the advised timeout when nothing happens.
    started = Date.now();
    const held = await bayeux([{ channel: '/meta/connect', clientId, connectionType: 'long-polling', id: '3b' }], { cookie });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
    expect(held.body[0]).toEqual({ clientId, channel: '/meta/connect', id: '3b', successful: true });

    const missing = await bayeux([{ channel: '/meta/subscribe', clientId, subscription: '/topic/Nope', id: '4' }], { cookie });
    expect(missing.body[0].error).toBe('400::The channel you requested to subscribe to does not exist {/topic/Nope}');

    // A client that stops polling is forgotten: 403::Unknown client, and the advice to handshake again.
    await new Promise((resolve) => setTimeout(resolve, 1600));
    const gone = await bayeux([{ channel: '/meta/connect', clientId, connectionType: 'long-polling', id: '5' }], { cookie });
    expect(gone.body[0]).toMatchObject({ channel: '/meta/connect', id: '5', successful: false, error: '403::Unknown client', advice: { interval: 0, reconnect: 'handshake' } });

    const unauthenticated = await bayeux([{ channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'], id: '6' }], { token: 'not-a-token' });
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.body[0]).toMatchObject({ channel: '/meta/handshake', successful: false, error: '403::Handshake denied', advice: { reconnect: 'none' }, ext: { sfdc: { failureReason: '401::Authentication invalid' } } });
  });

  it('recovers through faye: a dropped client re-handshakes and re-subscribes; an expired session fires AuthFailure', async () => {
    const received: ChangeMessage[] = [];
    await subscribe('/data/ContactChangeEvent', -1, received);
    await h.admin('cometd/drop', {});
    await new Promise((resolve) => setTimeout(resolve, 300));
    await eventually(() => h.emulator.cometd.clientCount() >= 1, 'faye to handshake again', 8000);
    await conn.sobject('Contact').create({ LastName: 'After drop' });
    await eventually(() => received.some((m) => m.payload.Name && (m.payload.Name as Row).LastName === 'After drop'), 'the event after re-handshake', 8000);

    let authFailed = false;
    const other: ChangeMessage[] = [];
    await subscribe('/data/AccountChangeEvent', -1, other, [new StreamingExtension.AuthFailure(() => (authFailed = true))]);
    await h.admin('sessions/expire', {});
    await h.admin('cometd/drop', {});
    await eventually(() => authFailed, 'the AuthFailure extension to fire', 8000);
    // The password-grant session has no refresh token: log in again for the tests that follow.
    conn = await h.connect({ callOptions: { client: 'journy-connector' } });
  });

  it('publishes GAP and GAP_OVERFLOW events (header only, empty origin) on request', async () => {
    const received: ChangeMessage[] = [];
    await subscribe('/data/ContactChangeEvent', -1, received);
    await h.admin('gap', { entity: 'Contact', changeType: 'GAP_UPDATE', recordIds: ['0035g0000000001AAA'] });
    await h.admin('gap', { entity: 'Contact', changeType: 'GAP_OVERFLOW' });
    await eventually(() => received.length >= 2, 'the gap events');
    expect(received[0].payload.ChangeEventHeader).toMatchObject({ changeType: 'GAP_UPDATE', recordIds: ['0035g0000000001AAA'], changeOrigin: '' });
    expect(received[1].payload.ChangeEventHeader).toMatchObject({ changeType: 'GAP_OVERFLOW', recordIds: ['000000000000000AAA'] });
    expect(Object.keys(received[1].payload)).toEqual(['ChangeEventHeader']);
  });

  it('works with a plain faye client too', async () => {
    const client = new Faye.Client(`${h.url}/cometd/${LATEST_VERSION}`, { timeout: 5 });
    client.setHeader('Authorization', `OAuth ${conn.accessToken}`);
    clients.push(client);
    const received: ChangeMessage[] = [];
    await client.subscribe('/data/AccountChangeEvent', (message) => received.push(message));
    await conn.sobject('Account').create({ Name: 'Seen by faye' });
    await eventually(() => received.some((m) => m.payload.Name === 'Seen by faye'), 'the faye delivery');
  });
});
