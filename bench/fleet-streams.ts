// `npm run bench:fleet-streams`: what one ingest and one journy-events instance hold per connection as the fleet
// grows, measured at several fleet sizes in one run (the slope between sizes is the cost of one more connection,
// the fixed cost apart). One emulator hosts the orgs (BENCH_STREAMS_PROFILE, realistic); one ingest instance owns
// every connection and streams it over Pub/Sub; one journy-events instance writes BENCH_STREAMS_EVENTS (3) journy
// events to each new connection's org at each size. At each size of BENCH_STREAMS_STEPS (100,300,600,1000): how long
// the new connections took to stream and their events to be applied; each app's resident memory and V8 heap in use
// right after a full collection (forced through the app's inspector; at the largest size a heap snapshot also says
// what ingest's heap holds by constructor); the apps' CPU and store commands while the fleet is idle (once ingest's
// store commands have settled after the events); and, as proof that every size streams, the latency of a change in
// BENCH_STREAMS_PROBES (20) orgs to its command on Kafka. The apps run with the image's heap limit
// (BENCH_STREAMS_APP_HEAP_MB, 192); where one gives out, the run says at which size. Prints a table and writes
// bench/results/fleet-streams.json.
import { AvroProducer, AvroSerde, TOPICS, startGroupAtEnd } from '@connector/kafka';
import { createLogger } from '@connector/observability';
import { ConnectionsRepository, StreamOffsetsRepository, TokenCipher, connectMongo, defaultSettings } from '@connector/persistence';
import { DEMO_ORG_MAPPINGS, JournySimulator, populationFromEmulator } from '@tools/journy-simulator';
import type { Kafka } from 'kafkajs';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appMemoryOf, heapSnapshotFlags, summarizeHeapSnapshot, takeHeapSnapshot, type AppMemory, type HeapGroup } from './app-memory';
import { heapAfterFullCollection } from './inspector';
import { ROOT, benchAppEnv, benchKafka, connectBenchOrg, cpuMsOf, emulatorAdmin, memoryOf, percentile, sleep, spawnLogged, stackVariable, storeCommandsOf, streamingOn, tapTopic, until, waitFor } from './support';

const STEPS = (process.env.BENCH_STREAMS_STEPS ?? '100,300,600,1000').split(',').map(Number).filter((n) => n > 0).sort((a, b) => a - b);
const PROFILE = process.env.BENCH_STREAMS_PROFILE ?? 'realistic';
const PROBES = Number(process.env.BENCH_STREAMS_PROBES ?? 20);
const EVENTS = Number(process.env.BENCH_STREAMS_EVENTS ?? 3);
const APP_HEAP_MB = Number(process.env.BENCH_STREAMS_APP_HEAP_MB ?? 192);
/** Idle time measured at each size (ingest's CPU and store commands with no change coming). */
const IDLE_SECONDS = 20;
/** A snapshot larger than this is not summarised (one JavaScript string holds at most about 512 MB). */
const SUMMARY_MAX_BYTES = 400 * 1024 * 1024;
const PORT = 18595;
const PUBSUB_PORT = 18597;
const INGEST_PORT = 18598;
const INSPECT_PORT = 18599;
const EVENTS_PORT = 18596;
const EVENTS_INSPECT_PORT = 18600;
const EMULATOR = `http://127.0.0.1:${PORT}`;
const KEY = `bench:${randomBytes(32).toString('base64')}`;
const REP = 'rep.alex@journy-demo.example';

interface Org { name: string; orgId: string; url: string }
interface Connected { org: Org; tenant: string; connectionId: string; contact: string; simulator: JournySimulator }
type App = 'ingest' | 'journy-events';
interface AppStep { rssMb: number; heap: AppMemory; heapAfterGcMb: number; idleCpuPercent: number; idleStoreCommandsPerSecond: number }
interface Step {
  connections: number; streamingSeconds: number; eventsAppliedSeconds: number; events: { sent: number; connectionsWritten: number; outcomes: Record<string, number> };
  apps: Record<App, AppStep>; probe: { sent: number; seen: number; p50Ms: number; p99Ms: number }; ingestTop?: HeapGroup[];
}

