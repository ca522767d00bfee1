// The live part of `npm run bench:ingest`, once per change-stream source (CometD, Pub/Sub), side by side in one
// run against the same emulator: latency at a steady rate above the emulator's own delivery, sustained events
// per second of one instance, ingest CPU per event, and memory per connection with 200 connections streaming.
import { AvroSerde, TOPICS, startGroupAtEnd } from '@connector/kafka';
import type { ConnectionsRepository, StreamOffsetsRepository, TokenCipher } from '@connector/persistence';
import { CdcStream, ChangeStream, PubSubChannel, PubSubStream, SharedRefreshSession, StreamSource } from '@connector/salesforce';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connectBenchOrg, cpuMsOf, memoryOf, percentile, sleep, spawnLogged, stackVariable } from './support';

export interface LiveBench {
  emulatorUrl: string;
  admin: <T>(path: string, body?: unknown) => Promise<T>;
  /** The ingest app's environment for a run; the source and the port are added here. */
  ingestEnv: Record<string, string>;
  connections: ConnectionsRepository;
  offsets: StreamOffsetsRepository;
  cipher: TokenCipher;
  tenant: string;
  /** The imported connection: its records are linked, so updates to them are plain live changes. */
  connectionId: string;
  accessToken: string;
  instanceUrl: string;
  orgId: string;
  pubsubEndpoint: string;
  pubsubCaFile: string;
  port: number;
  children: ChildProcess[];
}

export interface LiveFigures {
  source: StreamSource;
  ratePerSecond: number;
  changes: number;
  commandsSeen: number;
  p50Ms: number;
  p99Ms: number;
  emulatorDeliveryP50Ms: number;
  emulatorDeliveryP99Ms: number;
  p99AboveEmulatorMs: number;
  burstEvents: number;
  sustainedEventsPerSecond: number;
  cpuMsPerEvent: number;
  connectionsStreaming: number;
  rssOneConnectionMb: number;
  rssAllConnectionsMb: number;
  memoryPerConnectionKb: number;
}

const LIVE_RATE = Number(process.env.BENCH_LIVE_RATE ?? 50);
const LIVE_SECONDS = Number(process.env.BENCH_LIVE_SECONDS ?? 20);
const BURST = Number(process.env.BENCH_BURST ?? 5000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 200);

interface Health { checks: { streams?: { details?: { connections?: { connectionId: string; state: string; source: string | null }[] } } } }

