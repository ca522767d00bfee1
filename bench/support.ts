// Shared by the benchmark scripts: waits, child processes with their logs kept, memory and CPU from /proc,
// percentiles, orgs connected through OAuth, the stack's Kafka with its topics and taps, the apps' environment.
import type { ConnectionSettings, ConnectionsRepository, TokenCipher } from '@connector/persistence';
import { SalesforceOAuthClient } from '@connector/salesforce';
import { TOPICS, TopicProvisioner, startGroupAtEnd, type AvroSerde } from '@connector/kafka';
import { createLogger } from '@connector/observability';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether the check passed within the time (polled every 250 ms). */
export async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) return false;
    await sleep(250);
  }
  return true;
}

/** Waits for the check to pass; fails with `failure` when it has not within the time. */
export async function until(check: () => Promise<boolean>, timeoutMs: number, failure: string): Promise<void> {
  if (!(await waitFor(check, timeoutMs))) throw new Error(failure);
}

export const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
};

export function spawnLogged(args: string[], extraEnv: Record<string, string>, name: string): ChildProcess {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const logFile = process.env.BENCH_LOG_DIR ? join(process.env.BENCH_LOG_DIR, `${name}.log`) : null;
  if (process.env.BENCH_LOG_DIR) mkdirSync(process.env.BENCH_LOG_DIR, { recursive: true });
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-4000);
    if (logFile) appendFileSync(logFile, chunk);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  child.once('exit', (code, signal) => {
    if (code && code !== 0) process.stderr.write(`${name} exited with ${code ?? signal}:\n${tail}\n`);
  });
  return child;
}

/** Peak and current resident memory of a process, from /proc (Linux). */
export function memoryOf(pid: number): { peakMb: number; rssMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { peakMb: Math.round(kb('VmHWM') / 1024), rssMb: Math.round(kb('VmRSS') / 1024) };
}


/** CPU time (user + system) a process has used so far, ms, from /proc (Linux; clock ticks of 10 ms). */
export function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** The local store's process (FerretDB, started by scripts/stack.sh), null when the stack's store is external. */
export function localStorePid(): number | null {
  return stackPid('mongodb');
}

/** A process of the local stack (scripts/stack.sh's pid files), null when that service is not run by the stack. */
export function stackPid(service: 'mongodb' | 'kafka' | 'registry'): number | null {
  try {
    const pid = Number(readFileSync(join(process.env.STACK_CACHE_DIR ?? join(ROOT, '.cache'), 'run', `${service}.pid`), 'utf8').trim());
    return pid > 0 && existsSync(`/proc/${pid}`) ? pid : null;
  } catch {
    return null;
  }
}

/** The emulator's connected app. */
export const BENCH_CLIENT = { clientId: '3MVG9emulator.journy.connector.client', clientSecret: 'emulator-client-secret', redirectUri: 'http://localhost/callback' };

/** Connects the emulator's org through OAuth (authorization code with PKCE), as the API would, straight into the store. */
export async function connectBenchOrg(emulatorUrl: string, connections: ConnectionsRepository, cipher: TokenCipher, tenant: string, settings: ConnectionSettings, id = `con_bench${Date.now()}`): Promise<{ id: string; accessToken: string; instanceUrl: string; orgId: string }> {
  const oauth = new SalesforceOAuthClient(BENCH_CLIENT, { productionLoginUrl: emulatorUrl, sandboxLoginUrl: emulatorUrl, insecureHosts: [new URL(emulatorUrl).host] });
  const verifier = randomBytes(32).toString('base64url');
  const consent = await fetch(oauth.authorizeUrl({ loginUrl: emulatorUrl, state: 'b', codeChallenge: createHash('sha256').update(verifier).digest('base64url') }), { redirect: 'manual' });
  const tokens = await oauth.exchangeCode({ loginUrl: emulatorUrl, code: new URL(consent.headers.get('location')!).searchParams.get('code')!, codeVerifier: verifier });
  await connections.create(tenant, {
    name: 'bench', enabled: true,
    org: { orgId: tokens.orgId, instanceUrl: tokens.instanceUrl, loginUrl: emulatorUrl, environment: 'production', integrationUserId: tokens.userId, username: null },
    credentials: { accessToken: cipher.encrypt(tokens.accessToken, id), refreshToken: tokens.refreshToken ? cipher.encrypt(tokens.refreshToken, id) : null, issuedAt: tokens.issuedAt, scope: null },
    settings,
  }, id);
  return { id, accessToken: tokens.accessToken, instanceUrl: tokens.instanceUrl, orgId: tokens.orgId };
}

/** A client of the stack's broker, with the topics the apps use provisioned as the apps would. */
export async function benchKafka(clientId: string): Promise<Kafka> {
  const kafka = new Kafka({ brokers: stackVariable('KAFKA_BROKERS').split(','), clientId, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await new TopicProvisioner(admin, { partitions: Number(process.env.KAFKA_TOPIC_PARTITIONS ?? 6), replicationFactor: 1, retentionMs: 7 * 24 * 3600_000 }, createLogger({ name: 'bench', level: 'warn' }))
      .ensure([TOPICS.profileEvents, TOPICS.commands, TOPICS.syncLog, TOPICS.connectionChanges]);
  } finally {
    await admin.disconnect();
  }
  return kafka;
}

/**
 * Reads a topic from its end at the time of the call, each message decoded through the schema registry and passed to
 * `handle` (with the time it was received); resolves once reading.
 */
export async function tapTopic<T>(kafka: Kafka, serde: AvroSerde, topic: string, handle: (value: T, receivedAt: number) => void): Promise<Consumer> {
  const groupId = `bench-tap-${topic}-${Date.now()}`;
  await startGroupAtEnd(kafka, groupId, [topic]);
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 50 });
  await consumer.connect();
  await consumer.subscribe({ topic });
  await consumer.run({
    partitionsConsumedConcurrently: 6,
    eachMessage: async ({ message }) => {
      const receivedAt = Date.now();
      handle((await serde.decode(message.value!)) as T, receivedAt);
    },
  });
  return consumer;
}

