import { createLogger } from '@connector/observability';
import { OutboundLinksRepository, ParkedEventsRepository, RecordLinksRepository, ReplayLeasesRepository, StoreCommand, StreamOffsetsRepository, UPDATES_PER_COMMAND, connectMongo, observeStoreCommands } from '@connector/persistence';
import type { Connection as MongoConnection } from 'mongoose';
import { stackEnv, uniqueName } from '../support/stack-env';

describe('record links and stream offsets (real MongoDB-compatible store)', () => {
  let mongo: MongoConnection;
  let links: RecordLinksRepository;
  let offsets: StreamOffsetsRepository;
  const tenant = uniqueName('tenant');
  const connection = uniqueName('con'); // a connection id belongs to one tenant: unique per run on a long-lived store

  beforeAll(async () => {
    mongo = await connectMongo({ uri: stackEnv().mongodbUri, attempts: 3 }, createLogger({ name: 'links-test', level: 'silent' }));
    links = new RecordLinksRepository(mongo);
    offsets = new StreamOffsetsRepository(mongo);
    await links.ensureIndexes();
    await offsets.ensureIndexes();
  });
  afterAll(() => mongo.close());

  it('links records idempotently, finds them by Salesforce id or journy key, remembers what was written', async () => {
    const input = [
      { kind: 'USER' as const, salesforceObject: 'Contact' as const, salesforceId: '0035g0000000001AAA', journyKey: 'Ann@Example.com', lastRead: { Email: 'ann@example.com', FirstName: 'Ann' } },
      { kind: 'ACCOUNT' as const, salesforceObject: 'Account' as const, salesforceId: '0015g0000000001AAA', journyKey: 'acc-1' },
    ];
    await links.upsertMany(tenant, connection, input);
    await links.upsertMany(tenant, connection, input); // a replayed import
    const bySf = await links.findBySalesforceIds(tenant, connection, ['0035g0000000001AAA', '0015g0000000001AAA', '0035g0000000999AAA']);
    expect(bySf).toHaveLength(2);
    const [user] = await links.findByJournyKeys(tenant, connection, 'USER', ['ANN@example.com']);
    expect(user).toMatchObject({ journyKey: 'ann@example.com', lastRead: { FirstName: 'Ann' }, lastWritten: {}, journyId: null, deleted: false });

    await links.recordWritten(tenant, connection, '0035g0000000001AAA', { Title: 'CTO', Phone: null });
    await links.recordWritten(tenant, connection, '0035g0000000001AAA', { Title: 'CEO' });
    const [written] = await links.findBySalesforceIds(tenant, connection, ['0035g0000000001AAA']);
    expect(written.lastWritten).toEqual({ Title: 'CEO', Phone: null });
    expect(written.lastWrittenAt).not.toBeNull();

    await links.markDeleted(tenant, connection, '0035g0000000001AAA', true);
    expect(await links.findByJournyKeys(tenant, connection, 'USER', ['ann@example.com'])).toEqual([]);
    expect(await links.findBySalesforceIds(uniqueName('other'), connection, ['0015g0000000001AAA'])).toEqual([]);
  });

  it('merges what journy-events wrote field by field without reading, and a full lastWritten replaces it', async () => {
    const contact = (n: number, lastWritten: Record<string, unknown>) => ({ kind: 'USER' as const, salesforceObject: 'Contact' as const, salesforceId: `0035g00000007${n}AAA`, journyKey: `w${n}@x.io`, lastWritten });
    await links.upsertMany(tenant, connection, [{ ...contact(1, {}), lastWritten: undefined, lastRead: { Title: 'Intern' } }]); // imported
    // One batch: an imported record written twice, a record never imported.
    await links.recordWrittenMany(tenant, connection, [contact(1, { Title: 'CTO', Phone: '1' }), contact(2, { Title: 'VP' })]);
    await links.recordWrittenMany(tenant, connection, [contact(1, { Title: 'CEO' }), contact(1, { Title: 'CEO', Department: null }), contact(2, { Phone: '2' })]);
    const byId = async () => new Map((await links.findBySalesforceIds(tenant, connection, ['0035g000000071AAA', '0035g000000072AAA'])).map((l) => [l.salesforceId, l]));
    let found = await byId();
    expect(found.get('0035g000000071AAA')).toMatchObject({ lastWritten: { Title: 'CEO', Phone: '1', Department: null }, lastRead: { Title: 'Intern' }, journyKey: 'w1@x.io' });
    expect(found.get('0035g000000072AAA')).toMatchObject({ lastWritten: { Title: 'VP', Phone: '2' }, journyKey: 'w2@x.io' });
    expect(found.get('0035g000000072AAA')!.lastWrittenAt).not.toBeNull();

    // A re-read forgets a field Salesforce moved away from: the full form replaces the merged fields.
    await links.recordRead(found.get('0035g000000071AAA')!, { Phone: '9' }, undefined, ['Phone']);
    found = await byId();
    expect(found.get('0035g000000071AAA')!.lastWritten).toEqual({ Title: 'CEO', Department: null });
    await links.recordWrittenMany(tenant, connection, [contact(1, { Phone: '3' })]);
    expect((await byId()).get('0035g000000071AAA')!.lastWritten).toEqual({ Title: 'CEO', Department: null, Phone: '3' });

    // Known as linked (matched through its link): straight to the upsert, merged the same way.
    await links.recordWrittenMany(tenant, connection, [{ ...contact(1, { Title: 'Chair' }), linked: true }, { ...contact(2, { Title: 'COO' }), linked: true }]);
    found = await byId();
    expect(found.get('0035g000000071AAA')!.lastWritten).toEqual({ Title: 'Chair', Department: null, Phone: '3' });
    expect(found.get('0035g000000072AAA')!.lastWritten).toEqual({ Title: 'COO', Phone: '2' });

    // An import that brings its own written values replaces them too.
    await links.upsertMany(tenant, connection, [contact(2, { Title: 'Founder' })]);
    expect((await byId()).get('0035g000000072AAA')!.lastWritten).toEqual({ Title: 'Founder' });
    // A name that is not a Salesforce field (a dotted path would write elsewhere) is refused.
    await expect(links.recordWrittenMany(tenant, connection, [contact(1, { 'Title.x': 'no' })])).rejects.toThrow(/not a Salesforce field name/);
  });

  it('merges the written values of many records in commands of several statements, not one command per record', async () => {
    const observed = await connectMongo({ uri: stackEnv().mongodbUri, attempts: 3 }, createLogger({ name: 'links-test', level: 'silent' }));
    const commands: StoreCommand[] = [];
    observeStoreCommands(observed, (command) => commands.push(command));
    try {
      const many = new RecordLinksRepository(observed);
      const count = UPDATES_PER_COMMAND * 2 + 5;
      const contact = (n: number) => ({ kind: 'USER' as const, salesforceObject: 'Contact' as const, salesforceId: `0035g0000009${String(n).padStart(3, '0')}AAA`, journyKey: `m${n}@x.io` });
      await many.upsertMany(tenant, connection, Array.from({ length: count }, (_, n) => ({ ...contact(n), lastRead: { Title: 'Intern' } })));
      commands.splice(0);
      await many.recordWrittenMany(tenant, connection, Array.from({ length: count }, (_, n) => ({ ...contact(n), lastWritten: { Title: `T${n}` }, linked: true })));
      // (mongoose creates its models' collections in the background: a `create` may come at any time)
      expect(commands.filter((c) => c.collection === 'record_link_states' && c.command !== 'create').map((c) => `${c.command} ${c.ok}`)).toEqual(['update true', 'update true', 'update true']);
      const found = await many.findBySalesforceIds(tenant, connection, Array.from({ length: count }, (_, n) => contact(n).salesforceId));
      expect(found).toHaveLength(count);
      expect(found.every((l) => l.lastWritten.Title === `T${Number(l.journyKey.slice(1, -5))}` && l.lastRead.Title === 'Intern')).toBe(true);

      // Another connection's one record does not wait behind the whole of a big batch: the callers take turns.
      const done: string[] = [];
      const big = many.recordWrittenMany(tenant, connection, Array.from({ length: UPDATES_PER_COMMAND * 12 }, (_, n) => ({ ...contact(n), lastWritten: { Title: 'Big' }, linked: true }))).then(() => done.push('big'));
      const small = many.recordWrittenMany(tenant, uniqueName('con'), [{ ...contact(0), lastWritten: { Title: 'Small' }, linked: true }]).then(() => done.push('small'));
      await Promise.all([big, small]);
      expect(done).toEqual(['small', 'big']);

      // The small writes of several connections at once share commands: four callers of two records, two commands.
      commands.splice(0);
      await Promise.all([0, 1, 2, 3].map((c) => many.recordWrittenMany(tenant, `${connection}-${c}`, [0, 1].map((n) => ({ ...contact(n), lastWritten: { Title: 'Shared' }, linked: true })))));
      expect(commands.filter((c) => c.collection === 'record_link_states' && c.command === 'update')).toHaveLength(2);

      // A statement the store refuses fails its own caller only, not the others its command carried.
      const broken = uniqueName('con-broken');
      await observed.collection('record_link_states').insertOne({ _id: `${tenant}:${broken}:${contact(0).salesforceId}` as never, tenantId: tenant, writtenSince: 'not a document', updatedAt: new Date() });
      commands.splice(0);
      // The first call's command goes alone; the two calls made while it runs share the next one.
      const [first, refused, applied] = await Promise.allSettled([
        many.recordWrittenMany(tenant, `${connection}-0`, [{ ...contact(2), lastWritten: { Title: 'First' }, linked: true }]),
        many.recordWrittenMany(tenant, broken, [{ ...contact(0), lastWritten: { Title: 'Refused' }, linked: true }]),
        many.recordWrittenMany(tenant, `${connection}-1`, [{ ...contact(1), lastWritten: { Title: 'Applied' }, linked: true }]),
      ]);
      expect([first.status, refused.status, applied.status]).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(commands.filter((c) => c.collection === 'record_link_states' && c.command === 'update')).toHaveLength(2);
    } finally {
      await observed.close();
    }
  });

  it('reads the links of several connections in one read each, every connection with its own tenant only', async () => {
    const outbound = new OutboundLinksRepository(mongo);
    const parked = new ParkedEventsRepository(mongo);
    await outbound.ensureIndexes();
    await parked.ensureIndexes();
    const [t1, t2] = [uniqueName('tenant-1'), uniqueName('tenant-2')];
    const [c1, c2, quiet] = [uniqueName('con-1'), uniqueName('con-2'), uniqueName('con-quiet')];
    const contact = (n: number) => ({ kind: 'USER' as const, salesforceObject: 'Contact' as const, salesforceId: `0035g00000000${n}AAA`, journyKey: `u${n}@x.io` });
    await links.upsertMany(t1, c1, [contact(11), contact(12)]);
    await links.upsertMany(t2, c2, [contact(21)]);
    await links.upsertMany(t2, c1, [contact(99)]); // another tenant's documents under the same connection id
    const link = (tenantId: string, connectionId: string, entityKey: string) => ({ tenantId, connectionId, kind: 'USER' as const, entityKey, salesforceId: null, segments: null, accountId: null, updatedAt: new Date() });
    await outbound.save([link(t1, c1, 'user-1'), link(t2, c2, 'user-2'), link(t2, c1, 'user-x')]);
    const refs = [{ tenantId: t1, connectionId: c1 }, { tenantId: t2, connectionId: c2 }, { tenantId: t1, connectionId: quiet }];

    const keys = await links.keysOfMany(refs, 100);
    expect(keys && Object.fromEntries([...keys].map(([id, ks]) => [id, ks.map((k) => k.journyKey).sort()]))).toEqual({ [c1]: ['u11@x.io', 'u12@x.io'], [c2]: ['u21@x.io'], [quiet]: [] });
    expect(await links.keysOfMany(refs, 2)).toBeNull(); // more than the limit together: the caller reads them one by one
    const stored = await outbound.listAllOf(refs, 100);
    expect(stored && Object.fromEntries([...stored].map(([id, ls]) => [id, ls.map((l) => `${l.tenantId}/${l.kind}/${l.entityKey}`)]))).toEqual({ [c1]: [`${t1}/USER/user-1`], [c2]: [`${t2}/USER/user-2`], [quiet]: [] });

    await parked.park([{ tenantId: t1, connectionId: c1, partition: 0, offset: '7', event: '{}' }, { tenantId: t1, connectionId: c1, partition: 0, offset: '8', event: '{}' }]);
    expect((await parked.connectionsWithEvents()).filter((c) => c.tenantId === t1)).toEqual([{ tenantId: t1, connectionId: c1 }]);
    // A member replays what is parked in the partitions it holds.
    await parked.park([{ tenantId: t1, connectionId: quiet, partition: 3, offset: '2', event: '{}' }]);
    expect((await parked.connectionsWithEvents([3])).filter((c) => c.tenantId === t1)).toEqual([{ tenantId: t1, connectionId: quiet }]);
    expect((await parked.connectionsWithEvents([1, 2])).filter((c) => c.tenantId === t1)).toEqual([]);
    expect((await parked.list(t1, c1, 10, [0, 3])).map((e) => e.offset)).toEqual(['7', '8']);
    expect(await parked.list(t1, c1, 10, [3])).toEqual([]);
  });

  it('parks a flush of events as one document per partition run, lists them in order once, and unparks what was applied', async () => {
    const parked = new ParkedEventsRepository(mongo);
    await parked.ensureIndexes();
    const [t, c] = [uniqueName('tenant-runs'), uniqueName('con-runs')];
    const event = (partition: number, offset: number) => ({ tenantId: t, connectionId: c, partition, offset: String(offset), event: `{"n":${partition * 10_000 + offset}}` });
    const flush = [...Array.from({ length: 1200 }, (_, i) => event(0, 1000 + i)), event(1, 5), event(1, 3)];
    const collection = mongo.collection('outbound_parked');
    await parked.park(flush);
    expect(await collection.countDocuments({ tenantId: t })).toBe(4); // 500 + 500 + 200 of partition 0, one run of partition 1
    await parked.park(flush.slice(0, 500)); // the same batch parked again (consumed again after a crash)
    expect(await collection.countDocuments({ tenantId: t })).toBe(4);
    await parked.park([event(0, 1100), event(0, 1101)]); // overlapping a run already parked: listed once
    const listed = await parked.list(t, c, 5000);
    expect(listed).toHaveLength(1202);
    expect(listed.slice(0, 2).map((e) => e.offset)).toEqual(['1000', '1001']);
    expect(listed.filter((e) => e.partition === 1).map((e) => e.offset)).toEqual(['3', '5']);
    expect(await parked.list(uniqueName('tenant-other'), c, 10)).toEqual([]);
    expect(await mongo.collection('outbound_parked_events').countDocuments({ tenantId: t })).toBe(5); // each run's events apart from it
    // Events parked by earlier versions, inline: one document per event, and runs with their events; read and removed the same way.
    await collection.insertOne({ _id: `${c}:2:9` as never, tenantId: t, connectionId: c, partition: 2, offset: '9', event: '{"old":true}', parkedAt: new Date(Date.now() + 1000) });
    await collection.insertOne({ _id: `${c}:3:1` as never, tenantId: t, connectionId: c, partition: 3, offset: '1', events: [{ offset: '1', event: '{"inline":1}' }, { offset: '2', event: '{"inline":2}' }], parkedAt: new Date(Date.now() + 2000) });
    const withOld = await parked.list(t, c, 5000);
    expect(withOld.slice(-3)).toMatchObject([{ partition: 2, offset: '9', event: '{"old":true}' }, { partition: 3, offset: '1', event: '{"inline":1}' }, { partition: 3, offset: '2' }]);
    await parked.unpark(withOld.slice(-2, -1)); // one of the inline run's two
    expect((await parked.list(t, c, 5000)).slice(-2).map((e) => `${e.partition}:${e.offset}`)).toEqual(['2:9', '3:2']);
    // The first events of a long backlog are read without reading every run's events.
    expect((await parked.list(t, c, 600)).map((e) => e.offset).slice(0, 1)).toEqual(['1000']);
    expect(await parked.list(t, c, 600)).toHaveLength(600);

    await parked.unpark(listed.slice(0, 700)); // the first run whole, 200 of the second
    const left = await parked.list(t, c, 5000);
    expect(left).toHaveLength(1202 - 700 + 2);
    expect(left[0].offset).toBe('1700');
    expect(left.every((e) => e.runIds!.length > 0)).toBe(true); // the documents holding each, to unpark it by _id
    await parked.unpark([event(1, 3)]); // as a detached run unparks what it parked: found by connection
    expect((await parked.list(t, c, 5000)).filter((e) => e.partition === 1).map((e) => e.offset)).toEqual(['5']);
    await parked.unpark(await parked.list(t, c, 5000));
    expect(await parked.list(t, c, 5000)).toEqual([]);
    expect(await collection.countDocuments({ tenantId: t })).toBe(0);
    expect(await mongo.collection('outbound_parked_events').countDocuments({ tenantId: t })).toBe(0);
  });

  it('grants the replay lease of a connection to one member at a time, renews it for its holder, and lets a lapsed one go', async () => {
    const parked = new ReplayLeasesRepository(mongo);
    await parked.ensureIndexes();
    const [t, c] = [uniqueName('tenant-lease'), uniqueName('con-lease')];
    const at = (ms: number) => new Date(Date.UTC(2026, 11, 3, 12, 0, 0, ms));
    expect(await parked.lease(t, c, 'member-a', 30_000, at(0))).toBe(true);
    expect(await parked.lease(t, c, 'member-b', 30_000, at(1000))).toBe(false);
    expect(await parked.lease(uniqueName('tenant-other'), c, 'member-b', 30_000, at(1000))).toBe(true); // another tenant's connection
    expect(await parked.lease(t, c, 'member-a', 30_000, at(20_000))).toBe(true); // renewed: until 50 s
    expect(await parked.lease(t, c, 'member-b', 30_000, at(40_000))).toBe(false);
    expect(await parked.lease(t, c, 'member-b', 30_000, at(50_001))).toBe(true); // member-a died: its lease ran out
    await parked.releaseLease(t, c, 'member-a'); // not its own any more: nothing happens
    expect(await parked.lease(t, c, 'member-a', 30_000, at(60_000))).toBe(false);
    await parked.releaseLease(t, c, 'member-b');
    expect(await parked.lease(t, c, 'member-a', 30_000, at(60_000))).toBe(true);
  });

  it('grants many replay leases in one call: the free, the own and the lapsed ones, not those another member holds', async () => {
    const parked = new ReplayLeasesRepository(mongo);
    await parked.ensureIndexes();
    const t = uniqueName('tenant-leases');
    const [free, own, lapsed, theirs] = ['free', 'own', 'lapsed', 'theirs'].map((n) => ({ tenantId: t, connectionId: uniqueName(`con-${n}`) }));
    const at = (ms: number) => new Date(Date.UTC(2026, 11, 4, 12, 0, 0, ms));
    expect(await parked.leaseAll([own, lapsed], 'member-a', 30_000, at(0))).toEqual([true, true]);
    expect(await parked.lease(lapsed.tenantId, lapsed.connectionId, 'member-b', 1000, at(40_000))).toBe(true); // a's lapsed; b takes it for 1 s
    expect(await parked.lease(theirs.tenantId, theirs.connectionId, 'member-b', 30_000, at(40_000))).toBe(true);
    // At 45 s: own is a's (run out, but nobody took it), lapsed is b's run out, theirs is b's.
    expect(await parked.leaseAll([free, own, lapsed, theirs, free], 'member-a', 30_000, at(45_000))).toEqual([true, true, true, false, true]);
    expect(await parked.leaseAll([own, lapsed, theirs], 'member-b', 30_000, at(50_000))).toEqual([false, false, true]); // a renewed them until 75 s
    expect(await parked.leaseAll([], 'member-a', 30_000)).toEqual([]);
    // Renewing extends only the holder's own: never one released meanwhile, nor one another member holds.
    await parked.releaseLease(free.tenantId, free.connectionId, 'member-a');
    expect(await parked.renewAll([own, free, theirs, own], 'member-a', 30_000, at(70_000))).toEqual([true, false, false, true]);
    expect(await parked.lease(free.tenantId, free.connectionId, 'member-b', 30_000, at(71_000))).toBe(true); // the renewal did not take it again
    expect(await parked.lease(own.tenantId, own.connectionId, 'member-b', 30_000, at(99_000))).toBe(false); // renewed until 100 s
  });

  it('moves a CometD offset only forwards, per connection and channel, resets it to a preset, and takes a Pub/Sub id as it comes', async () => {
    const channel = '/data/ContactChangeEvent';
    const commit = (commitTimestamp: number) => ({ commitTimestamp, commitNumber: commitTimestamp * 10, sequenceNumber: 1 });
    expect(await offsets.get(tenant, connection, channel)).toBeNull();
    expect(await offsets.advance(tenant, connection, channel, 'cometd', '1005', commit(1000))).toBe(true);
    expect(await offsets.advance(tenant, connection, channel, 'cometd', '1003', commit(900))).toBe(false);
    expect(await offsets.advance(tenant, connection, channel, 'cometd', '1009', commit(1100))).toBe(true);
    expect(await offsets.get(tenant, connection, channel)).toMatchObject({ source: 'cometd', replayId: '1009', preset: null, commitTimestamp: 1100, commitNumber: 11000, channel, connectionId: connection });
    expect(await offsets.get(uniqueName('other'), connection, channel)).toBeNull();
    await offsets.reset(tenant, connection, channel, 1100);
    expect(await offsets.get(tenant, connection, channel)).toMatchObject({ source: null, replayId: null, preset: 'LATEST', commitTimestamp: 1100, commitNumber: null });
    expect(await offsets.advance(tenant, connection, channel, 'cometd', '1200', commit(1300))).toBe(true);
    // A Pub/Sub id replaces the CometD one; a keepalive's position keeps the last processed commit.
    const bytes = Buffer.from([0, 0, 0, 0, 0, 0, 4, 210]).toString('base64');
    expect(await offsets.advance(tenant, connection, channel, 'pubsub', bytes, commit(1400))).toBe(true);
    expect(await offsets.advance(tenant, connection, channel, 'pubsub', 'AAAAAAAABNM=')).toBe(true);
    expect(await offsets.get(tenant, connection, channel)).toMatchObject({ source: 'pubsub', replayId: 'AAAAAAAABNM=', commitTimestamp: 1400, commitNumber: 14000 });
    await offsets.setFallback(tenant, connection, channel, 'Pub/Sub refused');
    expect(await offsets.forConnection(tenant, connection)).toEqual([expect.objectContaining({ channel, fallbackReason: 'Pub/Sub refused' })]);
    expect(await offsets.deleteForConnection(tenant, connection)).toBe(1);
  });
});