export async function measureLive(bench: LiveBench, source: StreamSource): Promise<LiveFigures> {
  const current = (await bench.connections.findById(bench.tenant, bench.connectionId))!;
  await bench.connections.update(bench.tenant, bench.connectionId, { settings: { ...current.settings, source: { ...current.settings.source, changeStream: source } } });
  const ingest = spawnLogged([`--max-old-space-size=${process.env.BENCH_INGEST_HEAP_MB ?? 192}`, 'dist/apps/ingest/src/main.js'], {
    // The default poll interval: 200 connections looked at every 200 ms would be the store's load, not the stream's.
    ...bench.ingestEnv, INGEST_PORT: String(bench.port), INGEST_CHANGE_STREAM: source, INGEST_OWNERSHIP_GROUP: `bench-owners-${source}-${Date.now()}`, INGEST_POLL_INTERVAL_MS: '2000',
  }, `ingest-${source}`);
  bench.children.push(ingest);
  const streaming = async () => {
    try {
      const health = (await (await fetch(`http://127.0.0.1:${bench.port}/health`)).json()) as Health;
      return (health.checks.streams?.details?.connections ?? []).filter((c) => c.state === 'streaming' && c.source === source);
    } catch {
      return [];
    }
  };
  for (let i = 0; (await streaming()).length === 0; i++) {
    if (i > 600) throw new Error(`ingest did not stream over ${source}`);
    await sleep(200);
  }
  await sleep(3000); // the hand-over's replay of the other source's events is over

  const tap = await commandTap(bench.connectionId);
  try {
    // 1. Latency at a steady rate.
    const contacts = (await bench.admin<{ records: { Id: string }[] }>(`records/Contact?limit=${Math.max(LIVE_RATE * LIVE_SECONDS, BURST)}`)).records;
    const total = Math.min(contacts.length, LIVE_RATE * LIVE_SECONDS);
    const steady = `Live-${source}-`;
    const liveStart = Date.now();
    for (let i = 0; i < total; i++) {
      const due = liveStart + (i * 1000) / LIVE_RATE;
      if (due > Date.now()) await sleep(due - Date.now());
      void bench.admin('act-as', { username: 'rep.alex@journy-demo.example', operations: [{ op: 'update', object: 'Contact', id: contacts[i].Id, fields: { LastName: `${steady}${i}` } }] });
    }
    for (let i = 0; i < 300 && tap.seen(steady).length < total; i++) await sleep(100);
    const latencies = tap.seen(steady).map((c) => c.receivedAt - c.modifiedAt);

    // 2. A burst: how fast one instance turns a backlog of changes into commands, and its CPU for them.
    const burst = `Burst-${source}-`;
    const burstCount = Math.min(contacts.length, BURST);
    const cpuBefore = cpuMsOf(ingest.pid!);
    const burstStart = Date.now();
    for (let from = 0; from < burstCount; from += 250) {
      const operations = contacts.slice(from, Math.min(burstCount, from + 250)).map((c, j) => ({ op: 'update', object: 'Contact', id: c.Id, fields: { LastName: `${burst}${from + j}` } }));
      await bench.admin('act-as', { username: 'rep.alex@journy-demo.example', operations });
    }
    for (let i = 0; i < 1200 && tap.seen(burst).length < burstCount; i++) await sleep(100);
    const burstSeen = tap.seen(burst);
    const lastAt = Math.max(...burstSeen.map((c) => c.receivedAt));
    const cpuMs = cpuMsOf(ingest.pid!) - cpuBefore;
    const sustained = Math.round((burstSeen.length * 1000) / Math.max(1, lastAt - burstStart));

    // 3. The emulator's own delivery on this source, to a bare subscriber with nothing behind it.
    const delivery = await emulatorDelivery(bench, source);

    // 4. Memory per connection: the same instance with CONNECTIONS connections streaming, idle.
    await sleep(2000);
    const rssOne = memoryOf(ingest.pid!).rssMb;
    // Each in a tenant of its own (an org is connected once per tenant), all on the same emulated org.
    const extra: { tenant: string; id: string }[] = [];
    for (let i = 1; i < CONNECTIONS; i++) {
      const tenant = `${bench.tenant}-${source}-${i}`;
      const { id } = await connectBenchOrg(bench.emulatorUrl, bench.connections, bench.cipher, tenant, { ...current.settings, source: { ongoingImport: false, changeStream: source } }, `con_bench_${source}_${i}_${Date.now()}`);
      await bench.offsets.reset(tenant, id, '/data/ChangeEvents', Date.now(), 'LATEST'); // from the tip: no backlog to replay
      extra.push({ tenant, id });
    }
    // The ownership reconcile picks them up within 30 s.
    for (let i = 0; i < 900 && (await streaming()).length < CONNECTIONS; i++) await sleep(200);
    const connectionsStreaming = (await streaming()).length;
    await sleep(5000);
    const rssAll = memoryOf(ingest.pid!).rssMb;
    // Gone before the next source's run: even a disabled connection's worker looks at the store every poll interval.
    for (let i = 0; i < extra.length; i += 20) await Promise.all(extra.slice(i, i + 20).map(({ tenant, id }) => bench.connections.delete(tenant, id)));

    return {
      source, ratePerSecond: LIVE_RATE, changes: total, commandsSeen: latencies.length,
      p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99),
      emulatorDeliveryP50Ms: percentile(delivery, 50), emulatorDeliveryP99Ms: percentile(delivery, 99),
      p99AboveEmulatorMs: percentile(latencies, 99) - percentile(delivery, 99),
      burstEvents: burstSeen.length, sustainedEventsPerSecond: sustained, cpuMsPerEvent: Number((cpuMs / Math.max(1, burstSeen.length)).toFixed(3)),
      connectionsStreaming, rssOneConnectionMb: rssOne, rssAllConnectionsMb: rssAll,
      memoryPerConnectionKb: Math.round(((rssAll - rssOne) * 1024) / Math.max(1, connectionsStreaming - 1)),
    };
  } finally {
    await tap.close();
    ingest.kill('SIGTERM');
    await new Promise((resolve) => ingest.once('exit', resolve));
  }
}