async function main(): Promise<void> {
  const started = Date.now();
  const log = (line: string) => process.stdout.write(`[${Math.round((Date.now() - started) / 1000)} s] ${line}\n`);
  const largest = STEPS[STEPS.length - 1];
  const heapDir = mkdtempSync(join(tmpdir(), 'bench-streams-heap-'));
  const pubsubCa = join(heapDir, 'pubsub-ca.pem');
  const results: Record<string, unknown> = { machine: { cpus: (await import('node:os')).cpus().length, node: process.version }, profile: PROFILE, appHeapMb: APP_HEAP_MB, steps: STEPS, eventsPerConnection: EVENTS };
  const emulator = spawnLogged(['--max-old-space-size=8192', 'dist/tools/salesforce-emulator/src/cli.js', '--port', String(PORT), '--accounts', '1', '--contacts', '1', '--relationships', '0', '--auto-approve', '--pubsub-port', String(PUBSUB_PORT), '--pubsub-cert-out', pubsubCa], {}, 'emulator');
  const apps = new Map<App, { child: ReturnType<typeof spawnLogged>; port: number; inspectPort: number }>();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => { emulator.kill('SIGKILL'); for (const app of apps.values()) app.child.kill('SIGKILL'); process.exit(130); });
  const steps: Step[] = [];
  let closeTaps = async (): Promise<void> => undefined;
  try {
    const admin = emulatorAdmin(EMULATOR);
    await until(() => admin('health').then(() => true, () => false), 300_000, 'the emulator did not start');
    const seeded = await admin<{ orgs: Org[]; createdMs: number }>('orgs', { count: largest, prefix: 'streams', latencyProfile: PROFILE, autoApprove: true, generate: { accounts: 2, contacts: 5 } });
    log(`emulator: ${largest} orgs (${PROFILE}) created in ${seeded.createdMs} ms`);

    const mongoUri = stackVariable('MONGODB_URI').replace(/\/[^/?]*(\?|$)/, `/bench_streams_${Date.now()}$1`);
    const mongo = await connectMongo({ uri: mongoUri, attempts: 5 }, createLogger({ name: 'bench', level: 'silent' }));
    const connections = new ConnectionsRepository(mongo);
    const offsets = new StreamOffsetsRepository(mongo);
    await connections.ensureIndexes();
    await offsets.ensureIndexes();
    const kafka = await benchKafka('bench-streams');
    const serde = new AvroSerde(stackVariable('SCHEMA_REGISTRY_URL'));
    await serde.registerContract('journy.profile-events.v1', TOPICS.profileEvents.name);
    const taps = await startTaps(kafka, serde);
    const producer = new AvroProducer(kafka, serde);
    await producer.connect();
    closeTaps = async () => { await taps.close(); await producer.disconnect(); };

    const run = `${Date.now()}`;
    const appEnv = benchAppEnv(mongoUri, PORT, KEY);
    const eventsGroup = `bench-streams-events-${run}`;
    await startGroupAtEnd(kafka, eventsGroup, [TOPICS.profileEvents.name]);
    const start = (app: App, port: number, inspectPort: number, main: string, env: Record<string, string>) => {
      const child = spawnLogged([`--max-old-space-size=${APP_HEAP_MB}`, ...heapSnapshotFlags(heapDir), `--inspect=127.0.0.1:${inspectPort}`, main], { ...appEnv, ...env }, app);
      apps.set(app, { child, port, inspectPort });
    };
    start('ingest', INGEST_PORT, INSPECT_PORT, 'dist/apps/ingest/src/main.js', {
      INGEST_PORT: String(INGEST_PORT), INGEST_OWNERSHIP_GROUP: `bench-streams-owners-${run}`, INGEST_PUBSUB_ENDPOINT: `127.0.0.1:${PUBSUB_PORT}`, INGEST_PUBSUB_CA_FILE: pubsubCa,
    });
    start('journy-events', EVENTS_PORT, EVENTS_INSPECT_PORT, 'dist/apps/journy-events/src/main.js', { JOURNY_EVENTS_PORT: String(EVENTS_PORT), JOURNY_EVENTS_GROUP: eventsGroup });
    const exited = new Map<App, string>();
    for (const [app, { child }] of apps) child.once('exit', (code, signal) => exited.set(app, `${app} exited (${signal ?? code})`));
    const alive = () => { for (const reason of exited.values()) throw new AppGone(reason); };
    for (const { port } of apps.values()) await until(async () => (await fetch(`http://127.0.0.1:${port}/health/live`).catch(() => null))?.ok === true, 120_000, `the app on ${port} did not start`);
    await sleep(5000);

    // Ongoing import on, so a probe's change to a record never imported becomes a command; the demo's mappings.
    const settings = { ...defaultSettings(), accountExternalIdField: 'Journy_Account_Id__c', source: { ongoingImport: true, changeStream: null }, destination: { ...defaultSettings().destination, ...DEMO_ORG_MAPPINGS } };
    const connected: Connected[] = [];
    const idle = async (): Promise<Record<App, { cpuPercent: number; storeCommandsPerSecond: number }>> => {
      const before = await Promise.all([...apps.values()].map(async ({ child, port }) => ({ cpu: cpuMsOf(child.pid!), store: await storeCommandsOf(port) })));
      await sleep(IDLE_SECONDS * 1000);
      const after = await Promise.all([...apps.values()].map(async ({ child, port }) => ({ cpu: cpuMsOf(child.pid!), store: await storeCommandsOf(port) })));
      return Object.fromEntries([...apps.keys()].map((app, i) => [app, {
        cpuPercent: Number((((after[i].cpu - before[i].cpu) / (IDLE_SECONDS * 1000)) * 100).toFixed(1)),
        storeCommandsPerSecond: Number(([...after[i].store].reduce((n, [k, v]) => n + v.count - (before[i].store.get(k)?.count ?? 0), 0) / IDLE_SECONDS).toFixed(2)),
      }])) as Record<App, { cpuPercent: number; storeCommandsPerSecond: number }>;
    };
    /** Until ingest has sent no store command for 6 s (the echoes of the events written, each saving a position once), at most 60 s. */
    const settled = async () => {
      const total = async () => [...(await storeCommandsOf(INGEST_PORT)).values()].reduce((n, c) => n + c.count, 0);
      let last = await total();
      let quietSince = Date.now();
      await waitFor(async () => {
        const now = await total();
        if (now !== last) [last, quietSince] = [now, Date.now()];
        return Date.now() - quietSince >= 6000;
      }, 60_000);
    };
    const measure = async (count: number, streamingSeconds: number, eventsAppliedSeconds: number, events: Step['events']): Promise<Step> => {
      alive();
      await settled();
      const quiet = await idle();
      const probe = await probeStreams(connected, taps, alive);
      const memory = {} as Record<App, AppStep>;
      for (const [app, { child, port, inspectPort }] of apps) {
        const rssMb = memoryOf(child.pid!).rssMb;
        const heap = await appMemoryOf(port);
        const heapAfterGcMb = Number((await heapAfterFullCollection(inspectPort)).usedMb.toFixed(1));
        memory[app] = { rssMb, heap, heapAfterGcMb, idleCpuPercent: quiet[app].cpuPercent, idleStoreCommandsPerSecond: quiet[app].storeCommandsPerSecond };
      }
      // A heap snapshot's own memory stays in the process's RSS: only ingest's, at the largest size, is summarised.
      let ingestTop: HeapGroup[] | undefined;
      if (count === largest) {
        const file = await takeHeapSnapshot(apps.get('ingest')!.child.pid!, INGEST_PORT, heapDir);
        ingestTop = statSync(file).size <= SUMMARY_MAX_BYTES ? summarizeHeapSnapshot(file).groups.slice(0, 12) : undefined;
        rmSync(file);
      }
      return { connections: count, streamingSeconds, eventsAppliedSeconds, events, apps: memory, probe, ingestTop };
    };

    steps.push(await measure(0, 0, 0, { sent: 0, connectionsWritten: 0, outcomes: {} }));
    log(`no connection: ${JSON.stringify(steps[0].apps)}`);
    for (const size of STEPS) {
      const from = connected.length;
      const t0 = Date.now();
      for (let i = from; i < size; i += 20) {
        connected.push(...(await Promise.all(seeded.orgs.slice(i, Math.min(i + 20, size)).map(async (org, j): Promise<Connected> => {
          const n = i + j;
          const tenant = `streams-${run}-${n}`;
          const { id } = await connectBenchOrg(org.url, connections, TokenCipher.fromConfig(KEY), tenant, settings, `con_streams_${run}_${n}`);
          await offsets.reset(tenant, id, '/data/ChangeEvents', Date.now(), 'LATEST');
          const [contact] = (await emulatorAdmin(org.url)<{ records: { Id: string }[] }>('records/Contact?limit=1')).records;
          const simulator = new JournySimulator({ tenantId: tenant, population: await populationFromEmulator(org.url, { users: 5, accounts: 2 }), randomSeed: n + 1 });
          return { org, tenant, connectionId: id, contact: contact.Id, simulator };
        }))));
      }
      log(`${size - from} more connections stored (${size} in all); waiting for ingest to stream them (its reconcile runs every 30 s)`);
      await until(async () => { alive(); return (await streamingOn([INGEST_PORT])).size >= size; }, 120_000 + size * 300, `ingest did not stream all ${size} connections`);
      const streamingSeconds = (Date.now() - t0) / 1000;
      // Journy events to each new connection's users: journy-events reads each one's directory and describe, and writes.
      const t1 = Date.now();
      const sent = connected.slice(from).flatMap((c) => Array.from({ length: EVENTS }, () => c.simulator.of('userScores')));
      for (let k = 0; k < sent.length; k += 500) await producer.send(TOPICS.profileEvents.name, 'journy.profile-events.v1', sent.slice(k, k + 500));
      const ids = connected.slice(from).map((c) => c.connectionId);
      await waitFor(async () => { alive(); return taps.doneOf(ids) === ids.length; }, 120_000 + ids.length * 300);
      const events = { sent: sent.length, connectionsWritten: taps.doneOf(ids), outcomes: taps.outcomesOf(ids) };
      const step = await measure(size, streamingSeconds, (Date.now() - t1) / 1000, events);
      steps.push(step);
      log(`${size} connections: ${JSON.stringify({ ...step, ingestTop: undefined })}`);
    }
  } catch (error) {
    if (!(error instanceof AppGone)) throw error;
    const reached = steps[steps.length - 1]?.connections ?? 0;
    results.brokeAt = { connections: reached, next: STEPS.find((s) => s > reached), reason: error.message };
    log(`${error.message} on the way to ${String(STEPS.find((s) => s > reached))} connections`);
  } finally {
    for (const { child } of apps.values()) child.kill('SIGKILL');
    emulator.kill('SIGKILL');
    await closeTaps();
    rmSync(heapDir, { recursive: true, force: true });
  }

  const perConnection = (a: Step, b: Step, f: (s: Step) => number) => Math.round(((f(b) - f(a)) * 1024) / Math.max(1, b.connections - a.connections));
  const base = steps[0];
  const last = steps[steps.length - 1];
  const figures = (app: App) => {
    const heap = (s: Step) => s.apps[app].heapAfterGcMb;
    const rss = (s: Step) => s.apps[app].rssMb;
    const slope = steps.length >= 3 ? perConnection(steps[1], last, heap) : null;
    return {
      rssKbPerConnection: steps.slice(1).map((s) => perConnection(base, s, rss)),
      heapKbPerConnection: steps.slice(1).map((s) => perConnection(base, s, heap)),
      heapKbPerConnectionSincePrevious: steps.slice(1).map((s, i) => perConnection(steps[i], s, heap)),
      rssKbPerConnectionSincePrevious: steps.slice(1).map((s, i) => perConnection(steps[i], s, rss)),
      heapSlopeKbPerConnection: slope,
      heapAt1000ConnectionsMb: slope === null ? null : Math.round(heap(steps[1]) + ((1000 - steps[1].connections) * slope) / 1024),
    };
  };
  results.stepsMeasured = steps;
  results.perConnection = { ingest: figures('ingest'), 'journy-events': figures('journy-events') };

  const table: [string, string][] = [
    ['connections', steps.map((s) => s.connections).join(' / ')],
    ['seconds until the new ones streamed; their events applied', steps.slice(1).map((s) => `${s.streamingSeconds.toFixed(1)}; ${s.eventsAppliedSeconds.toFixed(1)}`).join(' / ')],
    ['new connections with a final log line; events sent', steps.slice(1).map((s, i) => `${s.events.connectionsWritten}/${s.connections - steps[i].connections}; ${s.events.sent}`).join(' / ')],
    ['their final log lines by outcome', steps.slice(1).map((s) => Object.entries(s.events.outcomes).map(([k, v]) => `${k} ${v}`).join(', ')).join(' / ')],
    ['change → command p50 / p99 ms (probes seen)', steps.slice(1).map((s) => `${s.probe.p50Ms} / ${s.probe.p99Ms} (${s.probe.seen}/${s.probe.sent})`).join('; ')],
  ];
  for (const app of ['ingest', 'journy-events'] as const) {
    const f = (results.perConnection as Record<App, ReturnType<typeof figures>>)[app];
    table.push(
      [`${app}: RSS MB`, steps.map((s) => s.apps[app].rssMb).join(' / ')],
      [`${app}: heap after a full collection MB`, steps.map((s) => s.apps[app].heapAfterGcMb).join(' / ')],
      [`${app}: RSS KB per connection (over none)`, f.rssKbPerConnection.join(' / ')],
      [`${app}: heap KB per connection (over none)`, f.heapKbPerConnection.join(' / ')],
      [`${app}: heap KB per connection (since the size before)`, f.heapKbPerConnectionSincePrevious.join(' / ')],
      [`${app}: heap slope KB/connection; at 1,000 MB`, f.heapSlopeKbPerConnection === null ? '—' : `${f.heapSlopeKbPerConnection}; ${String(f.heapAt1000ConnectionsMb)}`],
      [`${app}: CPU % idle; store commands/s idle`, steps.map((s) => `${s.apps[app].idleCpuPercent}; ${s.apps[app].idleStoreCommandsPerSecond}`).join(' / ')],
    );
  }
  if (results.brokeAt) table.push(['broke', JSON.stringify(results.brokeAt)]);
  const width = Math.max(...table.map(([k]) => k.length));
  process.stdout.write(`\nbench:fleet-streams (one instance of each app, ${PROFILE} orgs, heap limit ${APP_HEAP_MB} MB)\n${table.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n`);
  if (last.ingestTop) process.stdout.write(`ingest's largest heap groups at ${last.connections} connections: ${last.ingestTop.slice(0, 8).map((g) => `${g.name} ${Math.round(g.selfKb / 1024)} MB`).join(', ')}\n`);
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results', 'fleet-streams.json'), JSON.stringify(results, null, 2));
  process.exit(0);
}

