// `npm run bench:state-merges`: how journy-events stores the values it wrote to Salesforce, side by side in one run
// on the stack's store. BENCH_MERGES_LINKS imported links (10,000) in one connection; batches of
// BENCH_MERGES_BATCH (500) records' written values merged into their link states, either one `update` command per
// record (32 at once, as journy-events did before 2026-12-07) or as RecordLinksRepository.recordWrittenMany sends
// them now (commands of UPDATES_PER_COMMAND statements, one at a time). Rounds alternate
// between the two; median of BENCH_MERGES_REPEATS (7) for the time per batch and, per record, the store's CPU and
// this process's (the driver's share, as journy-events pays it). Prints a table and writes
// bench/results/state-merges.json.
import { inParallel } from '@connector/domain';
import { createLogger } from '@connector/observability';
import { RecordLinksRepository, UPDATES_PER_COMMAND, connectMongo, type WrittenRecord } from '@connector/persistence';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, cpuMsOf, localStorePid, percentile, stackVariable } from './support';

const LINKS = Number(process.env.BENCH_MERGES_LINKS ?? 10_000);
const BATCH = Number(process.env.BENCH_MERGES_BATCH ?? 500);
const REPEATS = Number(process.env.BENCH_MERGES_REPEATS ?? 7);
/** How many single-record updates journy-events had in flight before (the repository's ONE_BY_ONE_AT_ONCE). */
const ONE_BY_ONE_AT_ONCE = 32;

async function main(): Promise<void> {
  const started = Date.now();
  const log = (line: string) => process.stdout.write(`[${Math.round((Date.now() - started) / 1000)} s] ${line}\n`);
  const uri = stackVariable('MONGODB_URI').replace(/\/[^/?]*(\?|$)/, `/bench_merges_${Date.now()}$1`);
  const mongo = await connectMongo({ uri, attempts: 5 }, createLogger({ name: 'bench', level: 'silent' }));
  const storePid = localStorePid();
  try {
    const links = new RecordLinksRepository(mongo);
    await links.ensureIndexes();
    const tenantId = 'merges';
    const connectionId = 'con_merges';
    const contact = (n: number) => ({ kind: 'USER' as const, salesforceObject: 'Contact' as const, salesforceId: `003${String(n).padStart(15, '0')}`, journyKey: `m${n}@example.com` });
    for (let n = 0; n < LINKS; n += 5000) {
      await links.upsertMany(tenantId, connectionId, Array.from({ length: Math.min(5000, LINKS - n) }, (_, k) => ({ ...contact(n + k), lastRead: { Title: 'Imported' } })));
    }
    await new Promise((resolve) => setTimeout(resolve, 3000)); // the runner indexes new collections' _id every 2 s
    log(`${LINKS} record links stored`);
    const states = mongo.collection('record_link_states');
    const written = (round: number, title: string): WrittenRecord[] =>
      Array.from({ length: BATCH }, (_, k) => ({ ...contact((round * BATCH + k) % LINKS), lastWritten: { Title: title, Engagement_Score__c: k % 100 }, linked: true }));
    const ways: [string, (writes: WrittenRecord[]) => Promise<unknown>][] = [
      [`one command per record (${ONE_BY_ONE_AT_ONCE} at once)`, (writes) => {
        const at = new Date();
        return inParallel(writes, ONE_BY_ONE_AT_ONCE, (w) => states.updateOne(
          { _id: `${tenantId}:${connectionId}:${w.salesforceId}` as never },
          { $set: { lastWrittenAt: at, updatedAt: at, ...Object.fromEntries(Object.entries(w.lastWritten).map(([f, v]) => [`writtenSince.${f}`, v])) }, $setOnInsert: { tenantId } },
          { upsert: true },
        ));
      }],
      [`${UPDATES_PER_COMMAND} per command (one at a time)`, (writes) => links.recordWrittenMany(tenantId, connectionId, writes)],
    ];
    const samples = ways.map(() => ({ ms: [] as number[], storeCpu: [] as number[], clientCpu: [] as number[] }));
    for (let round = 0; round < REPEATS; round++) {
      for (const [i, [name, write]] of ways.entries()) {
        const writes = written(round * ways.length + i, `${name} ${round}`);
        const [store, client] = [storePid ? cpuMsOf(storePid) : 0, cpuMsOf(process.pid)];
        const t = process.hrtime.bigint();
        await write(writes);
        samples[i].ms.push(Number(process.hrtime.bigint() - t) / 1e6);
        samples[i].storeCpu.push(((storePid ? cpuMsOf(storePid) : 0) - store) / BATCH);
        samples[i].clientCpu.push((cpuMsOf(process.pid) - client) / BATCH);
      }
    }
    const results = ways.map(([name], i) => ({
      way: name,
      medianMsPerBatch: Number(percentile(samples[i].ms, 50).toFixed(1)),
      recordsPerSecond: Math.round((BATCH * 1000) / percentile(samples[i].ms, 50)),
      storeCpuMsPerRecord: storePid ? Number(percentile(samples[i].storeCpu, 50).toFixed(2)) : null,
      clientCpuMsPerRecord: Number(percentile(samples[i].clientCpu, 50).toFixed(2)),
    }));
    mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
    writeFileSync(join(ROOT, 'bench', 'results', 'state-merges.json'), `${JSON.stringify({ links: LINKS, batch: BATCH, repeats: REPEATS, results }, null, 2)}\n`);
    process.stdout.write(`\n${'way'.padEnd(36)} ${'ms/batch'.padStart(9)} ${'records/s'.padStart(10)} ${'store CPU ms/rec'.padStart(17)} ${'client CPU ms/rec'.padStart(18)}\n`);
    for (const r of results) process.stdout.write(`${r.way.padEnd(36)} ${String(r.medianMsPerBatch).padStart(9)} ${String(r.recordsPerSecond).padStart(10)} ${String(r.storeCpuMsPerRecord ?? '-').padStart(17)} ${String(r.clientCpuMsPerRecord).padStart(18)}\n`);
    process.stdout.write(`\n(median of ${REPEATS}, batches of ${BATCH} on ${LINKS} links) written to bench/results/state-merges.json\n`);
    await mongo.db!.dropDatabase();
  } finally {
    await mongo.close();
  }
}

main().catch((error) => {
  process.stderr.write(`bench:state-merges failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
