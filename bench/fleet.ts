// `npm run bench:fleet`: a fleet of connected orgs on two ingest instances and one (then two) journy-events
// instances, against one emulator hosting every org on the realistic latency profile. Live changes both ways at a
// total rate; memory and CPU per instance and per connection; p50 / p99 both ways; one big org's outbound rate
// beside a naive per-record writer and the best peer figure; three misbehaving orgs beside the others; a
// journy-events instance added under load; one ingest instance killed. Prints a table and writes
// bench/results/fleet.json. Sizes: BENCH_FLEET_ORGS (200), BENCH_FLEET_RATE_IN / _OUT (changes/s in total, 20 / 50),
// BENCH_FLEET_WINDOW_SECONDS (40), BENCH_FLEET_BIG_CONTACTS (5000), BENCH_FLEET_BIG_EVENTS (20000), BENCH_FLEET_SCALE_RATE (events/s offered while a
// second journy-events instance joins, 3000). BENCH_FLEET_HEAP_DIR: a folder for heap snapshots of ingest-0 and
// journy-events (with no connection, streaming before the imports, after the traffic), summarised in the results:
// what the memory per connection is made of (the snapshots stall the apps for seconds: a profiling run, not a figure).
// BENCH_FLEET_APP_HEAP_MB: the apps' --max-old-space-size (192, the image's).
import { AvroProducer, AvroSerde, TOPICS, startGroupAtEnd, type ProfileEvent } from '@connector/kafka';
import { createLogger } from '@connector/observability';
import { ConnectionsRepository, ImportJobsRepository, StreamOffsetsRepository, TokenCipher, connectMongo, defaultSettings } from '@connector/persistence';
import { SalesforceRestClient, SharedRefreshSession, queryRecords, soqlString } from '@connector/salesforce';
import { DEMO_ORG_MAPPINGS, JournySimulator, populationFromEmulator } from '@tools/journy-simulator';
import type { Kafka } from 'kafkajs';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appMemoryOf, heapGrowthPerConnection, heapSnapshotFlags, memoryPerConnection, summarizeHeapSnapshot, takeHeapSnapshot, type HeapSummary, type MemoryParts } from './app-memory';
import { ROOT, benchAppEnv, benchKafka, connectBenchOrg, countedApiCalls, cpuMsOf, emulatorAdmin, lagOf, localStorePid, memoryOf, percentile, sleep, spawnLogged, stackPid, stackVariable, storeCommandsOf, storeCommandsPerRecord, streamingOn, tapTopic, until, waitFor } from './support';

const ORGS = Number(process.env.BENCH_FLEET_ORGS ?? 200);
const RATE_IN = Number(process.env.BENCH_FLEET_RATE_IN ?? 20);
const RATE_OUT = Number(process.env.BENCH_FLEET_RATE_OUT ?? 50);
const WINDOW_SECONDS = Number(process.env.BENCH_FLEET_WINDOW_SECONDS ?? 40);
const BIG_CONTACTS = Number(process.env.BENCH_FLEET_BIG_CONTACTS ?? 5000);
const BIG_EVENTS = Number(process.env.BENCH_FLEET_BIG_EVENTS ?? 20_000);
const NAIVE_SECONDS = 20;
/** Events produced every 100 ms while a second journy-events instance joins (BENCH_FLEET_SCALE_RATE / 10). */
const SCALE_BATCH = Math.round(Number(process.env.BENCH_FLEET_SCALE_RATE ?? 3000) / 10);
/** Redpanda Connect against a real org (shared/brief realistic-org.md C.3): Collections and Bulk 2.0 upserts. */
const PEER = { collectionsRecordsPerSecond: 350, bulkRecordsPerSecond: 1066 };
const PORT = 18585;
const PUBSUB_PORT = 18587;
const INGEST_PORTS = [18591, 18592];
const EVENTS_PORTS = [18593, 18594];
const PUBSUB_CA = join(tmpdir(), `bench-fleet-pubsub-${process.pid}.pem`);
const EMULATOR = `http://127.0.0.1:${PORT}`;
const KEY = `bench:${randomBytes(32).toString('base64')}`;
const REP = 'rep.alex@journy-demo.example';
const HEAP_DIR = process.env.BENCH_FLEET_HEAP_DIR;
/** The apps' heap limit, MB: the image's (Dockerfile, NODE_OPTIONS), unless BENCH_FLEET_APP_HEAP_MB says otherwise. */
const APP_HEAP_MB = Number(process.env.BENCH_FLEET_APP_HEAP_MB ?? 192);
const heapFlags = HEAP_DIR ? heapSnapshotFlags(HEAP_DIR) : [];

const env = stackVariable;

interface FleetOrg { name: string; orgId: string; url: string }
interface Connected extends FleetOrg { tenant: string; connectionId: string; simulator: JournySimulator; contacts: string[]; admin: ReturnType<typeof emulatorAdmin> }