interface StreamsHealth { checks: { streams?: { details?: { connections?: { connectionId: string; state: string }[] } } } }

/** The connections the ingest instances on these ports report streaming (their /health); none from one not answering. */
export async function streamingOn(ports: number[]): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const port of ports) {
    const health = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.json() as Promise<StreamsHealth>).catch(() => null);
    for (const c of health?.checks.streams?.details?.connections ?? []) if (c.state === 'streaming') ids.add(c.connectionId);
  }
  return ids;
}

/** What every app a benchmark starts needs: its store, the emulator (on `port`, one host per org) as Salesforce, the key ring. */
export function benchAppEnv(mongoUri: string, port: number, key: string): Record<string, string> {
  const emulator = `http://127.0.0.1:${port}`;
  return {
    MONGODB_URI: mongoUri, HTTP_HOST: '127.0.0.1', LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn', TOKEN_ENCRYPTION_KEYS: key,
    SALESFORCE_CLIENT_ID: 'x', SALESFORCE_CLIENT_SECRET: 'x', SALESFORCE_LOGIN_URL: emulator, SALESFORCE_SANDBOX_LOGIN_URL: emulator,
    SALESFORCE_INSECURE_HOSTS: `127.0.0.1:${port},127.1.*.*:${port}`,
  };
}

/** A variable the bench script's shell wrapper sets (it starts the stack); a clear error when run directly. */
export function stackVariable(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the benchmark through \`npm run bench:<name>\` (it starts the stack)`);
  return value;
}

/** The emulator's admin API: GET without a body, POST with one. */
export function emulatorAdmin(emulatorUrl: string) {
  return async <T>(path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${emulatorUrl}/__emulator/${path}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return response.json() as Promise<T>;
  };
}

/** API calls the emulator has counted (OAuth and streaming apart). */
export async function countedApiCalls(emulatorUrl: string): Promise<number> {
  const stats = await emulatorAdmin(emulatorUrl)<{ api: { byEndpoint: Record<string, number> } }>('stats');
  return Object.entries(stats.api.byEndpoint).filter(([endpoint]) => !endpoint.includes('cometd') && !endpoint.includes('oauth')).reduce((sum, [, n]) => sum + n, 0);
}

/** How far the group is behind on the profile-events topic, and how much it has consumed (committed). */
export async function lagOf(kafka: Kafka, group: string): Promise<{ lag: number; consumed: number }> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(TOPICS.profileEvents.name);
    const [committed] = await admin.fetchOffsets({ groupId: group, topics: [TOPICS.profileEvents.name] });
    let lag = 0;
    let consumed = 0;
    for (const end of ends) {
      const at = Number(committed.partitions.find((p) => p.partition === end.partition)?.offset ?? -1);
      const startAt = Number(end.low);
      lag += Number(end.high) - Math.max(at, startAt);
      consumed += Math.max(0, at - startAt);
    }
    return { lag, consumed };
  } finally {
    await admin.disconnect();
  }
}


/** An app's store commands so far, from its /metrics: count and seconds by `collection command`. */
export async function storeCommandsOf(port: number): Promise<Map<string, { count: number; seconds: number }>> {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text()).catch(() => '');
  const commands = new Map<string, { count: number; seconds: number }>();
  for (const line of text.split('\n')) {
    const m = /^connector_store_command(s_total|_seconds_total)\{([^}]*)\} ([0-9.e+-]+)$/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...m[2].matchAll(/(\w+)="([^"]*)"/g)].map(([, k, v]) => [k, v]));
    const key = `${labels.collection || '-'} ${labels.command}`;
    const entry = commands.get(key) ?? { count: 0, seconds: 0 };
    if (m[1] === 's_total') entry.count += Number(m[3]);
    else entry.seconds += Number(m[3]);
    commands.set(key, entry);
  }
  return commands;
}

/**
 * Store commands per record between two readings of several apps (`storeCommandsOf`), the busiest first: which
 * app sends which command to which collection, how many per record, and the mean time one waits (ms).
 */
export function storeCommandsPerRecord(apps: [string, Map<string, { count: number; seconds: number }>, Map<string, { count: number; seconds: number }>][], records: number): { app: string; command: string; perRecord: number; meanMs: number }[] {
  const rows = apps.flatMap(([app, before, after]) => [...after].map(([command, a]) => {
    const b = before.get(command) ?? { count: 0, seconds: 0 };
    const count = a.count - b.count;
    return { app, command, perRecord: Number((count / Math.max(1, records)).toFixed(3)), meanMs: count > 0 ? Number((((a.seconds - b.seconds) * 1000) / count).toFixed(2)) : 0 };
  }));
  return rows.filter((r) => r.perRecord >= 0.001).sort((x, y) => y.perRecord - x.perRecord);
}
