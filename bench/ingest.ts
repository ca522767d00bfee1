// `npm run bench:ingest`: the ingest app on this machine, measured end to end against the Salesforce emulator
// and the real local stack. The emulator and the ingest app run as their own processes; this script connects
// the org, runs the initial import, then drives live changes at a steady rate. Prints a table and writes
// bench/results/ingest.json.
import { AvroSerde, TOPICS, startGroupAtEnd } from '@connector/kafka';
import { createLogger } from '@connector/observability';
import { ConnectionsRepository, ImportJobsRepository, TokenCipher, connectMongo, defaultSettings } from '@connector/persistence';
import { CdcStream, SharedRefreshSession } from '@connector/salesforce';
import { Kafka, logLevel } from 'kafkajs';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_CLIENT as CLIENT, ROOT, connectBenchOrg, countedApiCalls, emulatorAdmin, memoryOf, percentile, sleep, spawnLogged, stackVariable } from './support';

const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 200_000);
const CONTACTS = Number(process.env.BENCH_CONTACTS ?? 1_000_000);
const LIVE_RATE = Number(process.env.BENCH_LIVE_RATE ?? 50); // changes per second
const LIVE_SECONDS = Number(process.env.BENCH_LIVE_SECONDS ?? 20);
const PAGE_SIZE = process.env.BENCH_PAGE_SIZE ?? '10000';
const EMULATOR_PORT = 18485;
const INGEST_PORT = 18486;
const EMULATOR = `http://127.0.0.1:${EMULATOR_PORT}`;
const KEY = `bench:${randomBytes(32).toString('base64')}`;

const env = stackVariable;
const admin = emulatorAdmin(EMULATOR);
const apiCalls = () => countedApiCalls(EMULATOR);