async function main(): Promise<void> {
  const started = Date.now();
  const cores = (await import('node:os')).cpus().length;
  const results: Record<string, unknown> = { machine: { cpus: cores, node: process.version }, appHeapMb: APP_HEAP_MB, orgs: ORGS, rateIn: RATE_IN, rateOut: RATE_OUT, windowSeconds: WINDOW_SECONDS };
  const children: ChildProcess[] = [];
  const stopAll = () => children.forEach((c) => c.kill('SIGKILL'));
  process.once('SIGINT', () => { stopAll(); process.exit(130); });
  const log = (line: string) => process.stdout.write(`[${Math.round((Date.now() - started) / 1000)} s] ${line}\n`);
  try {
    const emulator = spawnLogged(['--max-old-space-size=8192', 'dist/tools/salesforce-emulator/src/cli.js', '--port', String(PORT), '--accounts', '10', '--contacts', '10', '--relationships', '0', '--auto-approve', '--pubsub-port', String(PUBSUB_PORT), '--pubsub-cert-out', PUBSUB_CA], {}, 'emulator');
    children.push(emulator);
    const admin = emulatorAdmin(EMULATOR);
    for (let i = 0; ; i++) {
      try { await admin('health'); break; } catch { if (i > 1200) throw new Error('emulator did not start'); await sleep(250); }
    }
    const seeded = await admin<{ orgs: FleetOrg[]; createdMs: number }>('orgs', { count: ORGS, prefix: 'fleet', latencyProfile: 'realistic', autoApprove: true, generate: { accounts: 10, contacts: 30 } });
    const [bigOrg] = (await admin<{ orgs: FleetOrg[] }>('orgs', { count: 1, prefix: 'big', latencyProfile: 'realistic', autoApprove: true, generate: { accounts: Math.ceil(BIG_CONTACTS / 5), contacts: BIG_CONTACTS } })).orgs;
    log(`emulator: ${ORGS} orgs created in ${seeded.createdMs} ms, and one of ${BIG_CONTACTS} contacts`);

    const mongoUri = env('MONGODB_URI').replace(/\/[^/?]*(\?|$)/, `/bench_fleet_${Date.now()}$1`);
    const mongo = await connectMongo({ uri: mongoUri, attempts: 5 }, createLogger({ name: 'bench', level: 'silent' }));
    const connections = new ConnectionsRepository(mongo);
    const offsets = new StreamOffsetsRepository(mongo);
    const jobs = new ImportJobsRepository(mongo);
    await jobs.ensureIndexes();
    await connections.ensureIndexes();
    await offsets.ensureIndexes();
    const cipher = TokenCipher.fromConfig(KEY);
    const kafka = await benchKafka('bench-fleet');
    const run = `${Date.now()}`;
    const appEnv = benchAppEnv(mongoUri, PORT, KEY);
    const ingestEnv = { ...appEnv, INGEST_OWNERSHIP_GROUP: `bench-fleet-owners-${run}`, INGEST_PUBSUB_ENDPOINT: `127.0.0.1:${PUBSUB_PORT}`, INGEST_PUBSUB_CA_FILE: PUBSUB_CA };
    const eventsGroup = `bench-fleet-events-${run}`;
    await startGroupAtEnd(kafka, eventsGroup, [TOPICS.profileEvents.name]);
    const startIngest = (i: number) => spawnLogged([`--max-old-space-size=${APP_HEAP_MB}`, ...heapFlags, 'dist/apps/ingest/src/main.js'], { ...ingestEnv, INGEST_PORT: String(INGEST_PORTS[i]) }, `ingest-${i}`);
    const startEvents = (i: number) => {
      const child = spawnLogged([`--max-old-space-size=${APP_HEAP_MB}`, ...heapFlags, 'dist/apps/journy-events/src/main.js'], { ...appEnv, LOG_LEVEL: 'debug', JOURNY_EVENTS_PORT: String(EVENTS_PORTS[i]), JOURNY_EVENTS_GROUP: eventsGroup }, `journy-events-${i}`);
      batchTimings(child);
      return child;
    };

    // 1. The instances with no connection yet (their baseline), then the fleet connected.
    const ingest = [startIngest(0), startIngest(1)];
    const events = [startEvents(0)];
    children.push(...ingest, ...events);
    for (const port of [...INGEST_PORTS, EVENTS_PORTS[0]]) await until(async () => (await fetch(`http://127.0.0.1:${port}/health/live`).catch(() => null))?.ok === true, 120_000, `the app on ${port} did not start`);
    await sleep(5000);
    const baseline = { ingest: ingest.map((c) => memoryOf(c.pid!).rssMb), events: memoryOf(events[0].pid!).rssMb };
    const ingestMemory = () => Promise.all(INGEST_PORTS.map((port) => appMemoryOf(port)));
    const baselineParts = { ingest: await ingestMemory(), events: [await appMemoryOf(EVENTS_PORTS[0])] };
    // Heap snapshots (BENCH_FLEET_HEAP_DIR) of ingest-0 and journy-events, by step.
    const heaps: Record<string, HeapSummary> = {};
    const snapshot = async (step: string, app: 'ingest-0' | 'journy-events') => {
      if (!HEAP_DIR) return;
      const [pid, port] = app === 'ingest-0' ? [ingest[0].pid!, INGEST_PORTS[0]] : [events[0].pid!, EVENTS_PORTS[0]];
      const started = Date.now();
      heaps[`${app} ${step}`] = summarizeHeapSnapshot(await takeHeapSnapshot(pid, port, HEAP_DIR));
      log(`heap snapshot of ${app} (${step}): ${heaps[`${app} ${step}`].totalKb} KB live, ${Date.now() - started} ms`);
    };
    await snapshot('with no connection', 'ingest-0');
    await snapshot('with no connection', 'journy-events');
    log(`apps up with no connection: ingest RSS ${baseline.ingest.join(' / ')} MB, journy-events ${baseline.events} MB`);

    const settings = { ...defaultSettings(), accountExternalIdField: 'Journy_Account_Id__c', destination: { ...defaultSettings().destination, ...DEMO_ORG_MAPPINGS } };
    const fleet: Connected[] = [];
    const connectOne = async (org: FleetOrg, i: number): Promise<Connected> => {
      const tenant = `fleet-${run}-${i}`;
      const { id } = await connectBenchOrg(org.url, connections, cipher, tenant, settings, `con_fleet_${run}_${i}`);
      await offsets.reset(tenant, id, '/data/ChangeEvents', Date.now(), 'LATEST');
      const population = await populationFromEmulator(org.url, { users: BIG_CONTACTS, accounts: BIG_CONTACTS });
      const contacts = (await emulatorAdmin(org.url)<{ records: { Id: string }[] }>(`records/Contact?limit=${BIG_CONTACTS}`)).records.map((r) => r.Id);
      return { ...org, tenant, connectionId: id, simulator: new JournySimulator({ tenantId: tenant, population, randomSeed: i + 1 }), contacts, admin: emulatorAdmin(org.url) };
    };
    const all = [...seeded.orgs, bigOrg];
    const connectAll = async (from: number, to: number) => {
      for (let i = from; i < to; i += 20) fleet.push(...(await Promise.all(all.slice(i, Math.min(i + 20, to)).map((org, j) => connectOne(org, i + j)))));
    };
    // The fleet connects in two halves: what the second half adds to ingest is what one more stream costs, without
    // the first streams' one-time costs (code compiled, buffers and pools grown) that the first half carries.
    const half = Math.floor(all.length / 2);
    await connectAll(0, half);
    log(`${half} connections stored; waiting for the instances to stream them (ownership reconcile within 30 s)`);
    await until(async () => (await streamingOn(INGEST_PORTS)).size >= half, 180_000, 'not every connection of the first half streams');
    await sleep(5000);
    const halfParts = await ingestMemory();
    await connectAll(half, all.length);
    const big = fleet[fleet.length - 1];
    const small = fleet.slice(0, -1);
    const connectStart = Date.now();
    await until(async () => (await streamingOn(INGEST_PORTS)).size >= fleet.length, 180_000, 'not every connection streams');
    const allStreamingS = (Date.now() - connectStart) / 1000;
    log(`all ${fleet.length} streaming ${allStreamingS.toFixed(1)} s after the second half was stored`);
    await sleep(5000);
    // What holding the streams costs ingest, before the imports and the traffic grow its heap (which does not shrink).
    const allParts = await ingestMemory();
    const ingestStreamingPerConnectionKb = Math.round((ingest.reduce((sum, c, i) => sum + memoryOf(c.pid!).rssMb - baseline.ingest[i], 0) * 1024) / fleet.length);
    const ingestStreamingParts = memoryPerConnection(baselineParts.ingest, allParts, fleet.length);
    const ingestStreamingMarginal = memoryPerConnection(halfParts, allParts, fleet.length - half);
    log(`ingest per connection streaming: ${JSON.stringify(ingestStreamingParts)}; the second half's: ${JSON.stringify(ingestStreamingMarginal)}`);
    await snapshot('streaming, before the imports', 'ingest-0');
    // As in production, every org is imported first: its records are linked, so live changes to them are news.
    const importStart = Date.now();
    const imports = await Promise.all(fleet.map(async (c) => ({ c, job: await jobs.start(c.tenant, c.connectionId, 'bench') })));
    await until(async () => (await Promise.all(imports.map(async ({ c, job }) => (await jobs.get(c.tenant, c.connectionId, job.id))?.state))).every((s) => s === 'SUCCEEDED'), 600_000, 'not every import succeeded');
    const importsS = (Date.now() - importStart) / 1000;
    await until(async () => (await streamingOn(INGEST_PORTS)).size >= fleet.length, 180_000, 'not every connection streams after its import');
    log(`all ${fleet.length} imported in ${importsS.toFixed(1)} s, streaming again`);
    results.setup = { orgsCreatedMs: seeded.createdMs, allStreamingSeconds: allStreamingS, allImportedSeconds: importsS, ingestStreamingPerConnectionKb, ingestStreamingParts, ingestStreamingMarginal };

    const serde = new AvroSerde(env('SCHEMA_REGISTRY_URL'));
    await serde.registerContract('journy.profile-events.v1', TOPICS.profileEvents.name);
    const producer = new AvroProducer(kafka, serde);
    await producer.connect();
    const taps = await startTaps(kafka);

    // 2. Live both ways across the small orgs: latency, CPU and memory.
    // The apps' store commands and the store's CPU in a window: where a window's extra latency comes from.
    const appPorts: [string, number][] = [...INGEST_PORTS.map((port, i): [string, number] => [`ingest-${i}`, port]), ['journy-events', EVENTS_PORTS[0]]];
    const storePid = localStorePid();
    const window = async (orgs: Connected[], label: string, seconds = WINDOW_SECONDS) => {
      const cpuBefore = [...ingest, ...events].map((c) => (c.exitCode === null ? cpuMsOf(c.pid!) : 0));
      const storeCpuBefore = storePid ? cpuMsOf(storePid) : 0;
      const commandsBefore = await Promise.all(appPorts.map(([, port]) => storeCommandsOf(port)));
      const started = Date.now();
      const sent = await liveWindow(orgs, producer, taps, seconds, label);
      const ms = Date.now() - started;
      const cpu = [...ingest, ...events].map((c, i) => (c.exitCode === null ? cpuMsOf(c.pid!) - cpuBefore[i] : 0));
      const commandsAfter = await Promise.all(appPorts.map(([, port]) => storeCommandsOf(port)));
      return {
        ...sent,
        cpuPercent: cpu.map((used) => Math.round((used / (seconds * 1000)) * 100)),
        storeCpuPercent: storePid ? Math.round(((cpuMsOf(storePid) - storeCpuBefore) / ms) * 100) : null,
        storeCommandsPerEvent: storeCommandsPerRecord(appPorts.map(([app], i) => [app, commandsBefore[i], commandsAfter[i]]), sent.outboundSent).slice(0, 10),
      };
    };
    const storeOf = (w: Awaited<ReturnType<typeof window>>) => ({ storeCpuPercent: w.storeCpuPercent, storeCommandsPerEvent: w.storeCommandsPerEvent });
    // A first window warms every connection up (describe, directory, first lookups), unmeasured.
    const warmUp = summary(await liveWindow(small, producer, taps, Math.max(10, Math.round(WINDOW_SECONDS / 2)), 'warm-up'));
    // The steady window starts from no backlog: what the warm-up left (first loads of every connection) drains first.
    const drainStarted = Date.now();
    const warmUpDrained = await waitFor(async () => (await lagOf(kafka, eventsGroup)).lag === 0, 300_000);
    Object.assign(warmUp, { backlogDrainedInSeconds: warmUpDrained ? Math.round((Date.now() - drainStarted) / 100) / 10 : null });
    log(`warm-up: ${JSON.stringify(warmUp)}`);
    const healthy = await window(small, 'steady');
    const memory = {
      ingest: ingest.map((c, i) => ({ rssMb: memoryOf(c.pid!).rssMb, baselineMb: baseline.ingest[i] })),
      events: { rssMb: memoryOf(events[0].pid!).rssMb, baselineMb: baseline.events },
    };
    const ingestPerConnectionKb = Math.round(((memory.ingest.reduce((s, m) => s + m.rssMb - m.baselineMb, 0)) * 1024) / fleet.length);
    const eventsPerConnectionKb = Math.round(((memory.events.rssMb - memory.events.baselineMb) * 1024) / fleet.length);
    const memoryParts = { ingest: memoryPerConnection(baselineParts.ingest, await ingestMemory(), fleet.length), events: memoryPerConnection(baselineParts.events, [await appMemoryOf(EVENTS_PORTS[0])], fleet.length) };
    results.warmUp = warmUp;
    results.steady = { ...summary(healthy), cpuPercent: healthy.cpuPercent, memory, ingestPerConnectionKb, eventsPerConnectionKb, memoryParts };
    if (HEAP_DIR) {
      await snapshot('after the traffic', 'ingest-0');
      await snapshot('after the traffic', 'journy-events');
      // ingest-0 holds about half the connections: its growth is divided by what it streams.
      const ingestConnections = (await streamingOn([INGEST_PORTS[0]])).size;
      const grown = (app: string, from: string, to: string, connections: number) => heapGrowthPerConnection(heaps[`${app} ${from}`], heaps[`${app} ${to}`], connections);
      results.heap = {
        ingestConnections,
        'ingest-0 streaming': grown('ingest-0', 'with no connection', 'streaming, before the imports', ingestConnections),
        'ingest-0 imports and traffic': grown('ingest-0', 'streaming, before the imports', 'after the traffic', ingestConnections),
        'journy-events': grown('journy-events', 'with no connection', 'after the traffic', fleet.length),
      };
      log(`heap growth per connection: ${JSON.stringify(results.heap, null, 1)}`);
    }
    log(`steady: ${JSON.stringify(results.steady)}`);

    // 3. Three orgs misbehaving (slow automation, row locks, quota exhausted): the others' latency beside step 2.
    const [slow, locked, exhausted] = small.slice(0, 3);
    await slow.admin('config', { latencyProfile: 'slow-automation' });
    await locked.admin('faults', { lockRowRate: 0.5 });
    await exhausted.admin('faults', { apiUsed: 100_000 });
    const others = small.slice(3);
    const troubled = await window(small, 'troubled');
    const othersOnly = (w: WindowResult) => ({ ...w, inbound: w.inbound.filter((s) => others.some((o) => o.connectionId === s.connectionId)), outbound: w.outbound.filter((s) => others.some((o) => o.connectionId === s.connectionId)) });
    await slow.admin('config', { latencyProfile: 'realistic' });
    await locked.admin('faults', { lockRowRate: 0 });
    await exhausted.admin('faults', { apiUsed: 0 });
    // A window after, the same as before: the two healthy windows' spread is this run's noise.
    const recovered = await window(small, 'recovered');
    results.misbehaving = {
      healthyBefore: summary(othersOnly(healthy)), healthyDuring: summary(othersOnly(troubled)), healthyAfter: summary(othersOnly(recovered)),
      store: { before: storeOf(healthy), during: storeOf(troubled), after: storeOf(recovered) },
      troubledOrgs: [slow.name, locked.name, exhausted.name],
    };
    log(`misbehaving: ${JSON.stringify(results.misbehaving)}`);

    // 4. One realistic org's outbound rate: a backlog of events to its users, drained; API calls per 1,000 records.
    // Events of one user in the same batch are applied as one write: records written, not events, are the figure.
    const lagBeforeBig = (await waitFor(async () => (await lagOf(kafka, eventsGroup)).lag === 0, 300_000)) ? 0 : (await lagOf(kafka, eventsGroup)).lag;
    const bigCallsBefore = await countedApiCalls(big.url);
    const bigWrittenBefore = taps.written(big.connectionId).count;
    // Where the machine's CPU goes per record written: every process of the run, the local store among them.
    const processes: [string, number | null | undefined][] = [
      ['store', localStorePid()], ['kafka', stackPid('kafka')], ['registry', stackPid('registry')], ['emulator', emulator.pid],
      ...ingest.map((c, i): [string, number | undefined] => [`ingest-${i}`, c.pid]), ['journy-events', events[0].pid], ['bench', process.pid],
    ];
    const cpuOf = () => processes.map(([, pid]) => (pid ? cpuMsOf(pid) : 0));
    const bigCpuBefore = cpuOf();
    const storeBefore = await Promise.all(appPorts.map(([, port]) => storeCommandsOf(port)));
    const bigStart = Date.now();
    for (let sent = 0; sent < BIG_EVENTS; sent += 2000) {
      await producer.send(TOPICS.profileEvents.name, 'journy.profile-events.v1', Array.from({ length: Math.min(2000, BIG_EVENTS - sent) }, () => journyEvent(big)));
    }
    const drained = await waitFor(async () => (await lagOf(kafka, eventsGroup)).lag === 0, 600_000);
    const bigSeconds = (taps.written(big.connectionId).lastAt - bigStart) / 1000;
    const bigWritten = taps.written(big.connectionId).count - bigWrittenBefore;
    const bigCalls = (await countedApiCalls(big.url)) - bigCallsBefore;
    const bigCpu = cpuOf().map((ms, i) => ms - bigCpuBefore[i]);
    const coresBusy = bigCpu.reduce((n, ms) => n + ms, 0) / Math.max(1, Date.now() - bigStart);
    const storeAfter = await Promise.all(appPorts.map(([, port]) => storeCommandsOf(port)));
    const storeCommands = storeCommandsPerRecord(appPorts.map(([app], i) => [app, storeBefore[i], storeAfter[i]]), bigWritten);
    const cpuMsPerRecord = Object.fromEntries(processes.map(([name, pid], i) => [name, pid ? Number((bigCpu[i] / Math.max(1, bigWritten)).toFixed(2)) : null]).filter(([, ms]) => ms !== null));
    const cpuMsPerRecordAll = bigCpu.reduce((n, ms) => n + ms, 0) / Math.max(1, bigWritten);
    const cpuMsPerRecordOurs = bigCpu.filter((_, i) => !['emulator', 'bench', 'registry'].includes(processes[i][0])).reduce((n, ms) => n + ms, 0) / Math.max(1, bigWritten);
    const spent = applied.filter((b) => b.connectionId === big.connectionId && b.at >= bigStart);
    const sum = (f: (b: Applied) => number) => spent.reduce((n, b) => n + f(b), 0);
    const salesforceMs = sum((b) => b.accountsMs + b.contactsMs);
    const naiveRate = await naiveWriter(big);
    results.bigOrg = {
      lagBefore: lagBeforeBig, drained, contacts: BIG_CONTACTS, events: BIG_EVENTS, recordsWritten: bigWritten, seconds: bigSeconds, recordsPerSecond: Math.round(bigWritten / bigSeconds),
      apiCalls: bigCalls, apiCallsPer1000Records: Number(((bigCalls / Math.max(1, bigWritten)) * 1000).toFixed(2)),
      batches: spent.length, salesforceSeconds: salesforceMs / 1000, storeAndLogSeconds: sum((b) => b.linksMs + b.logMs) / 1000, storeSeconds: sum((b) => b.linksMs) / 1000, logSeconds: sum((b) => b.logMs) / 1000,
      salesforceRecordsPerSecond: Math.round((sum((b) => b.written) * 1000) / Math.max(1, salesforceMs)),
      storeCommandsPerRecord: storeCommands, cpuMsPerRecord, coresBusy: Number(coresBusy.toFixed(2)), cpuBoundRecordsPerSecond: Math.round((cores * 1000) / Math.max(0.01, cpuMsPerRecordAll)),
      connectorCpuBoundRecordsPerSecond: Math.round((cores * 1000) / Math.max(0.01, cpuMsPerRecordOurs)),
      naiveRecordsPerSecond: Number(naiveRate.toFixed(1)), peer: PEER, timesBestPeer: Number((bigWritten / bigSeconds / PEER.collectionsRecordsPerSecond).toFixed(2)),
    };
    log(`big org: ${JSON.stringify(results.bigOrg)}`);

    // 5. A second journy-events instance joins under load: events keep coming faster than one instance handles
    // them; what the group handles in a window is what was produced in it less what the lag grew by.
    let producing = true;
    let produced = 0;
    const load = (async () => {
      for (let k = 0; producing; k++) {
        const batch = Array.from({ length: SCALE_BATCH }, (_, j) => journyEvent(small[(k * SCALE_BATCH + j) % small.length]));
        await producer.send(TOPICS.profileEvents.name, 'journy.profile-events.v1', batch);
        produced += batch.length;
        await sleep(100);
      }
    })();
    const rateOver = async (seconds: number) => {
      const [lagFrom, sentFrom] = [(await lagOf(kafka, eventsGroup)).lag, produced];
      await sleep(seconds * 1000);
      const [lagTo, sentTo] = [(await lagOf(kafka, eventsGroup)).lag, produced];
      return { eventsPerSecond: Math.round((sentTo - sentFrom - (lagTo - lagFrom)) / seconds), producedPerSecond: Math.round((sentTo - sentFrom) / seconds), lagAfter: lagTo };
    };
    await sleep(10_000);
    const before = await rateOver(20);
    const joined = startEvents(1);
    const joinedAt = Date.now();
    children.push(joined);
    events.push(joined);
    await until(async () => (await fetch(`http://127.0.0.1:${EVENTS_PORTS[1]}/health/live`).catch(() => null))?.ok === true, 120_000, 'the second journy-events did not start');
    const liveAfterS = (Date.now() - joinedAt) / 1000;
    await until(async () => (await groupMembers(kafka, eventsGroup)) === 2, 120_000, 'the second journy-events did not join the group');
    const settledAfterS = (Date.now() - joinedAt) / 1000;
    await sleep(5000);
    const after = await rateOver(20);
    await sleep(30_000); // the new member's cold start: every connection's directory read from the store
    const later = await rateOver(30); // once both members have their memory back
    producing = false;
    await load;
    const detaches = detachedAtRebalance.filter((d) => d.at >= joinedAt);
    const graces = graceAtRebalance.filter((g) => g.at >= joinedAt);
    const graceOf = { flushes: graces.length, connections: graces.reduce((n, g) => n + g.connections, 0) };
    results.scaleOut = {
      secondsUntilLive: liveAfterS, secondsUntilGroupStable: settledAfterS, oneInstance: before, twoInstances: after, twoInstancesLater: later,
      applyingWhenHeard: graceOf,
      detachedAtJoin: { flushes: detaches.length, connections: detaches.reduce((n, d) => n + d.connections, 0), events: detaches.reduce((n, d) => n + d.events, 0), longestMs: Math.max(0, ...detaches.map((d) => d.ms)) },
    };
    log(`scale-out: ${JSON.stringify(results.scaleOut)}`);

    // 6. One of the two ingest instances killed: how long until every connection streams again.
    const killedAt = Date.now();
    ingest[0].kill('SIGKILL');
    const tookOver = await waitFor(async () => (await streamingOn([INGEST_PORTS[1]])).size >= fleet.length, 300_000);
    results.takeover = { connections: fleet.length, streaming: (await streamingOn([INGEST_PORTS[1]])).size, secondsUntilAllStreaming: tookOver ? (Date.now() - killedAt) / 1000 : null };
    log(`takeover: ${JSON.stringify(results.takeover)}`);

    results.syncLog = taps.outcomes();
    await taps.close();
    await producer.disconnect();
    await mongo.close();
    mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
    writeFileSync(join(ROOT, 'bench', 'results', 'fleet.json'), `${JSON.stringify(results, null, 2)}\n`);
    const s = results.steady as ReturnType<typeof summary> & { ingestPerConnectionKb: number; eventsPerConnectionKb: number; memory: typeof memory; memoryParts: typeof memoryParts };
    const m = results.misbehaving as Record<'healthyBefore' | 'healthyDuring' | 'healthyAfter', ReturnType<typeof summary>> & { store: Record<'before' | 'during' | 'after', ReturnType<typeof storeOf>> };
    const commandsText = (w: ReturnType<typeof storeOf>) => w.storeCommandsPerEvent.slice(0, 3).map((c) => `${c.app} ${c.command} ${c.perRecord} (${c.meanMs} ms)`).join(', ');
    const p99s = (direction: 'inboundP99Ms' | 'outboundP99Ms') => `${m.healthyDuring[direction]} (${m.healthyBefore[direction]} / ${m.healthyAfter[direction]}: ${againstNoise(m.healthyDuring[direction], m.healthyBefore[direction], m.healthyAfter[direction])})`;
    const b = results.bigOrg as {
      recordsPerSecond: number; apiCallsPer1000Records: number; naiveRecordsPerSecond: number; timesBestPeer: number; seconds: number; salesforceRecordsPerSecond: number;
      storeSeconds: number; logSeconds: number; cpuMsPerRecord: Record<string, number>; storeCommandsPerRecord: ReturnType<typeof storeCommandsPerRecord>; coresBusy: number; cpuBoundRecordsPerSecond: number; connectorCpuBoundRecordsPerSecond: number;
    };
    const table = [
      ['connections (orgs, realistic profile)', `${fleet.length} on 2 ingest + 1→2 journy-events (heap limit ${APP_HEAP_MB} MB)`],
      ['all streaming after the second half was stored; all imported', `${allStreamingS.toFixed(1)} s; ${importsS.toFixed(1)} s`],
      ['ingest RSS per instance MB (baseline)', s.memory.ingest.map((x) => `${x.rssMb} (${x.baselineMb})`).join(' / ')],
      ['ingest memory per connection KB (≤ 1024)', `${s.ingestPerConnectionKb}; streaming, before imports and traffic: ${ingestStreamingPerConnectionKb}`],
      ['  of which KB: heap used / reserved / external / other', `${partsText(s.memoryParts.ingest)}; streaming: ${partsText(ingestStreamingParts)}`],
      ['  one more stream (the second half\'s), KB', `${ingestStreamingMarginal.rssKb}: ${partsText(ingestStreamingMarginal)}`],
      ['journy-events RSS MB (baseline)', `${s.memory.events.rssMb} (${s.memory.events.baselineMb})`],
      ['journy-events memory per connection KB (≤ 1024)', `${s.eventsPerConnectionKb}`],
      ['  of which KB: heap used / reserved / external / other', partsText(s.memoryParts.events)],
      ...(results.heap ? [['live heap grown per connection, KB, compiled code aside (snapshots)', heapText(results.heap as Record<string, HeapGrowth>)]] : []),
      ['CPU % ingest / ingest / journy-events', healthy.cpuPercent.join(' / ')],
      [`Salesforce → Kafka p50 / p99 ms (${RATE_IN}/s)`, `${s.inboundP50Ms} / ${s.inboundP99Ms} (${s.inboundSeen}/${s.inboundSent})`],
      [`journy → Salesforce p50 / p99 ms (${RATE_OUT}/s)`, `${s.outboundP50Ms} / ${s.outboundP99Ms} (${s.outboundSeen}/${s.outboundSent})`],
      ['big org records/s (≥ 3 × 350 = 1050)', `${b.recordsPerSecond} (${b.timesBestPeer} × the peer's Collections, Bulk peer ${PEER.bulkRecordsPerSecond})`],
      ['  its Salesforce writes alone, records/s', `${b.salesforceRecordsPerSecond} (store ${b.storeSeconds} s + log ${b.logSeconds} s, batches side by side, in ${b.seconds} s)`],
      ['  store commands per record (mean ms), by app', b.storeCommandsPerRecord.slice(0, 6).map((c) => `${c.app} ${c.command} ${c.perRecord} (${c.meanMs})`).join(', ')],
      ['  CPU ms per record written, by process', Object.entries(b.cpuMsPerRecord).map(([k, v]) => `${k} ${v}`).join(', ')],
      [`  cores busy (of ${cores}); records/s they allow: all / stack + apps`, `${b.coresBusy}; ${b.cpuBoundRecordsPerSecond} / ${b.connectorCpuBoundRecordsPerSecond}`],
      ['  naive per-record writer records/s', `${b.naiveRecordsPerSecond}`],
      ['  API calls / 1000 records (≤ 6)', `${b.apiCallsPer1000Records}`],
      ['others p99 ms, 3 orgs misbehaving (before / after)', `in ${p99s('inboundP99Ms')}; out ${p99s('outboundP99Ms')}`],
      ['  store CPU % before / during / after', `${m.store.before.storeCpuPercent} / ${m.store.during.storeCpuPercent} / ${m.store.after.storeCpuPercent}`],
      ['  store commands per event before', commandsText(m.store.before)],
      ['  … during', commandsText(m.store.during)],
      ['events/s handled, 1 → 2 journy-events (offered)', `${before.eventsPerSecond} → ${after.eventsPerSecond}, then ${later.eventsPerSecond} (${before.producedPerSecond} / ${after.producedPerSecond} / ${later.producedPerSecond})`],
      ['  second journy-events: live, group stable after', `${liveAfterS.toFixed(1)} s, ${settledAfterS.toFixed(1)} s`],
      ['  at the join: connections applying (grace), then detached', `${graceOf.connections} in ${graceOf.flushes} flushes; ${detaches.reduce((n, d) => n + d.connections, 0)} in ${detaches.length} flushes, parked and leased in ≤ ${Math.max(0, ...detaches.map((d) => d.ms))} ms`],
      ['ingest killed → all streaming again (≤ 30 s)', `${(results.takeover as { secondsUntilAllStreaming: number }).secondsUntilAllStreaming} s`],
    ];
    process.stdout.write(`\n${table.map(([k, v]) => `${k.padEnd(48)} ${v}`).join('\n')}\n\nwritten to bench/results/fleet.json\n`);
  } finally {
    stopAll();
  }
}