/** LIVE commands of one connection as they arrive, by the last name they carry. */
async function commandTap(connectionId: string) {
  const kafka = new Kafka({ brokers: stackVariable('KAFKA_BROKERS').split(','), clientId: 'bench-tap', logLevel: logLevel.NOTHING });
  const serde = new AvroSerde(stackVariable('SCHEMA_REGISTRY_URL'));
  const groupId = `bench-tap-${Date.now()}`;
  await startGroupAtEnd(kafka, groupId, [TOPICS.commands.name]);
  const consumer: Consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 50 });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPICS.commands.name });
  const seen: { lastName: string; modifiedAt: number; receivedAt: number }[] = [];
  await consumer.run({
    eachMessage: async ({ message }) => {
      const receivedAt = Date.now();
      const command = JSON.parse(JSON.stringify(await serde.decode(message.value))) as { connectionId: string; mode: string; source: { modifiedAt: number | null } | null; payload: Record<string, { properties?: { last_name?: string } }> };
      const lastName = Object.values(command.payload)[0]?.properties?.last_name;
      if (command.connectionId === connectionId && command.mode === 'LIVE' && command.source?.modifiedAt && lastName) seen.push({ lastName, modifiedAt: command.source.modifiedAt, receivedAt });
    },
  });
  await sleep(1000);
  return { seen: (prefix: string) => seen.filter((c) => c.lastName.startsWith(prefix)), close: () => consumer.disconnect() };
}

/** 100 changes at 20/s seen by a bare subscriber of the source (our stream client, nothing behind it). */
async function emulatorDelivery(bench: LiveBench, source: StreamSource): Promise<number[]> {
  const delays: number[] = [];
  const session = new SharedRefreshSession(bench.instanceUrl, bench.accessToken, async () => bench.accessToken);
  const options = {
    channel: '/data/ChangeEvents', replayFrom: () => 'LATEST' as const,
    onEvent: async (event: { header: { commitTimestamp: number } }) => void delays.push(Date.now() - event.header.commitTimestamp),
    onProblem: (problem: { kind: string }) => process.stderr.write(`delivery probe: ${problem.kind}\n`),
  };
  const channel = source === 'pubsub' ? new PubSubChannel({ endpoint: bench.pubsubEndpoint, tls: true, rootCertificates: readFileSync(bench.pubsubCaFile, 'utf8') }) : null;
  const stream: ChangeStream = channel ? new PubSubStream(channel, session, { ...options, orgId: bench.orgId }) : new CdcStream(session, options);
  await stream.start();
  await sleep(1000);
  const contacts = (await bench.admin<{ records: { Id: string }[] }>('records/Contact?limit=100')).records;
  for (const [i, contact] of contacts.entries()) {
    await bench.admin('act-as', { username: 'rep.alex@journy-demo.example', operations: [{ op: 'update', object: 'Contact', id: contact.Id, fields: { Title: `Probe-${source}-${i}` } }] });
    await sleep(50);
  }
  await sleep(1500);
  await stream.stop();
  channel?.close();
  return delays;
}
