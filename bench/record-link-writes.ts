// The record-link writes journy-events makes after each batch to Salesforce, timed on one store: shared by
// bench:store and bench:store-sync.
import type { RecordLinksRepository } from '@connector/persistence';
import { cpuMsOf, percentile } from './support';

export interface LinkWriteTiming { case: string; medianMs: number; storeCpuMsPerRecord: number | null }

/** Times batches of link writes: records imported and written for the first time, written again, never imported; and a read. */
export async function timeRecordLinkWrites(links: RecordLinksRepository, sizes: { links: number; batch: number; repeats: number; storePid: number | null }, log: (line: string) => void): Promise<LinkWriteTiming[]> {
  const { links: LINKS, batch: WRITE_BATCH, repeats: REPEATS, storePid } = sizes;
  await links.ensureIndexes();
  const tenantId = 'store-links';
  const connectionId = 'con_store_links';
  const sfId = (n: number) => `003${String(n).padStart(15, '0')}`;
  const contact = (n: number) => ({ kind: 'USER' as const, salesforceObject: 'Contact' as const, salesforceId: sfId(n), journyKey: `l${n}@example.com` });
  for (let n = 0; n < LINKS; n += 5000) {
    await links.upsertMany(tenantId, connectionId, Array.from({ length: Math.min(5000, LINKS - n) }, (_, k) => ({ ...contact(n + k), lastRead: { Email: `l${n + k}@example.com`, Title: 'Imported' } })));
  }
  log(`${LINKS} record links stored`);
  const batch = (round: number, from: number) => Array.from({ length: WRITE_BATCH }, (_, k) => from + round * WRITE_BATCH + k);
  // journy-events knows an imported record as linked when its connection's directory holds it (linked: true).
  const written = (ns: number[], title: string, linked: boolean) => ns.map((n) => ({ ...contact(n), lastWritten: { Title: title, Engagement_Score__c: n % 100 }, linked }));
  const cases: [string, (round: number) => Promise<unknown>][] = [
    ['linked, first change', (round) => links.recordWrittenMany(tenantId, connectionId, written(batch(round, 0), 'First', true))],
    ['the same records written again', (round) => links.recordWrittenMany(tenantId, connectionId, written(batch(round, 0), 'Again', true))],
    ['again, not known as linked (an insert tried)', (round) => links.recordWrittenMany(tenantId, connectionId, written(batch(round, 0), 'Third', false))],
    ['never imported (links created)', (round) => links.recordWrittenMany(tenantId, connectionId, written(batch(round, LINKS), 'New', false))],
    ['read by Salesforce id', (round) => links.findBySalesforceIds(tenantId, connectionId, batch(round, 0).map(sfId))],
  ];
  const timings: LinkWriteTiming[] = [];
  for (const [name, run] of cases) {
    const ms: number[] = [];
    const cpu: number[] = [];
    for (let round = 0; round < Math.min(REPEATS, Math.floor(LINKS / WRITE_BATCH)); round++) {
      const cpuBefore = storePid ? cpuMsOf(storePid) : 0;
      const t = process.hrtime.bigint();
      await run(round);
      ms.push(Number(process.hrtime.bigint() - t) / 1e6);
      if (storePid) cpu.push((cpuMsOf(storePid) - cpuBefore) / WRITE_BATCH);
    }
    timings.push({ case: name, medianMs: Number(percentile(ms, 50).toFixed(1)), storeCpuMsPerRecord: storePid ? Number(percentile(cpu, 50).toFixed(2)) : null });
    log(`  links, ${name}: ${percentile(ms, 50).toFixed(1)} ms`);
  }
  return timings;
}