async function main(): Promise<void> {
  const results: Record<string, unknown> = { machine: { cpus: (await import('node:os')).cpus().length, node: process.version }, accounts: ACCOUNTS, contacts: CONTACTS };
  process.stdout.write(`seeding the emulator: ${ACCOUNTS} accounts, ${CONTACTS} contacts…\n`);
  const emulator = spawnLogged(['--max-old-space-size=12288', 'dist/tools/salesforce-emulator/src/cli.js', '--port', String(EMULATOR_PORT), '--accounts', String(ACCOUNTS), '--contacts', String(CONTACTS), '--relationships', '0', '--auto-approve', '--bulk-delay-ms', '10', '--cometd-timeout-ms', '25000'], {}, 'emulator');
  const children: ChildProcess[] = [emulator];
  const stopAll = () => children.forEach((c) => c.kill('SIGTERM'));
  process.once('SIGINT', () => { stopAll(); process.exit(130); });
  try {
    for (let i = 0; ; i++) {
      try { await admin('health'); break; } catch { if (i > 1200) throw new Error('emulator did not start'); await sleep(250); }
    }
    const counts = await admin<{ records: Record<string, number> }>('stats');
    results.records = counts.records;

    // Connect the org through OAuth (authorization code with PKCE), as the API would, straight into the store.
    const mongoUri = env('MONGODB_URI').replace(/\/[^/?]*(\?|$)/, `/bench_ingest_${Date.now()}$1`);
    const mongo = await connectMongo({ uri: mongoUri, attempts: 5 }, createLogger({ name: 'bench', level: 'silent' }));
    const connections = new ConnectionsRepository(mongo);
    const jobs = new ImportJobsRepository(mongo);
    await connections.ensureIndexes();
    await jobs.ensureIndexes();
    const cipher = TokenCipher.fromConfig(KEY);
    const tenant = 'bench-tenant';
    const { id, ...tokens } = await connectBenchOrg(EMULATOR, connections, cipher, tenant, { ...defaultSettings(), accountExternalIdField: 'Journy_Account_Id__c', source: { ongoingImport: true } });

    // The heap cap the Dockerfile gives the apps (ENV NODE_OPTIONS), so the figures are the deployed app's.
    const ingest = spawnLogged([`--max-old-space-size=${process.env.BENCH_INGEST_HEAP_MB ?? 192}`, 'dist/apps/ingest/src/main.js'], {
      MONGODB_URI: mongoUri, INGEST_PORT: String(INGEST_PORT), HTTP_HOST: '127.0.0.1', LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn', TOKEN_ENCRYPTION_KEYS: KEY,
      SALESFORCE_CLIENT_ID: CLIENT.clientId, SALESFORCE_CLIENT_SECRET: CLIENT.clientSecret, SALESFORCE_LOGIN_URL: EMULATOR, SALESFORCE_SANDBOX_LOGIN_URL: EMULATOR,
      SALESFORCE_INSECURE_HOSTS: `127.0.0.1:${EMULATOR_PORT}`, INGEST_IMPORT_PAGE_SIZE: PAGE_SIZE, INGEST_OWNERSHIP_GROUP: `bench-owners-${Date.now()}`, INGEST_POLL_INTERVAL_MS: '200',
    }, 'ingest');
    children.push(ingest);
    for (let i = 0; ; i++) {
      try { if ((await fetch(`http://127.0.0.1:${INGEST_PORT}/health/live`)).ok) break; } catch { if (i > 600) throw new Error('ingest did not start'); await sleep(200); }
    }

    // 1. Initial import.
    const callsBefore = await apiCalls();
    const job = await jobs.start(tenant, id, 'bench');
    const started = Date.now();
    let last = await jobs.get(tenant, id, job.id);
    let rssSamples = 0;
    let rssMax = 0;
    while (last && last.state !== 'SUCCEEDED' && last.state !== 'FAILED') {
      await sleep(500);
      last = await jobs.get(tenant, id, job.id);
      const memory = memoryOf(ingest.pid!);
      rssMax = Math.max(rssMax, memory.rssMb);
      rssSamples++;
      if (rssSamples % 20 === 0) {
        const read = Object.values(last!.counts).reduce((sum, c) => sum + c.read, 0);
        process.stdout.write(`  import: ${last!.phase} ${read} rows in ${((Date.now() - started) / 1000).toFixed(0)} s, ingest RSS ${memory.rssMb} MB\n`);
      }
    }
    if (last?.state !== 'SUCCEEDED') throw new Error(`import ${last?.state}: ${JSON.stringify(last?.errors)}`);
    const elapsedS = (last.finishedAt!.getTime() - last.startedAt!.getTime()) / 1000;
    const rows = Object.values(last.counts).reduce((sum, c) => sum + c.read, 0);
    const calls = (await apiCalls()) - callsBefore;
    const importMemory = memoryOf(ingest.pid!);
    results.import = {
      rows, seconds: elapsedS, rowsPerSecond: Math.round(rows / elapsedS), counts: last.counts,
      apiCalls: calls, apiCallsPer10kRecords: Number(((calls / rows) * 10_000).toFixed(2)),
      peakRssMb: importMemory.peakMb, sampledMaxRssMb: rssMax,
    };

    // 2. Live latency at a steady rate: a sales rep edits contacts; commands are read back from Kafka.
    for (let i = 0; i < 100; i++) {
      const health = (await (await fetch(`http://127.0.0.1:${INGEST_PORT}/health`)).json()) as { checks: { streams?: { details?: { connections?: { state: string }[] } } } };
      if (health.checks.streams?.details?.connections?.some((c) => c.state === 'streaming')) break;
      await sleep(200);
    }
    const kafka = new Kafka({ brokers: env('KAFKA_BROKERS').split(','), clientId: 'bench-tap', logLevel: logLevel.NOTHING });
    const serde = new AvroSerde(env('SCHEMA_REGISTRY_URL'));
    const latencies: number[] = [];
    const groupId = `bench-tap-${Date.now()}`;
    await startGroupAtEnd(kafka, groupId, [TOPICS.commands.name]);
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 50 });
    await consumer.connect();
    await consumer.subscribe({ topic: TOPICS.commands.name });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const received = Date.now();
        const command = (await serde.decode(message.value)) as { connectionId: string; mode: string; source: { modifiedAt: number | null } | null };
        if (command.connectionId === id && command.mode === 'LIVE' && command.source?.modifiedAt) latencies.push(received - command.source.modifiedAt);
      },
    });
    await sleep(1000);
    const contacts = (await admin<{ records: { Id: string }[] }>(`records/Contact?limit=${LIVE_RATE * LIVE_SECONDS}`)).records;
    const total = Math.min(contacts.length, LIVE_RATE * LIVE_SECONDS);
    const liveStart = Date.now();
    for (let i = 0; i < total; i++) {
      const due = liveStart + (i * 1000) / LIVE_RATE;
      if (due > Date.now()) await sleep(due - Date.now());
      void admin('act-as', { username: 'rep.alex@journy-demo.example', operations: [{ op: 'update', object: 'Contact', id: contacts[i].Id, fields: { LastName: `Live${i}` } }] });
    }
    for (let i = 0; i < 200 && latencies.length < total; i++) await sleep(100);
    await consumer.disconnect();
    // The emulator's own delivery delay (commit → event on a plain CometD client), for the same kind of change.
    const delivery = await emulatorDelivery(tokens.accessToken, tokens.instanceUrl);
    results.live = {
      ratePerSecond: LIVE_RATE, changes: total, commandsSeen: latencies.length,
      p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99),
      emulatorDeliveryP50Ms: percentile(delivery, 50), emulatorDeliveryP99Ms: percentile(delivery, 99),
      p99AboveEmulatorMs: percentile(latencies, 99) - percentile(delivery, 99),
    };
    results.ingestPeakRssMb = memoryOf(ingest.pid!).peakMb;
    await mongo.close();
  } finally {
    stopAll();
  }
  print(results);
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results', 'ingest.json'), `${JSON.stringify({ at: new Date().toISOString(), ...results }, null, 2)}\n`);
  process.stdout.write('written to bench/results/ingest.json\n');
  process.exit(0);
}