interface Sample { connectionId: string; ms: number }
interface WindowResult { inboundSent: number; outboundSent: number; inbound: Sample[]; outbound: Sample[] }

/** Live changes on both sides for `seconds`, spread over the orgs at random: what arrived, and how late. */
async function liveWindow(orgs: Connected[], producer: AvroProducer, taps: Taps, seconds: number, label: string): Promise<WindowResult> {
  const prefix = `Fleet-${label}-${Date.now()}-`;
  const outIds = new Map<string, string>();
  const pick = () => orgs[Math.floor(Math.random() * orgs.length)];
  const start = Date.now();
  let inboundSent = 0;
  const sends: Promise<unknown>[] = [];
  const tick = 50;
  for (let t = 0; t < seconds * 1000; t += tick) {
    if (start + t > Date.now()) await sleep(start + t - Date.now());
    const dueIn = Math.floor(((t + tick) / 1000) * RATE_IN) - Math.floor((t / 1000) * RATE_IN);
    for (let k = 0; k < dueIn; k++) {
      const org = pick();
      const id = org.contacts[Math.floor(Math.random() * org.contacts.length)];
      sends.push(org.admin('act-as', { username: REP, operations: [{ op: 'update', object: 'Contact', id, fields: { LastName: `${prefix}${inboundSent++}` } }] }).catch(() => undefined));
    }
    const dueOut = Math.floor(((t + tick) / 1000) * RATE_OUT) - Math.floor((t / 1000) * RATE_OUT);
    const batch = Array.from({ length: dueOut }, () => {
      const org = pick();
      const event = journyEvent(org);
      outIds.set(event.value.eventId, org.connectionId);
      return event;
    });
    if (batch.length) sends.push(producer.send(TOPICS.profileEvents.name, 'journy.profile-events.v1', batch).catch((error: unknown) => process.stderr.write(`a profile event was not sent: ${String(error)}\n`)));
  }
  await Promise.all(sends);
  // Stragglers: everything sent is waited for a while (a misbehaving org's may never come).
  const outSet = new Set(outIds.keys());
  for (let i = 0; i < 150 && (taps.inboundSeen(prefix).length < inboundSent || taps.doneOf(outSet) < outSet.size); i++) await sleep(200);
  return {
    inboundSent, outboundSent: outIds.size,
    inbound: taps.inboundSeen(prefix),
    outbound: [...outIds].flatMap(([eventId, connectionId]) => { const ms = taps.outboundLatency(eventId); return ms === undefined ? [] : [{ connectionId, ms }]; }),
  };
}

