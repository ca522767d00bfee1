// `npm run bench:emulator`: what the Salesforce emulator sustains on this machine, with a million-plus records
// loaded. Starts the emulator as its own process, drives it over HTTP with keep-alive connections, prints a
// table and writes bench/results/emulator.json.
import { ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const VERSION = '62.0';
const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 200_000);
const CONTACTS = Number(process.env.BENCH_CONTACTS ?? 800_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const PORT = Number(process.env.BENCH_PORT ?? 18484);
const BASE = `http://127.0.0.1:${PORT}`;

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = request(`${BASE}${path}`, { method, agent, headers: { 'content-type': 'application/json', ...headers, ...(payload ? { 'content-length': Buffer.byteLength(payload) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

async function json<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  const reply = await call(method, path, body, headers);
  if (reply.status >= 300) throw new Error(`${method} ${path}: ${reply.status} ${reply.body.toString().slice(0, 300)}`);
  return JSON.parse(reply.body.toString()) as T;
}

async function startEmulator(): Promise<{ child: ChildProcess; startupMs: number }> {
  const child = spawn(process.execPath, ['--max-old-space-size=12288', join(ROOT, 'dist/tools/salesforce-emulator/src/cli.js'), '--port', String(PORT), '--accounts', String(ACCOUNTS), '--contacts', String(CONTACTS), '--bulk-delay-ms', '10'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]);
    });
    child.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
  });
  return { child, startupMs: (JSON.parse(line) as { startupMs: number }).startupMs };
}

/** Runs `worker` on `concurrency` loops for `seconds`; returns operations per second and units per second. */
async function sustained(seconds: number, concurrency: number, worker: (i: number) => Promise<number>): Promise<{ opsPerSecond: number; unitsPerSecond: number; ops: number }> {
  const deadline = Date.now() + seconds * 1000;
  let ops = 0;
  let units = 0;
  let counter = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < deadline) {
        const done = await worker(counter++);
        units += done;
        ops++;
      }
    }),
  );
  const elapsed = (Date.now() - started) / 1000;
  return { opsPerSecond: ops / elapsed, unitsPerSecond: units / elapsed, ops };
}

