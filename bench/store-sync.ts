// `npm run bench:store-sync`: the local store's commit durability, side by side in one run. Starts two FerretDB
// runners of the stack's own build (.cache/bin/ferretdb-runner) on spare ports with data of their own: one with
// SQLite's default for WAL (synchronous FULL: every commit waits for its fsync), one as scripts/stack.sh starts it
// (synchronous(normal)). On each, the record-link writes journy-events makes after each batch to Salesforce
// (bench/record-link-writes.ts): BENCH_STORE_LINKS imported links (20,000), batches of BENCH_STORE_WRITE_BATCH
// (500), median of BENCH_STORE_REPEATS (5), in rounds that alternate between the two stores. Prints a table and
// writes bench/results/store-sync.json.
import { createLogger } from '@connector/observability';
import { RecordLinksRepository, connectMongo } from '@connector/persistence';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { timeRecordLinkWrites, type LinkWriteTiming } from './record-link-writes';
import { ROOT, percentile, sleep } from './support';

const LINKS = Number(process.env.BENCH_STORE_LINKS ?? 20_000);
const WRITE_BATCH = Number(process.env.BENCH_STORE_WRITE_BATCH ?? 500);
const REPEATS = Number(process.env.BENCH_STORE_REPEATS ?? 5);
const STORES = [
  { name: 'synchronous FULL (SQLite default)', pragmas: '', port: 27291 },
  { name: 'synchronous(normal) (the stack)', pragmas: 'synchronous(normal)', port: 27292 },
];

async function main(): Promise<void> {
  const runner = join(process.env.STACK_CACHE_DIR ?? join(ROOT, '.cache'), 'bin', 'ferretdb-runner');
  if (!existsSync(runner)) throw new Error(`${runner} is missing: run \`npm run stack -- up\` once to build it`);
  const started = Date.now();
  const log = (line: string) => process.stdout.write(`[${Math.round((Date.now() - started) / 1000)} s] ${line}\n`);
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  try {
    const stores = await Promise.all(STORES.map(async (store) => {
      const dir = mkdtempSync(join(tmpdir(), 'bench-store-sync-'));
      dirs.push(dir);
      const args = ['-listen-addr', `127.0.0.1:${store.port}`, '-dir', `${dir}/`, ...(store.pragmas ? ['-sqlite-pragmas', store.pragmas] : [])];
      const child = spawn(runner, args, { stdio: 'ignore' });
      children.push(child);
      const mongo = await connectMongo({ uri: `mongodb://127.0.0.1:${store.port}/bench_store_sync`, attempts: 20 }, createLogger({ name: 'bench', level: 'silent' }));
      return { ...store, pid: child.pid!, mongo, rounds: [] as LinkWriteTiming[][] };
    }));
    // Each round seeds its own links (a database per round), so rounds alternate stores on equal terms.
    for (let round = 0; round < REPEATS; round++) {
      const repositories = await Promise.all(stores.map(async (store) => {
        const links = new RecordLinksRepository(store.mongo.useDb(`bench_store_sync_${round}`, { useCache: false }));
        await links.ensureIndexes();
        return links;
      }));
      await sleep(2500); // the runner indexes _id of new collections every 2 s
      for (const [k, store] of stores.entries()) {
        store.rounds.push(await timeRecordLinkWrites(repositories[k], { links: LINKS, batch: WRITE_BATCH, repeats: 1, storePid: store.pid }, () => undefined));
        log(`round ${round + 1}/${REPEATS}: ${store.name} done`);
      }
    }
    const results = stores.map((store) => ({
      store: store.name,
      cases: store.rounds[0].map((c, i) => ({
        case: c.case,
        medianMs: Number(percentile(store.rounds.map((r) => r[i].medianMs), 50).toFixed(1)),
        storeCpuMsPerRecord: Number(percentile(store.rounds.map((r) => r[i].storeCpuMsPerRecord ?? 0), 50).toFixed(2)),
      })),
    }));
    mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
    writeFileSync(join(ROOT, 'bench', 'results', 'store-sync.json'), `${JSON.stringify({ links: LINKS, batch: WRITE_BATCH, repeats: REPEATS, results }, null, 2)}\n`);
    process.stdout.write(`\nrecord-link writes, batches of ${WRITE_BATCH} on ${LINKS} links, median of ${REPEATS}: ms per batch (store CPU ms per record)\n`);
    process.stdout.write(`${'case'.padEnd(48)} ${results.map((r) => r.store.padEnd(36)).join(' ')}\n`);
    for (const [i, c] of results[0].cases.entries()) {
      process.stdout.write(`${c.case.padEnd(48)} ${results.map((r) => `${r.cases[i].medianMs} (${r.cases[i].storeCpuMsPerRecord})`.padEnd(36)).join(' ')}\n`);
    }
    process.stdout.write('\nwritten to bench/results/store-sync.json\n');
    await Promise.all(stores.map((s) => s.mongo.close()));
  } finally {
    children.forEach((c) => c.kill('SIGTERM'));
    await sleep(500);
    dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true }));
  }
}

main().catch((error) => {
  process.stderr.write(`bench:store-sync failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