type HeapGrowth = ReturnType<typeof heapGrowthPerConnection>;

/** Each snapshot step's live heap per connection: the total, and without the code V8 compiled meanwhile. */
function heapText(heap: Record<string, HeapGrowth | number>): string {
  return Object.entries(heap).flatMap(([step, g]) => {
    if (typeof g === 'number') return [];
    const code = g.groups.find((x) => x.name === '(code)')?.kb ?? 0;
    return [`${step} ${Math.round(g.totalKb - code)} (${Math.round(g.totalKb)} with code)`];
  }).join('; ');
}

function partsText(p: MemoryParts): string {
  return `${p.heapUsedKb} / ${p.heapReservedKb} / ${p.externalKb} / ${p.otherKb}`;
}

/** A figure beside two healthy windows around it: inside their spread, or how far past the larger. */
function againstNoise(during: number, before: number, after: number): string {
  const high = Math.max(before, after);
  if (during <= high) return 'within the healthy windows';
  return `${Math.round((during / high - 1) * 100)} % above the higher`;
}

function summary(w: WindowResult) {
  const inMs = w.inbound.map((s) => s.ms);
  const outMs = w.outbound.map((s) => s.ms);
  return {
    inboundSent: w.inboundSent, inboundSeen: inMs.length, inboundP50Ms: percentile(inMs, 50), inboundP99Ms: percentile(inMs, 99),
    outboundSent: w.outboundSent, outboundSeen: outMs.length, outboundP50Ms: percentile(outMs, 50), outboundP99Ms: percentile(outMs, 99),
  };
}