/** 100 changes at 20/s seen by a bare CometD subscriber (the CdcStream client, nothing behind it): the delay the emulator itself adds. */
async function emulatorDelivery(accessToken: string, instanceUrl: string): Promise<number[]> {
  const delays: number[] = [];
  const stream = new CdcStream(new SharedRefreshSession(instanceUrl, accessToken, async () => accessToken), {
    channel: '/data/ChangeEvents',
    replayFrom: () => -1,
    onEvent: async (event) => void delays.push(Date.now() - event.header.commitTimestamp),
    onProblem: (problem) => process.stderr.write(`delivery probe: ${problem.kind}\n`),
  });
  await stream.start();
  const contacts = (await admin<{ records: { Id: string }[] }>('records/Contact?limit=100')).records;
  for (const [i, contact] of contacts.entries()) {
    await admin('act-as', { username: 'rep.alex@journy-demo.example', operations: [{ op: 'update', object: 'Contact', id: contact.Id, fields: { Title: `Probe${i}` } }] });
    await sleep(50);
  }
  await sleep(1000);
  await stream.stop();
  return delays;
}

function print(results: Record<string, unknown>): void {
  const imp = results.import as Record<string, number> | undefined;
  const live = results.live as Record<string, number> | undefined;
  const rows: [string, string, string][] = [
    ['initial import rows/s', String(imp?.rowsPerSecond ?? '-'), '≥ 25,000'],
    ['  rows read / seconds', `${imp?.rows ?? '-'} / ${imp?.seconds ?? '-'}`, ''],
    ['ingest peak RSS (MB)', String(results.ingestPeakRssMb ?? '-'), '< 300, flat'],
    ['Salesforce API calls per 10,000 records', String(imp?.apiCallsPer10kRecords ?? '-'), ''],
    [`live latency p50 / p99 (ms) at ${live?.ratePerSecond ?? '-'}/s`, `${live?.p50Ms ?? '-'} / ${live?.p99Ms ?? '-'}`, ''],
    ['emulator delivery p50 / p99 (ms)', `${live?.emulatorDeliveryP50Ms ?? '-'} / ${live?.emulatorDeliveryP99Ms ?? '-'}`, ''],
    ['live p99 above the emulator (ms)', String(live?.p99AboveEmulatorMs ?? '-'), '< 250'],
  ];
  const width = Math.max(...rows.map((r) => r[0].length));
  process.stdout.write(`\n${'measure'.padEnd(width)}  ${'value'.padStart(18)}  target\n`);
  for (const [name, value, target] of rows) process.stdout.write(`${name.padEnd(width)}  ${value.padStart(18)}  ${target}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:ingest failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