class AppGone extends Error {}

/** Commands on Kafka of the probes' changes (by last name), and the sync log's final line of each journy event. */
async function startTaps(kafka: Kafka, serde: AvroSerde) {
  const seen = new Map<string, number>();
  /** Final journy → Salesforce log lines by connection and outcome (events of one user in a batch share a line). */
  const outcomes = new Map<string, Record<string, number>>();
  const commands = await tapTopic(kafka, serde, TOPICS.commands.name, (command: { payload: Record<string, { properties?: { last_name?: string } } | null> }, receivedAt) => {
    const lastName = Object.values(command.payload).find(Boolean)?.properties?.last_name;
    if (lastName?.startsWith('Probe-')) seen.set(lastName, receivedAt);
  });
  const logs = await tapTopic(kafka, serde, TOPICS.syncLog.name, (line: { connectionId: string; status: string; reason: string | null; direction: string }) => {
    if (line.direction !== 'JOURNY_TO_SALESFORCE' || line.status === 'RETRYING') return;
    const of = outcomes.get(line.connectionId) ?? {};
    const outcome = `${line.status}${line.reason ? ` ${line.reason}` : ''}`;
    of[outcome] = (of[outcome] ?? 0) + 1;
    outcomes.set(line.connectionId, of);
  });
  return {
    seenAt: (lastName: string) => seen.get(lastName),
    /** How many of these connections have had a final log line. */
    doneOf: (connectionIds: string[]) => connectionIds.filter((id) => outcomes.has(id)).length,
    outcomesOf: (connectionIds: string[]) => {
      const counts: Record<string, number> = {};
      for (const id of connectionIds) for (const [outcome, n] of Object.entries(outcomes.get(id) ?? {})) counts[outcome] = (counts[outcome] ?? 0) + n;
      return counts;
    },
    close: () => Promise.all([commands.disconnect(), logs.disconnect()]).then(() => undefined),
  };
}