type Taps = Awaited<ReturnType<typeof startTaps>>;

/** The commands and sync-log topics as they are written: LIVE commands by last name, log lines by event id. */
async function startTaps(kafka: Kafka) {
  const serde = new AvroSerde(stackVariable('SCHEMA_REGISTRY_URL'));
  const inbound: { lastName: string; connectionId: string; ms: number }[] = [];
  const outcomes = new Map<string, { status: string; at: number }>();
  const written = new Map<string, { count: number; lastAt: number }>();
  let lines = 0;
  const outcomeCounts = new Map<string, number>();
  type Command = { connectionId: string; mode: string; source: { modifiedAt: number | null } | null; payload: Record<string, { properties?: { last_name?: string } } | null> };
  const commands = await tapTopic(kafka, serde, TOPICS.commands.name, (command: Command, receivedAt) => {
    const lastName = Object.values(command.payload).find(Boolean)?.properties?.last_name;
    if (command.mode === 'LIVE' && command.source?.modifiedAt && lastName?.startsWith('Fleet-')) inbound.push({ lastName, connectionId: command.connectionId, ms: receivedAt - Number(command.source.modifiedAt) });
  });
  type Line = { connectionId: string; status: string; reason: string | null; correlationId: string | null; direction: string };
  const logs = await tapTopic(kafka, serde, TOPICS.syncLog.name, (line: Line, at) => {
    const outcome = `${line.direction === 'JOURNY_TO_SALESFORCE' ? 'out' : 'in'} ${line.status}${line.reason ? ` ${line.reason}` : ''}`;
    outcomeCounts.set(outcome, (outcomeCounts.get(outcome) ?? 0) + 1);
    if (line.direction !== 'JOURNY_TO_SALESFORCE' || line.status === 'RETRYING') return;
    lines += 1;
    if (line.status === 'SUCCEEDED') {
      const of = written.get(line.connectionId) ?? { count: 0, lastAt: 0 };
      written.set(line.connectionId, { count: of.count + 1, lastAt: at });
    }
    if (line.correlationId && !outcomes.has(line.correlationId)) outcomes.set(line.correlationId, { status: line.status, at });
  });
  await sleep(1000);
  return {
    inboundSeen: (prefix: string) => inbound.filter((c) => c.lastName.startsWith(prefix)).map(({ connectionId, ms }) => ({ connectionId, ms })),
    /** Events with a final log line (written, skipped or failed). */
    doneOf: (ids: Set<string>) => { let n = 0; for (const id of ids) if (outcomes.has(id)) n++; return n; },
    /** Records a connection has had written, and when the latest was logged. */
    written: (connectionId: string) => written.get(connectionId) ?? { count: 0, lastAt: 0 },
    /** Final journy → Salesforce log lines of every connection. */
    lines: () => lines,
    /** Sync-log lines by direction, status and reason. */
    outcomes: () => Object.fromEntries(outcomeCounts),
    outboundLatency: (eventId: string) => sentAt.has(eventId) && outcomes.get(eventId)?.status === 'SUCCEEDED' ? outcomes.get(eventId)!.at - sentAt.get(eventId)! : undefined,
    close: () => Promise.all([commands.disconnect(), logs.disconnect()]),
  };
}

