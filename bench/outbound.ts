// `npm run bench:outbound`: journy → Salesforce on this machine, end to end against the Salesforce emulator and
// the real local stack. The emulator and the journy-events app run as their own processes. A backlog of profile
// events (the journy simulator's mix over BENCH_USERS users and BENCH_ACCOUNTS accounts) is published, then the
// app drains it; then events flow at a moderate steady rate for the latency figures. In the same run: the raw
// kafkajs consume rate of the same events (the ceiling) and a naive per-record writer (one lookup and one write
// per event) for comparison. Prints a table and writes bench/results/outbound.json.
import { AvroProducer, AvroSerde, TOPICS, TopicProvisioner, startGroupAtEnd, type ProfileEvent } from '@connector/kafka';
import { createLogger } from '@connector/observability';
import { ConnectionsRepository, ImportJobsRepository, TokenCipher, connectMongo, defaultSettings } from '@connector/persistence';
import { SalesforceRestClient, SharedRefreshSession, queryRecords, soqlString } from '@connector/salesforce';
import { Kafka, logLevel } from 'kafkajs';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_ORG_MAPPINGS, JournySimulator, populationFromEmulator } from '@tools/journy-simulator';
import { ROOT, connectBenchOrg, countedApiCalls, emulatorAdmin, lagOf, memoryOf, percentile, sleep, spawnLogged, stackVariable } from './support';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
const USERS = Number(process.env.BENCH_USERS ?? 20_000);
const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 5_000);
const STEADY_RATE = Number(process.env.BENCH_STEADY_RATE ?? 200);
const STEADY_SECONDS = Number(process.env.BENCH_STEADY_SECONDS ?? 20);
const NAIVE_SECONDS = Number(process.env.BENCH_NAIVE_SECONDS ?? 20);
const EMULATOR_PORT = 18495;
const APP_PORT = 18496;
const EMULATOR = `http://127.0.0.1:${EMULATOR_PORT}`;
const KEY = `bench:${randomBytes(32).toString('base64')}`;

const env = stackVariable;
const admin = emulatorAdmin(EMULATOR);
const apiCalls = () => countedApiCalls(EMULATOR);

