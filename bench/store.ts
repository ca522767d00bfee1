// `npm run bench:store`: the API's store queries at fleet size, on the local store (FerretDB) it runs against.
// Seeds BENCH_STORE_CONNECTIONS connections (1000, one per tenant) and BENCH_STORE_LINES sync-log lines (100,000:
// most of them one big connection's, the rest spread), then times each query the API makes (median of BENCH_STORE_REPEATS, 3), with the
// store's own account of the plan (explain). Then the record links journy-events writes after each batch to
// Salesforce: BENCH_STORE_LINKS imported links (20,000) in one connection, and batches of BENCH_STORE_WRITE_BATCH
// (500) written, each timed with the store's CPU per record. Then the replay leases a journy-events member takes
// when a rebalance detaches its runs: BENCH_STORE_LEASES connections (50,200), one call each beside one call for
// all, on a pool of journy-events' control size (4). Then parked events as a fleet leaves them when many orgs are
// slow: BENCH_STORE_PARKED_CONNECTIONS (50) connections with BENCH_STORE_PARKED_EVENTS (600) events each, stored
// with their events inline (as before 2026-12-04) beside runs apart from their events; one connection's replay
// read (list) and removal (unpark) timed on each. Prints a table and writes bench/results/store.json.
import { createLogger } from '@connector/observability';
import { ConnectionsRepository, ParkedEventsRepository, RecordLinksRepository, ReplayLeasesRepository, SyncLogsRepository, TokenCipher, connectMongo, defaultSettings, type SyncLogEntry, type SyncLogFilter } from '@connector/persistence';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { timeRecordLinkWrites } from './record-link-writes';
import { ROOT, localStorePid, percentile, stackVariable } from './support';

const CONNECTIONS = Number(process.env.BENCH_STORE_CONNECTIONS ?? 1000);
const LINES = Number(process.env.BENCH_STORE_LINES ?? 100_000);
/** The big connection's share of the lines. */
const BIG_SHARE = 0.8;
const REPEATS = Number(process.env.BENCH_STORE_REPEATS ?? 3);
const LINKS = Number(process.env.BENCH_STORE_LINKS ?? 20_000);
const WRITE_BATCH = Number(process.env.BENCH_STORE_WRITE_BATCH ?? 500);
const LEASES = (process.env.BENCH_STORE_LEASES ?? '50,200').split(',').map(Number);
const PARKED_CONNECTIONS = Number(process.env.BENCH_STORE_PARKED_CONNECTIONS ?? 50);
const PARKED_EVENTS = Number(process.env.BENCH_STORE_PARKED_EVENTS ?? 600);
/** journy-events' control pool (JOURNY_EVENTS_CONTROL_POOL_SIZE): where its parking and leases go. */
const CONTROL_POOL_SIZE = 4;