interface Applied { at: number; connectionId: string; written: number; accountsMs: number; contactsMs: number; linksMs: number; logMs: number }
/** journy-events' `batch applied` debug lines: per batch, the time spent writing to Salesforce and storing; and its detaches at a rebalance. */
const applied: Applied[] = [];

/** journy-events' lines of runs detached when the group rebalanced: how many, and how long parking and leasing them took. */
const detachedAtRebalance: { at: number; connections: number; events: number; ms: number }[] = [];
/** journy-events' lines of flushes that heard the rebalance with runs still applying (then given the grace). */
const graceAtRebalance: { at: number; connections: number }[] = [];

function batchTimings(child: ChildProcess): void {
  let rest = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const lines = (rest + chunk.toString()).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      if (line.includes('"runs detached for the rebalance: parked and leased"')) {
        try {
          const entry = JSON.parse(line) as { time: string; connections: number; events: number; ms: number };
          detachedAtRebalance.push({ at: Date.parse(entry.time), connections: entry.connections, events: entry.events, ms: entry.ms });
        } catch { /* not a log line */ }
        continue;
      }
      if (line.includes('"group rebalancing: waiting for the connections still applying before parking them"')) {
        try {
          const entry = JSON.parse(line) as { time: string; connections: number };
          graceAtRebalance.push({ at: Date.parse(entry.time), connections: entry.connections });
        } catch { /* not a log line */ }
        continue;
      }
      if (!line.includes('"batch applied"')) continue;
      try {
        const entry = JSON.parse(line) as Applied & { time: string };
        applied.push({ at: Date.parse(entry.time), connectionId: entry.connectionId, written: entry.written, accountsMs: entry.accountsMs, contactsMs: entry.contactsMs, linksMs: entry.linksMs, logMs: entry.logMs ?? 0 });
      } catch { /* not a log line */ }
    }
  });
}