/** A counter of the app's Prometheus metrics, summed over its labels that match. */
async function metric(name: string, label = ''): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${APP_PORT}/metrics`)).text();
  return text.split('\n').filter((l) => l.startsWith(name) && l.includes(label)).reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

async function main(): Promise<void> {
  const results: Record<string, unknown> = { machine: { cpus: (await import('node:os')).cpus().length, node: process.version }, events: EVENTS, users: USERS, accounts: ACCOUNTS };
  const emulator = spawnLogged(['--max-old-space-size=4096', 'dist/tools/salesforce-emulator/src/cli.js', '--port', String(EMULATOR_PORT), '--accounts', String(ACCOUNTS), '--contacts', String(USERS), '--relationships', '0', '--auto-approve', '--bulk-delay-ms', '10'], {}, 'emulator');
  const children: ChildProcess[] = [emulator];
  const stopAll = () => children.forEach((c) => c.kill('SIGTERM'));
  process.once('SIGINT', () => { stopAll(); process.exit(130); });
  try {
    for (let i = 0; ; i++) {
      try { await admin('health'); break; } catch { if (i > 1200) throw new Error('emulator did not start'); await sleep(250); }
    }
    const mongoUri = env('MONGODB_URI').replace(/\/[^/?]*(\?|$)/, `/bench_outbound_${Date.now()}$1`);
    const mongo = await connectMongo({ uri: mongoUri, attempts: 5 }, createLogger({ name: 'bench', level: 'silent' }));
    const connections = new ConnectionsRepository(mongo);
    await connections.ensureIndexes();
    const cipher = TokenCipher.fromConfig(KEY);
    const tenant = `bench-${Date.now()}`;
    const org = await connectBenchOrg(EMULATOR, connections, cipher, tenant, {
      ...defaultSettings(), accountExternalIdField: 'Journy_Account_Id__c', destination: { ...defaultSettings().destination, ...DEMO_ORG_MAPPINGS },
    });

    // As in production, the org was imported first (by the ingest app): its records are linked to journy keys.
    const jobs = new ImportJobsRepository(mongo);
    await jobs.ensureIndexes();
    const ingest = spawnLogged(['dist/apps/ingest/src/main.js'], {
      MONGODB_URI: mongoUri, INGEST_PORT: String(APP_PORT + 1), HTTP_HOST: '127.0.0.1', LOG_LEVEL: 'warn', TOKEN_ENCRYPTION_KEYS: KEY,
      SALESFORCE_CLIENT_ID: 'x', SALESFORCE_CLIENT_SECRET: 'x', SALESFORCE_LOGIN_URL: EMULATOR, SALESFORCE_SANDBOX_LOGIN_URL: EMULATOR, SALESFORCE_INSECURE_HOSTS: `127.0.0.1:${EMULATOR_PORT}`,
      INGEST_OWNERSHIP_GROUP: `bench-owners-${Date.now()}`, INGEST_POLL_INTERVAL_MS: '200',
    }, 'ingest');
    children.push(ingest);
    const job = await jobs.start(tenant, org.id, 'bench');
    for (let i = 0; ; i++) {
      const state = (await jobs.get(tenant, org.id, job.id))?.state;
      if (state === 'SUCCEEDED') break;
      if (state === 'FAILED' || i > 1200) throw new Error(`the initial import did not succeed: ${state}`);
      await sleep(250);
    }
    ingest.kill('SIGTERM');
    process.stdout.write('initial import done (ingest stopped: the figures below are journy-events alone)\n');

    // The journy side: the emulator's contacts and accounts as journy users and accounts; a backlog of events.
    const population = await populationFromEmulator(EMULATOR, { users: USERS, accounts: ACCOUNTS });
    const simulator = new JournySimulator({ tenantId: tenant, population, randomSeed: 3 });
    const kafka = new Kafka({ brokers: env('KAFKA_BROKERS').split(','), clientId: 'bench-outbound', logLevel: logLevel.NOTHING });
    const serde = new AvroSerde(env('SCHEMA_REGISTRY_URL'));
    await serde.registerContract('journy.profile-events.v1', TOPICS.profileEvents.name);
    const producer = new AvroProducer(kafka, serde);
    await producer.connect();
    const group = `bench-outbound-${Date.now()}`;
    const rawGroup = `${group}-raw`;
    // The topic as the apps provision it (partitions, retention), its leaders elected: a fresh stack has none yet.
    const admin_ = kafka.admin();
    await admin_.connect();
    await new TopicProvisioner(admin_, { partitions: Number(process.env.KAFKA_TOPIC_PARTITIONS ?? 6), replicationFactor: 1, retentionMs: 7 * 24 * 3600_000 }, createLogger({ name: 'bench', level: 'warn' })).ensure([TOPICS.profileEvents]);
    await admin_.disconnect();
    await startGroupAtEnd(kafka, group, [TOPICS.profileEvents.name]);
    await startGroupAtEnd(kafka, rawGroup, [TOPICS.profileEvents.name]);
    process.stdout.write(`publishing ${EVENTS} profile events over ${population.users.length} users and ${population.accounts.length} accounts…\n`);
    for (let sent = 0; sent < EVENTS; sent += 5000) {
      await producer.send(TOPICS.profileEvents.name, 'journy.profile-events.v1', Array.from({ length: Math.min(5000, EVENTS - sent) }, () => simulator.next()));
    }

    // 1. The ceiling: kafkajs reading and decoding the same events.
    const raw = kafka.consumer({ groupId: rawGroup, maxBytesPerPartition: 4 * 1024 * 1024 });
    await raw.connect();
    await raw.subscribe({ topic: TOPICS.profileEvents.name });
    let rawCount = 0;
    const rawStart = Date.now();
    let rawEnd = 0;
    await raw.run({ eachBatch: async ({ batch }) => { for (const m of batch.messages) { await serde.decode(m.value); rawCount++; } if (rawCount >= EVENTS && !rawEnd) rawEnd = Date.now(); } });
    while (!rawEnd) await sleep(50);
    await raw.disconnect();
    const rawRate = Math.round(EVENTS / ((rawEnd - rawStart) / 1000));
    results.rawConsume = { events: EVENTS, seconds: (rawEnd - rawStart) / 1000, eventsPerSecond: rawRate };
    process.stdout.write(`  raw kafkajs consume + decode: ${rawRate} events/s\n`);

    // 2. The connector drains the backlog.
    const app = spawnLogged([`--max-old-space-size=${process.env.BENCH_APP_HEAP_MB ?? 192}`, ...(process.env.BENCH_APP_NODE_ARGS ?? '').split(' ').filter(Boolean), 'dist/apps/journy-events/src/main.js'], {
      MONGODB_URI: mongoUri, JOURNY_EVENTS_PORT: String(APP_PORT), HTTP_HOST: '127.0.0.1', LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn', TOKEN_ENCRYPTION_KEYS: KEY,
      SALESFORCE_CLIENT_ID: 'x', SALESFORCE_CLIENT_SECRET: 'x', SALESFORCE_LOGIN_URL: EMULATOR, SALESFORCE_SANDBOX_LOGIN_URL: EMULATOR, SALESFORCE_INSECURE_HOSTS: `127.0.0.1:${EMULATOR_PORT}`,
      JOURNY_EVENTS_GROUP: group, JOURNY_EVENTS_CONCURRENCY: process.env.BENCH_CONCURRENCY ?? '6',
      ...(process.env.BENCH_BULK_MIN_RECORDS ? { JOURNY_EVENTS_BULK_MIN_RECORDS: process.env.BENCH_BULK_MIN_RECORDS } : {}),
    }, 'journy-events');
    children.push(app);
    const callsBefore = await apiCalls();
    let drainStart = 0;
    for (let i = 0; ; i++) {
      try { if ((await fetch(`http://127.0.0.1:${APP_PORT}/health/live`)).ok) break; } catch { if (i > 600) throw new Error('journy-events did not start'); }
      await sleep(100);
    }
    let samples = 0;
    for (;;) {
      await sleep(500);
      const done = await lagOf(kafka, group);
      if (!drainStart && done.consumed > 0) drainStart = Date.now() - 500;
      if (done.lag === 0 && done.consumed > 0) break;
      if (++samples % 10 === 0) process.stdout.write(`  draining: lag ${done.lag}, RSS ${memoryOf(app.pid!).rssMb} MB\n`);
    }
    const drainSeconds = (Date.now() - drainStart) / 1000;
    const written = await metric('outbound_records_total', 'outcome="SUCCEEDED"');
    const calls = (await apiCalls()) - callsBefore;
    results.connector = {
      eventsPerSecond: Math.round(EVENTS / drainSeconds), recordsWritten: written, recordsWrittenPerSecond: Math.round(written / drainSeconds), seconds: drainSeconds,
      apiCalls: calls, apiCallsPer1000Records: Number(((calls / Math.max(1, written)) * 1000).toFixed(2)),
      outcomes: Object.fromEntries(await Promise.all(['SUCCEEDED', 'SKIPPED', 'FAILED', 'RETRYING'].map(async (o) => [o, await metric('outbound_records_total', `outcome="${o}"`)]))),
      callsByKind: Object.fromEntries(await Promise.all(['collections', 'query', 'bulk', 'describe'].map(async (k) => [k, await metric('outbound_salesforce_calls_total', `kind="${k}"`)]))),
    };
    process.stdout.write(`  connector: ${JSON.stringify(results.connector)}\n`);

    // 3. Steady state: a moderate rate; latency from the event's time to its sync-log line (written to Salesforce).
    const steadyCallsBefore = await apiCalls();
    const writtenBefore = await metric('outbound_records_total', 'outcome="SUCCEEDED"');
    const tapGroup = `${group}-tap`;
    await startGroupAtEnd(kafka, tapGroup, [TOPICS.syncLog.name]);
    const tap = kafka.consumer({ groupId: tapGroup, maxWaitTimeInMs: 50 });
    const logSerde = new AvroSerde(env('SCHEMA_REGISTRY_URL'));
    const published = new Map<string, number>();
    const latencies: number[] = [];
    await tap.connect();
    await tap.subscribe({ topic: TOPICS.syncLog.name });
    await tap.run({
      eachMessage: async ({ message }) => {
        const log = (await logSerde.decode(message.value)) as { status: string; correlationId: string | null; occurredAt: number };
        const at = log.correlationId ? published.get(log.correlationId) : undefined;
        if (log.status === 'SUCCEEDED' && at) latencies.push(log.occurredAt - at);
      },
    });
    await sleep(1000);
    const total = STEADY_RATE * STEADY_SECONDS;
    const steadyStart = Date.now();
    for (let i = 0; i < total; i++) {
      const due = steadyStart + (i * 1000) / STEADY_RATE;
      if (due > Date.now()) await sleep(due - Date.now());
      const event = simulator.of(i % 2 === 0 ? 'userScores' : 'accountScores') as { key: string; value: ProfileEvent };
      published.set(event.value.eventId, event.value.occurredAt);
      void producer.send(TOPICS.profileEvents.name, 'journy.profile-events.v1', [event]);
    }
    for (let i = 0; i < 100 && (await lagOf(kafka, group)).lag > 0; i++) await sleep(100);
    await sleep(1500);
    await tap.disconnect();
    const steadyCalls = (await apiCalls()) - steadyCallsBefore;
    const steadyWritten = (await metric('outbound_records_total', 'outcome="SUCCEEDED"')) - writtenBefore;
    const memory = memoryOf(app.pid!);
    results.steady = {
      ratePerSecond: STEADY_RATE, events: total, recordsWritten: steadyWritten, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99),
      apiCalls: steadyCalls, apiCallsPer1000Records: Number(((steadyCalls / Math.max(1, steadyWritten)) * 1000).toFixed(2)),
    };
    results.peakRssMb = memory.peakMb;
    process.stdout.write(`  steady: ${JSON.stringify(results.steady)}\n`);

    // 4. The naive baseline: one lookup and one write per event, one at a time, as most peers do.
    const session = new SharedRefreshSession(org.instanceUrl, org.accessToken, async () => org.accessToken);
    const rest = new SalesforceRestClient(session, { callOptionsClient: 'bench-naive' });
    const naiveEnd = Date.now() + NAIVE_SECONDS * 1000;
    let naive = 0;
    while (Date.now() < naiveEnd) {
      const { value } = simulator.of('userScores');
      const [row] = await queryRecords(rest, `SELECT Id FROM Contact WHERE Email = ${soqlString(value.entity.email!)}`);
      if (row) await rest.request('PATCH', `/sobjects/Contact/${String(row.Id)}`, { Engagement_Score__c: Math.round(Math.random() * 100) });
      naive++;
    }
    const naiveRate = naive / NAIVE_SECONDS;
    results.naive = { events: naive, seconds: NAIVE_SECONDS, eventsPerSecond: Number(naiveRate.toFixed(1)), apiCallsPer1000Records: 2000 };
    const connector = results.connector as { eventsPerSecond: number; recordsWrittenPerSecond: number };
    results.comparison = {
      shareOfRawConsumeRate: Number((connector.eventsPerSecond / rawRate).toFixed(3)),
      timesNaiveThroughput: Number((connector.eventsPerSecond / naiveRate).toFixed(1)),
    };
    await producer.disconnect();
    await mongo.close();

    mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
    writeFileSync(join(ROOT, 'bench', 'results', 'outbound.json'), `${JSON.stringify(results, null, 2)}\n`);
    const steady = results.steady as { p50Ms: number; p99Ms: number; apiCallsPer1000Records: number };
    const table = [
      ['events (backlog)', `${EVENTS} over ${population.users.length} users, ${population.accounts.length} accounts`],
      ['connector: events/s end to end', `${connector.eventsPerSecond} (records written/s: ${connector.recordsWrittenPerSecond})`],
      ['raw kafkajs consume+decode events/s', `${rawRate}`],
      ['share of the raw rate (target ≥ 0.40)', `${(results.comparison as { shareOfRawConsumeRate: number }).shareOfRawConsumeRate}`],
      ['naive per-record baseline events/s', `${naiveRate.toFixed(1)}`],
      ['times the naive throughput (target > 20)', `${(results.comparison as { timesNaiveThroughput: number }).timesNaiveThroughput}`],
      ['API calls / 1000 records, backlog', `${(results.connector as { apiCallsPer1000Records: number }).apiCallsPer1000Records}`],
      [`API calls / 1000 records, steady (target ≤ 8)`, `${steady.apiCallsPer1000Records}`],
      [`latency at ${STEADY_RATE}/s p50 / p99 ms`, `${steady.p50Ms} / ${steady.p99Ms}`],
      ['journy-events peak RSS MB', `${memory.peakMb}`],
    ];
    process.stdout.write(`\n${table.map(([k, v]) => `${k.padEnd(44)} ${v}`).join('\n')}\n\nwritten to bench/results/outbound.json\n`);
  } finally {
    stopAll();
  }
}

main().catch((error) => {
  process.stderr.write(`bench:outbound failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
