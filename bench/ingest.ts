// `npm run bench:ingest`: the ingest app on this machine, measured end to end against the Salesforce emulator
// and the real local stack. The emulator and the ingest app run as their own processes; this script connects
// the org and runs the initial import, then measures the live part once per change-stream source, CometD and
// Pub/Sub, side by side (bench/ingest-live.ts). Prints a table and writes bench/results/ingest.json.
import { createLogger } from '@connector/observability';
import { ConnectionsRepository, ImportJobsRepository, StreamOffsetsRepository, TokenCipher, connectMongo, defaultSettings } from '@connector/persistence';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LiveFigures, measureLive } from './ingest-live';
import { BENCH_CLIENT as CLIENT, ROOT, connectBenchOrg, countedApiCalls, emulatorAdmin, memoryOf, sleep, spawnLogged, stackVariable } from './support';

const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 200_000);
const CONTACTS = Number(process.env.BENCH_CONTACTS ?? 1_000_000);
const PAGE_SIZE = process.env.BENCH_PAGE_SIZE ?? '10000';
const EMULATOR_PORT = 18485;
const INGEST_PORT = 18486;
const PUBSUB_PORT = 18487;
const PUBSUB_CA = join(tmpdir(), `bench-pubsub-${process.pid}.pem`);
const EMULATOR = `http://127.0.0.1:${EMULATOR_PORT}`;
const KEY = `bench:${randomBytes(32).toString('base64')}`;

const env = stackVariable;
const admin = emulatorAdmin(EMULATOR);
const apiCalls = () => countedApiCalls(EMULATOR);