/** When each profile event was produced, by event id. */
const sentAt = new Map<string, number>();

/** A score change of one of the org's journy users, its send time noted. */
function journyEvent(org: Connected): { key: string; value: ProfileEvent } {
  const event = org.simulator.of('userScores') as { key: string; value: ProfileEvent };
  sentAt.set(event.value.eventId, Date.now());
  return event;
}

/** One lookup and one write per event, one at a time, against the big org. */
async function naiveWriter(org: Connected): Promise<number> {
  const token = (await (await fetch(`${org.url}/services/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'password', client_id: '3MVG9emulator.journy.connector.client', client_secret: 'emulator-client-secret', username: REP, password: 'emulator-password' }) })).json()) as { access_token: string; instance_url: string };
  const rest = new SalesforceRestClient(new SharedRefreshSession(token.instance_url, token.access_token, async () => token.access_token), { callOptionsClient: 'bench-naive' });
  const end = Date.now() + NAIVE_SECONDS * 1000;
  let n = 0;
  while (Date.now() < end) {
    const { value } = org.simulator.of('userScores');
    const [row] = await queryRecords(rest, `SELECT Id FROM Contact WHERE Email = ${soqlString(value.entity.email!)}`);
    if (row) await rest.request('PATCH', `/sobjects/Contact/${String(row.Id)}`, { Engagement_Score__c: Math.round(Math.random() * 100) });
    n++;
  }
  return n / NAIVE_SECONDS;
}

/** Members of a consumer group with partitions assigned. */
async function groupMembers(kafka: Kafka, groupId: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([groupId]);
    return groups[0]?.state === 'Stable' ? groups[0].members.filter((m) => m.memberAssignment.length > 0).length : 0;
  } finally {
    await admin.disconnect();
  }
}

main().catch((error) => {
  process.stderr.write(`bench:fleet failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