async function main(): Promise<void> {
  const started = Date.now();
  const log = (line: string) => process.stdout.write(`[${Math.round((Date.now() - started) / 1000)} s] ${line}\n`);
  const uri = stackVariable('MONGODB_URI').replace(/\/[^/?]*(\?|$)/, `/bench_store_${Date.now()}$1`);
  const mongo = await connectMongo({ uri, attempts: 5 }, createLogger({ name: 'bench', level: 'silent' }));
  const connections = new ConnectionsRepository(mongo);
  const logs = new SyncLogsRepository(mongo);
  await connections.ensureIndexes();
  await logs.ensureIndexes();
  const cipher = TokenCipher.fromConfig(`bench:${randomBytes(32).toString('base64')}`);
  const results: Record<string, unknown> = { connections: CONNECTIONS, lines: LINES, store: 'the local stack (FerretDB 1.24, SQLite backend)' };
  try {
    // 1. The fleet's connections, one per tenant.
    const ids: { tenantId: string; id: string }[] = [];
    for (let i = 0; i < CONNECTIONS; i += 50) {
      await Promise.all(Array.from({ length: Math.min(50, CONNECTIONS - i) }, async (_, j) => {
        const tenantId = `store-t${i + j}`;
        const id = `con_store${i + j}`;
        await connections.create(tenantId, {
          name: `org ${i + j}`, enabled: true,
          org: { orgId: `00D${String(i + j).padStart(15, '0')}`, instanceUrl: 'https://example.my.salesforce.com', loginUrl: 'https://login.salesforce.com', environment: 'production', integrationUserId: '005000000000001AAA', username: null },
          credentials: { accessToken: cipher.encrypt('token', id), refreshToken: null, issuedAt: new Date(), scope: null },
          settings: defaultSettings(),
        }, id);
        ids.push({ tenantId, id });
      }));
    }
    log(`${CONNECTIONS} connections stored`);

    // 2. The log: most lines one connection's (a big tenant), the rest spread; a week of them, a few percent failed.
    const big = ids[0];
    const now = Date.now();
    const line = (n: number): SyncLogEntry => {
      const owner = n < LINES * BIG_SHARE ? big : ids[1 + (n % (ids.length - 1))];
      const failed = n % 37 === 0;
      const outbound = n % 2 === 0;
      return {
        logId: `l${n}`, tenantId: owner.tenantId, connectionId: owner.id, occurredAt: new Date(now - (LINES - n) * ((7 * 24 * 3600_000) / LINES)),
        direction: outbound ? 'JOURNY_TO_SALESFORCE' : 'SALESFORCE_TO_JOURNY', mode: 'LIVE', objectType: n % 5 === 0 ? 'ACCOUNT' : 'USER', operation: 'UPDATE',
        status: failed ? 'FAILED' : n % 7 === 0 ? 'SKIPPED' : 'SUCCEEDED', reason: failed ? null : n % 7 === 0 ? 'NO_CHANGE' : null, message: null,
        error: failed ? { code: 'STRING_TOO_LONG', message: 'Title: data value too large', fields: ['Title'] } : null,
        journy: { userId: `u${n % 20_000}`, email: `u${n % 20_000}@example.com`, accountId: null, domain: null },
        salesforce: { objectType: 'Contact', recordId: `003${String(n % 20_000).padStart(15, '0')}` },
        fields: [{ name: 'Engagement_Score__c', source: 'engagement_score', value: String(n % 100) }], correlationId: null, attempt: 1, durationMs: 40,
      };
    };
    const seedStart = Date.now();
    for (let n = 0; n < LINES; n += 5000) {
      await logs.insertMany(Array.from({ length: Math.min(5000, LINES - n) }, (_, k) => line(n + k)));
      if ((n / 5000) % 40 === 39) log(`  ${n + 5000} lines stored`);
    }
    results.seedLinesPerSecond = Math.round(LINES / ((Date.now() - seedStart) / 1000));
    log(`${LINES} lines stored (${String(results.seedLinesPerSecond)} lines/s)`);

    // 3. The API's queries, timed.
    const small = ids[ids.length - 1];
    const day = 24 * 3600_000;
    const firstPage = await logs.query(big.tenantId, big.id, {}, 50);
    const cases: [string, () => Promise<unknown>][] = [
      ['connections of a tenant (GET /connections)', () => connections.list(big.tenantId)],
      ['all connection ids (ingest reconcile)', () => connections.listAllIds()],
      ['big connection: newest 50', () => logs.query(big.tenantId, big.id, {}, 50)],
      ['big connection: page 2 by cursor', () => logs.query(big.tenantId, big.id, {}, 50, firstPage.nextCursor!)],
      ['big connection: FAILED, newest 50', () => logs.query(big.tenantId, big.id, { status: 'FAILED' }, 50)],
      ['big connection: journy → Salesforce', () => logs.query(big.tenantId, big.id, { direction: 'JOURNY_TO_SALESFORCE' }, 50)],
      ['big connection: accounts, a day a week ago', () => logs.query(big.tenantId, big.id, { objectType: 'ACCOUNT', from: new Date(now - 7 * day), to: new Date(now - 6 * day) } satisfies SyncLogFilter, 50)],
      ['big connection: one record\'s timeline', () => logs.timeline(big.tenantId, big.id, { kind: 'email', value: 'u42@example.com' })],
      ['small connection: newest 50', () => logs.query(small.tenantId, small.id, {}, 50)],
      ['small connection: one record\'s timeline', () => logs.timeline(small.tenantId, small.id, { kind: 'user', value: 'u999' })],
    ];
    const timings: { query: string; medianMs: number; maxMs: number }[] = [];
    for (const [name, run] of cases) {
      const ms: number[] = [];
      for (let i = 0; i < REPEATS; i++) {
        const t = process.hrtime.bigint();
        await run();
        ms.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
      timings.push({ query: name, medianMs: Number(percentile(ms, 50).toFixed(1)), maxMs: Number(Math.max(...ms).toFixed(1)) });
      log(`  ${name}: ${percentile(ms, 50).toFixed(1)} ms`);
    }
    results.queries = timings;
    // What the store says it does for the commonest one (FerretDB reports what it pushed down to SQLite).
    results.explainNewest = await mongo.db!.collection('sync_logs').find({ tenantId: big.tenantId, connectionId: big.id }).sort({ occurredAt: -1, _id: -1 }).limit(51).explain();

    // 4. Record links: what journy-events stores after a batch written to Salesforce (its echo state).
    const linkTimings = await timeRecordLinkWrites(new RecordLinksRepository(mongo), { links: LINKS, batch: WRITE_BATCH, repeats: REPEATS, storePid: localStorePid() }, log);
    results.recordLinks = { links: LINKS, batch: WRITE_BATCH, cases: linkTimings };

    // 5. Replay leases as a rebalance takes them: one call per detached run (before) beside one for all.
    const control = await connectMongo({ uri, attempts: 5, maxPoolSize: CONTROL_POOL_SIZE }, createLogger({ name: 'bench', level: 'silent' }));
    try {
      results.replayLeases = await timeLeases(new ReplayLeasesRepository(control), log);
    } finally {
      await control.close();
    }
    const leaseTimings = results.replayLeases as Awaited<ReturnType<typeof timeLeases>>;

    // 6. Parked events: one connection's replay among many connections' parked events, both layouts.
    const parkedTimings = await timeParked(mongo, log);
    results.parked = { connections: PARKED_CONNECTIONS, eventsEach: PARKED_EVENTS, cases: parkedTimings };

    mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
    writeFileSync(join(ROOT, 'bench', 'results', 'store.json'), `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(`\n${CONNECTIONS} connections, ${LINES} log lines (${Math.round(BIG_SHARE * 100)} % one connection's), median of ${REPEATS}\n`);
    process.stdout.write(`${timings.map((t) => `${t.query.padEnd(48)} ${String(t.medianMs).padStart(9)} ms  (max ${t.maxMs})`).join('\n')}\n`);
    process.stdout.write(`\nrecord links: batches of ${WRITE_BATCH} on ${LINKS} imported links, median of ${REPEATS}\n`);
    process.stdout.write(`${linkTimings.map((t) => `${t.case.padEnd(48)} ${String(t.medianMs).padStart(9)} ms  (store CPU ${t.storeCpuMsPerRecord ?? '?'} ms/record)`).join('\n')}\n`);
    process.stdout.write(`\nreplay leases on a pool of ${CONTROL_POOL_SIZE}, median of ${REPEATS}: one call per connection / one call for all\n`);
    process.stdout.write(`${leaseTimings.map((t) => `${`${t.connections} connections, ${t.case}`.padEnd(48)} ${String(t.oneByOneMs).padStart(9)} ms / ${t.allAtOnceMs} ms`).join('\n')}\n`);
    process.stdout.write(`\nparked events: ${PARKED_CONNECTIONS} connections × ${PARKED_EVENTS}, one connection's replay, median of ${REPEATS}: inline (before) / runs apart from events\n`);
    process.stdout.write(`${parkedTimings.map((t) => `${t.case.padEnd(48)} ${String(t.inlineMs).padStart(9)} ms / ${t.apartMs} ms`).join('\n')}\n\nwritten to bench/results/store.json\n`);
  } finally {
    await mongo.dropDatabase().catch(() => undefined);
    await mongo.close();
  }
}

/**
 * Times taking the leases of N connections (all free) and renewing them (all the holder's), one `lease` call per
 * connection side by side (how a rebalance's detach took them before) beside one `leaseAll`; released between.
 */
async function timeLeases(parked: ReplayLeasesRepository, log: (line: string) => void): Promise<{ connections: number; case: string; oneByOneMs: number; allAtOnceMs: number }[]> {
  await parked.ensureIndexes();
  const timings: { connections: number; case: string; oneByOneMs: number; allAtOnceMs: number }[] = [];
  const timed = async (work: () => Promise<unknown>) => {
    const t = process.hrtime.bigint();
    await work();
    return Number(process.hrtime.bigint() - t) / 1e6;
  };
  for (const n of LEASES) {
    const refs = Array.from({ length: n }, (_, i) => ({ tenantId: `lease-t${i}`, connectionId: `con_lease${i}` }));
    const release = () => Promise.all(refs.map((r) => parked.releaseLease(r.tenantId, r.connectionId, 'member-a')));
    const oneByOne = () => Promise.all(refs.map((r) => parked.lease(r.tenantId, r.connectionId, 'member-a', 30_000)));
    const allAtOnce = () => parked.leaseAll(refs, 'member-a', 30_000);
    const runs = { take: { one: [] as number[], all: [] as number[] }, renew: { one: [] as number[], all: [] as number[] } };
    for (let round = 0; round < REPEATS; round++) {
      runs.take.one.push(await timed(oneByOne));
      runs.renew.one.push(await timed(oneByOne));
      await release();
      runs.take.all.push(await timed(allAtOnce));
      runs.renew.all.push(await timed(allAtOnce));
      await release();
    }
    for (const [name, r] of Object.entries(runs)) {
      timings.push({ connections: n, case: name === 'take' ? 'taken (all free)' : 'renewed (all its own)', oneByOneMs: Number(percentile(r.one, 50).toFixed(1)), allAtOnceMs: Number(percentile(r.all, 50).toFixed(1)) });
      log(`  ${n} leases ${name}: ${percentile(r.one, 50).toFixed(1)} ms one by one, ${percentile(r.all, 50).toFixed(1)} ms at once`);
    }
  }
  return timings;
}

/**
 * Parks PARKED_EVENTS events (about 800 bytes each, as a profile event is) for each of PARKED_CONNECTIONS
 * connections, in the layout before 2026-12-04 (runs of up to 500 with their events inline, written straight to
 * the collection: the repository still reads and removes that form) and in today's; then, per layout, times one
 * connection's replay read (the first 2000, as a replay round asks) and the removal of what it read (found by
 * connection, as before, beside by the runs' _ids).
 */
async function timeParked(mongo: Awaited<ReturnType<typeof connectMongo>>, log: (line: string) => void): Promise<{ case: string; inlineMs: number; apartMs: number }[]> {
  const parked = new ParkedEventsRepository(mongo);
  await parked.ensureIndexes();
  const payload = JSON.stringify({ padding: 'x'.repeat(700) });
  const eventsOf = (layout: string, c: number) => Array.from({ length: PARKED_EVENTS }, (_, i) => ({ tenantId: `parked-${layout}-t${c}`, connectionId: `con_parked_${layout}_${c}`, partition: c % 6, offset: String(1000 + i), event: payload }));
  const connectionsOf = (layout: string) => Array.from({ length: PARKED_CONNECTIONS }, (_, c) => c).map((c) => eventsOf(layout, c));
  const timed = async (work: () => Promise<unknown>) => {
    const t = process.hrtime.bigint();
    await work();
    return Number(process.hrtime.bigint() - t) / 1e6;
  };
  const runs = mongo.collection('outbound_parked');
  const seed = async (layout: 'inline' | 'apart') => {
    for (const events of connectionsOf(layout)) {
      if (layout === 'apart') await parked.park(events);
      else {
        const docs = [];
        for (let start = 0; start < events.length; start += 500) {
          const part = events.slice(start, start + 500);
          const [{ tenantId, connectionId, partition, offset }] = part;
          docs.push({ _id: `${connectionId}:${partition}:${offset}`, tenantId, connectionId, partition, offset, events: part.map((e) => ({ offset: e.offset, event: e.event })), parkedAt: new Date() });
        }
        await runs.insertMany(docs as never[]);
      }
    }
  };
  const cases = { list: { inline: [] as number[], apart: [] as number[] }, unpark: { inline: [] as number[], apart: [] as number[] } };
  for (const layout of ['inline', 'apart'] as const) {
    await seed(layout);
    for (let round = 0; round < Math.min(REPEATS, PARKED_CONNECTIONS); round++) {
      const [{ tenantId, connectionId }] = eventsOf(layout, round);
      let listed: Awaited<ReturnType<ParkedEventsRepository['list']>> = [];
      cases.list[layout].push(await timed(async () => { listed = await parked.list(tenantId, connectionId, 2000); }));
      // Before, a removal found the runs by connection; today's names them (read by _id).
      const removed = layout === 'inline' ? listed.map((e) => ({ ...e, runIds: undefined })) : listed;
      cases.unpark[layout].push(await timed(() => parked.unpark(removed)));
    }
    await runs.deleteMany({ tenantId: { $regex: `^parked-${layout}-` } });
    await mongo.collection('outbound_parked_events').deleteMany({ tenantId: { $regex: `^parked-${layout}-` } });
    log(`  parked (${layout}): list ${percentile(cases.list[layout], 50).toFixed(1)} ms, unpark ${percentile(cases.unpark[layout], 50).toFixed(1)} ms`);
  }
  return [
    { case: 'replay read of one connection (list 2000)', inlineMs: Number(percentile(cases.list.inline, 50).toFixed(1)), apartMs: Number(percentile(cases.list.apart, 50).toFixed(1)) },
    { case: 'removal of what it read (unpark)', inlineMs: Number(percentile(cases.unpark.inline, 50).toFixed(1)), apartMs: Number(percentile(cases.unpark.apart, 50).toFixed(1)) },
  ];
}

main().catch((error) => {
  process.stderr.write(`bench:store failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