async function main(): Promise<void> {
  const results: Record<string, unknown> = { machine: { cpus: (await import('node:os')).cpus().length, node: process.version }, accounts: ACCOUNTS, contacts: CONTACTS };
  process.stdout.write(`seeding the emulator: ${ACCOUNTS} accounts, ${CONTACTS} contacts…\n`);
  const emulator = spawnLogged(['--max-old-space-size=12288', 'dist/tools/salesforce-emulator/src/cli.js', '--port', String(EMULATOR_PORT), '--accounts', String(ACCOUNTS), '--contacts', String(CONTACTS), '--relationships', '0', '--auto-approve', '--bulk-delay-ms', '10', '--cometd-timeout-ms', '25000', '--pubsub-port', String(PUBSUB_PORT), '--pubsub-cert-out', PUBSUB_CA, ...(process.env.BENCH_LATENCY ? ['--latency', process.env.BENCH_LATENCY] : [])], {}, 'emulator');
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
    const offsets = new StreamOffsetsRepository(mongo);
    await connections.ensureIndexes();
    await jobs.ensureIndexes();
    await offsets.ensureIndexes();
    const cipher = TokenCipher.fromConfig(KEY);
    const tenant = 'bench-tenant';
    const { id, ...tokens } = await connectBenchOrg(EMULATOR, connections, cipher, tenant, { ...defaultSettings(), accountExternalIdField: 'Journy_Account_Id__c', source: { ongoingImport: true, changeStream: null } });

    // The heap cap the Dockerfile gives the apps (ENV NODE_OPTIONS), so the figures are the deployed app's.
    const ingestEnv = {
      MONGODB_URI: mongoUri, HTTP_HOST: '127.0.0.1', LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn', TOKEN_ENCRYPTION_KEYS: KEY,
      SALESFORCE_CLIENT_ID: CLIENT.clientId, SALESFORCE_CLIENT_SECRET: CLIENT.clientSecret, SALESFORCE_LOGIN_URL: EMULATOR, SALESFORCE_SANDBOX_LOGIN_URL: EMULATOR,
      SALESFORCE_INSECURE_HOSTS: `127.0.0.1:${EMULATOR_PORT}`, INGEST_IMPORT_PAGE_SIZE: PAGE_SIZE, INGEST_POLL_INTERVAL_MS: '200',
      INGEST_PUBSUB_ENDPOINT: `127.0.0.1:${PUBSUB_PORT}`, INGEST_PUBSUB_CA_FILE: PUBSUB_CA,
    };
    const ingest = spawnLogged([`--max-old-space-size=${process.env.BENCH_INGEST_HEAP_MB ?? 192}`, 'dist/apps/ingest/src/main.js'], {
      ...ingestEnv, INGEST_PORT: String(INGEST_PORT), INGEST_OWNERSHIP_GROUP: `bench-owners-${Date.now()}`,
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

    results.ingestPeakRssMb = memoryOf(ingest.pid!).peakMb;
    ingest.kill('SIGTERM');
    await new Promise((resolve) => ingest.once('exit', resolve));

    // 2. Live, once per source, each on a fresh ingest instance against the same org.
    const orgId = (await admin<{ orgId: string }>('health')).orgId;
    const live: LiveFigures[] = [];
    for (const source of ['cometd', 'pubsub'] as const) {
      process.stdout.write(`live over ${source}…\n`);
      live.push(await measureLive({
        emulatorUrl: EMULATOR, admin, ingestEnv, connections, offsets, cipher, tenant, connectionId: id, accessToken: tokens.accessToken, instanceUrl: tokens.instanceUrl, orgId,
        pubsubEndpoint: `127.0.0.1:${PUBSUB_PORT}`, pubsubCaFile: PUBSUB_CA, port: INGEST_PORT + 10, children,
      }, source));
    }
    results.live = live;
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

function print(results: Record<string, unknown>): void {
  const imp = results.import as Record<string, number> | undefined;
  const rows: [string, string, string][] = [
    ['initial import rows/s', String(imp?.rowsPerSecond ?? '-'), '≥ 25,000'],
    ['  rows read / seconds', `${imp?.rows ?? '-'} / ${imp?.seconds ?? '-'}`, ''],
    ['ingest peak RSS during the import (MB)', String(results.ingestPeakRssMb ?? '-'), '< 300, flat'],
    ['Salesforce API calls per 10,000 records', String(imp?.apiCallsPer10kRecords ?? '-'), ''],
  ];
  const width = Math.max(...rows.map((r) => r[0].length), 44);
  process.stdout.write(`\n${'measure'.padEnd(width)}  ${'value'.padStart(18)}  target\n`);
  for (const [name, value, target] of rows) process.stdout.write(`${name.padEnd(width)}  ${value.padStart(18)}  ${target}\n`);
  const live = (results.live as LiveFigures[] | undefined) ?? [];
  const column = (pick: (f: LiveFigures) => string) => live.map((f) => pick(f).padStart(16)).join('  ');
  const liveRows: [string, (f: LiveFigures) => string, string][] = [
    ['live latency p50 / p99 (ms)', (f) => `${f.p50Ms} / ${f.p99Ms}`, ''],
    ['emulator delivery p50 / p99 (ms)', (f) => `${f.emulatorDeliveryP50Ms} / ${f.emulatorDeliveryP99Ms}`, ''],
    ['live p99 above the emulator (ms)', (f) => String(f.p99AboveEmulatorMs), 'Pub/Sub ≤ CometD'],
    ['sustained events/s, one instance', (f) => String(f.sustainedEventsPerSecond), ''],
    ['ingest CPU per event (ms)', (f) => String(f.cpuMsPerEvent), ''],
    ['connections streaming', (f) => String(f.connectionsStreaming), ''],
    ['RSS with 1 / all connections (MB)', (f) => `${f.rssOneConnectionMb} / ${f.rssAllConnectionsMb}`, ''],
    ['memory per connection (KB)', (f) => String(f.memoryPerConnectionKb), 'Pub/Sub < ½ CometD'],
  ];
  process.stdout.write(`\n${'live, by source'.padEnd(width)}  ${live.map((f) => f.source.padStart(16)).join('  ')}  target\n`);
  for (const [name, pick, target] of liveRows) process.stdout.write(`${name.padEnd(width)}  ${column(pick)}  ${target}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:ingest failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