/** A change to one contact in `PROBES` connected orgs (spread over the fleet); its latency to the command on Kafka. */
async function probeStreams(connected: { org: Org; contact: string }[], commands: { seenAt: (lastName: string) => number | undefined }, alive: () => void): Promise<Step['probe']> {
  if (connected.length === 0) return { sent: 0, seen: 0, p50Ms: 0, p99Ms: 0 };
  const picked = Array.from({ length: Math.min(PROBES, connected.length) }, (_, k) => connected[Math.floor((k * connected.length) / Math.min(PROBES, connected.length))]);
  const sent = await Promise.all(picked.map(async ({ org, contact }, k) => {
    const lastName = `Probe-${Date.now()}-${k}`;
    const at = Date.now();
    await emulatorAdmin(org.url)('act-as', { username: REP, operations: [{ op: 'update', object: 'Contact', id: contact, fields: { LastName: lastName } }] });
    return { lastName, at };
  }));
  await waitFor(async () => { alive(); return sent.every((s) => commands.seenAt(s.lastName) !== undefined); }, 60_000);
  const ms = sent.flatMap((s) => { const at = commands.seenAt(s.lastName); return at === undefined ? [] : [at - s.at]; });
  return { sent: sent.length, seen: ms.length, p50Ms: Math.round(percentile(ms, 50)), p99Ms: Math.round(percentile(ms, 99)) };
}

main().catch((error) => {
  process.stderr.write(`bench:fleet-streams failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