async function main(): Promise<void> {
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  process.stdout.write(`starting the emulator with ${ACCOUNTS} accounts and ${CONTACTS} contacts…\n`);
  const { child, startupMs } = await startEmulator();
  try {
    const loaded = await json<{ records: Record<string, number>; memory: NodeJS.MemoryUsage }>('GET', '/__emulator/stats');
    const totalRecords = Object.values(loaded.records).reduce((a, b) => a + b, 0);
    const token = await json<{ access_token: string }>('POST', '/services/oauth2/token', 'grant_type=password&client_id=3MVG9emulator.journy.connector.client&client_secret=emulator-client-secret&username=integration%40journy-demo.example&password=emulator-password', { 'content-type': 'application/x-www-form-urlencoded' });
    const auth = { Authorization: `Bearer ${token.access_token}`, 'Sforce-Call-Options': 'client=bench' };
    const ids = (await json<{ records: { Id: string }[] }>('GET', `/__emulator/records/Contact?limit=20000`)).records.map((r) => r.Id);

    process.stdout.write('REST: single-record reads and SOQL lookups…\n');
    const rest = await sustained(SECONDS, CONCURRENCY, async (i) => {
      const id = ids[i % ids.length];
      const reply = i % 2 === 0 ? await call('GET', `/services/data/v${VERSION}/sobjects/Contact/${id}?fields=Id,Email,LastName`, undefined, auth) : await call('GET', `/services/data/v${VERSION}/query?q=${encodeURIComponent(`SELECT Id, Email FROM Contact WHERE Id = '${id}'`)}`, undefined, auth);
      if (reply.status !== 200) throw new Error(`REST ${reply.status}`);
      return 1;
    });

    process.stdout.write('CDC: subscribing a Bayeux client, then collections updates…\n');
    const handshake = await call('POST', `/cometd/${VERSION}`, [{ channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'], id: '1' }], auth);
    const clientId = (JSON.parse(handshake.body.toString()) as { clientId: string }[])[0].clientId;
    const cookie = String(handshake.headers['set-cookie']).split(';')[0];
    await call('POST', `/cometd/${VERSION}`, [{ channel: '/meta/subscribe', clientId, subscription: '/data/ContactChangeEvent', id: '2' }], { ...auth, cookie });
    let delivered = 0;
    let polling = true;
    const firstEventAt: number[] = [];
    let lastEventAt = 0;
    const poller = (async () => {
      let id = 3;
      while (polling) {
        const reply = await call('POST', `/cometd/${VERSION}`, [{ channel: '/meta/connect', clientId, connectionType: 'long-polling', id: String(id++) }], { ...auth, cookie });
        const messages = JSON.parse(reply.body.toString()) as { data?: unknown }[];
        const events = messages.filter((m) => m.data !== undefined).length;
        if (events > 0) {
          if (firstEventAt.length === 0) firstEventAt.push(Date.now());
          lastEventAt = Date.now();
          delivered += events;
        }
      }
    })();

    const collections = await sustained(SECONDS, Math.max(2, CONCURRENCY / 4), async (i) => {
      const records = Array.from({ length: 200 }, (_, k) => ({ attributes: { type: 'Contact' }, id: ids[(i * 200 + k) % ids.length], Title: `Title ${i}-${k}` }));
      const reply = await call('PATCH', `/services/data/v${VERSION}/composite/sobjects`, { allOrNone: false, records }, auth);
      if (reply.status !== 200) throw new Error(`collections ${reply.status}`);
      return 200;
    });
    const expectedEvents = collections.ops * 200;
    const waitUntil = Date.now() + 60_000;
    while (delivered < expectedEvents && Date.now() < waitUntil) await new Promise((resolve) => setTimeout(resolve, 50));
    polling = false;
    await call('POST', '/__emulator/cometd/drop', {});
    await poller.catch(() => undefined);
    const cdcSeconds = Math.max(0.001, (lastEventAt - (firstEventAt[0] ?? lastEventAt)) / 1000);

    process.stdout.write('Bulk API 2.0: querying every contact…\n');
    const bulkStarted = Date.now();
    const job = await json<{ id: string }>('POST', `/services/data/v${VERSION}/jobs/query`, { operation: 'query', query: 'SELECT Id, FirstName, LastName, Email, AccountId, SystemModstamp FROM Contact' }, auth);
    for (;;) {
      const info = await json<{ state: string }>('GET', `/services/data/v${VERSION}/jobs/query/${job.id}`, undefined, auth);
      if (info.state === 'JobComplete') break;
      if (info.state === 'Failed' || info.state === 'Aborted') throw new Error(`bulk job ${info.state}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    let locator = '';
    let rows = 0;
    do {
      const reply = await call('GET', `/services/data/v${VERSION}/jobs/query/${job.id}/results?maxRecords=100000${locator ? `&locator=${locator}` : ''}`, undefined, auth);
      rows += Number(reply.headers['sforce-numberofrecords']);
      locator = String(reply.headers['sforce-locator']);
    } while (locator !== 'null');
    const bulkSeconds = (Date.now() - bulkStarted) / 1000;

    const after = await json<{ memory: NodeJS.MemoryUsage; api: { used: number } }>('GET', '/__emulator/stats');
    const results = {
      machine: { cores: cpus().length, node: process.version },
      loaded: { records: totalRecords, byObject: loaded.records, startupMs },
      rest: { requestsPerSecond: Math.round(rest.opsPerSecond), concurrency: CONCURRENCY, seconds: SECONDS },
      collections: { recordsPerSecond: Math.round(collections.unitsPerSecond), callsPerSecond: Math.round(collections.opsPerSecond) },
      bulkQuery: { rows, seconds: Number(bulkSeconds.toFixed(2)), rowsPerSecond: Math.round(rows / bulkSeconds) },
      cdc: { eventsDelivered: delivered, eventsExpected: expectedEvents, eventsPerSecond: Math.round(delivered / cdcSeconds) },
      memory: { rssMbLoaded: Math.round(loaded.memory.rss / 1048576), rssMbAfter: Math.round(after.memory.rss / 1048576), heapUsedMbAfter: Math.round(after.memory.heapUsed / 1048576) },
      apiCallsCounted: after.api.used,
    };
    const table = [
      ['records loaded', `${results.loaded.records.toLocaleString('en')} (seeded in ${(startupMs / 1000).toFixed(1)} s)`],
      ['REST requests/s', `${results.rest.requestsPerSecond.toLocaleString('en')} (${CONCURRENCY} concurrent, reads + SOQL by Id)`],
      ['collections records/s', `${results.collections.recordsPerSecond.toLocaleString('en')} (${results.collections.callsPerSecond} calls/s of 200 updates)`],
      ['Bulk query rows/s', `${results.bulkQuery.rowsPerSecond.toLocaleString('en')} (${rows.toLocaleString('en')} rows in ${results.bulkQuery.seconds} s, job + all pages)`],
      ['CDC events/s delivered', `${results.cdc.eventsPerSecond.toLocaleString('en')} (${delivered}/${expectedEvents} events over one long-poll client)`],
      ['memory (RSS)', `${results.memory.rssMbLoaded} MB loaded, ${results.memory.rssMbAfter} MB after`],
    ];
    const width = Math.max(...table.map(([k]) => k.length));
    process.stdout.write(`\nSalesforce emulator benchmark\n${table.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n')}\n`);
    writeFileSync(join(ROOT, 'bench', 'results', 'emulator.json'), JSON.stringify(results, null, 2));
    process.stdout.write(`\nwritten to bench/results/emulator.json\n`);
  } finally {
    child.kill('SIGTERM');
    agent.destroy();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:emulator failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
