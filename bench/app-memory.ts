// Where an app's memory goes, from outside: its /metrics (prom-client's default process and V8 heap figures) and,
// when asked for, a V8 heap snapshot summarised by constructor. Used by bench:fleet to split the memory per
// connection into what is live on the heap, what V8 keeps reserved, buffers outside the heap, and the rest.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface AppMemory { rssMb: number; heapUsedMb: number; heapTotalMb: number; externalMb: number }

/** Resident memory, V8 heap in use and reserved, and memory outside the heap, of the app on `port`. */
export async function appMemoryOf(port: number): Promise<AppMemory> {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
  const gauge = (name: string) => {
    const value = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text)?.[1];
    if (value === undefined) throw new Error(`${name} is not on the /metrics of port ${port}`);
    return Number(value) / 1048576;
  };
  return {
    rssMb: gauge('process_resident_memory_bytes'), heapUsedMb: gauge('nodejs_heap_size_used_bytes'),
    heapTotalMb: gauge('nodejs_heap_size_total_bytes'), externalMb: gauge('nodejs_external_memory_bytes'),
  };
}

export interface MemoryParts { rssKb: number; heapUsedKb: number; heapReservedKb: number; externalKb: number; otherKb: number }

/**
 * KB per connection that several apps grew by between two readings, by part: the heap in use (live objects and
 * garbage not yet collected), heap V8 reserved but does not use, memory outside the heap (buffers), and the rest
 * of the resident memory (code, stacks, native allocations).
 */
export function memoryPerConnection(before: AppMemory[], after: AppMemory[], connections: number): MemoryParts {
  const grown = (f: (m: AppMemory) => number) => Math.round((after.reduce((n, m, i) => n + f(m) - f(before[i]), 0) * 1024) / Math.max(1, connections));
  const rssKb = grown((m) => m.rssMb);
  const heapUsedKb = grown((m) => m.heapUsedMb);
  const heapReservedKb = grown((m) => m.heapTotalMb - m.heapUsedMb);
  const externalKb = grown((m) => m.externalMb);
  return { rssKb, heapUsedKb, heapReservedKb, externalKb, otherKb: rssKb - heapUsedKb - heapReservedKb - externalKb };
}

/** Node flags that make an app write a heap snapshot into `dir` on SIGUSR2. */
export function heapSnapshotFlags(dir: string): string[] {
  return ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${dir}`];
}

/**
 * Asks the app with `pid` (started with `heapSnapshotFlags(dir)`) for a heap snapshot and resolves with its path
 * once written: the app answers on `port` again (it writes on its main thread) and the file stops growing.
 */
export async function takeHeapSnapshot(pid: number, port: number, dir: string, timeoutMs = 300_000): Promise<string> {
  const existing = new Set(snapshotsIn(dir));
  process.kill(pid, 'SIGUSR2');
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1000));
    const file = snapshotsIn(dir).find((f) => !existing.has(f));
    if (!file) continue;
    const size = statSync(join(dir, file)).size;
    const answers = await fetch(`http://127.0.0.1:${port}/health/live`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false);
    if (answers && size === last) return join(dir, file);
    last = size;
  }
  throw new Error(`no heap snapshot of process ${pid} within ${timeoutMs} ms`);
}

function snapshotsIn(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.heapsnapshot'));
}

export interface HeapGroup { name: string; count: number; selfKb: number }

export interface HeapSummary { totalKb: number; nodes: number; groups: HeapGroup[] }

/**
 * A heap snapshot's live objects grouped by constructor (objects) or by kind (strings, code, arrays…), the
 * largest first by the memory they take themselves, with the total. A snapshot holds only what survived the full
 * collection before it.
 */
export function summarizeHeapSnapshot(path: string): HeapSummary {
  const snapshot = JSON.parse(readFileSync(path, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const groups = new Map<string, HeapGroup>();
  let total = 0;
  for (let i = 0; i < snapshot.nodes.length; i += fields.length) {
    const type = types[snapshot.nodes[i + typeAt]];
    const size = snapshot.nodes[i + sizeAt];
    const name = type === 'object' || type === 'native' ? snapshot.strings[snapshot.nodes[i + nameAt]] : `(${type})`;
    const group = groups.get(name) ?? { name, count: 0, selfKb: 0 };
    group.count++;
    group.selfKb += size / 1024;
    groups.set(name, group);
    total += size;
  }
  const sorted = [...groups.values()].sort((a, b) => b.selfKb - a.selfKb).map((g) => ({ ...g, selfKb: Math.round(g.selfKb) }));
  return { totalKb: Math.round(total / 1024), nodes: snapshot.nodes.length / fields.length, groups: sorted };
}

/** What grew between two heap snapshots of one app, per connection: the total, and the `top` groups that grew most. */
export function heapGrowthPerConnection(before: HeapSummary, after: HeapSummary, connections: number, top = 15): { totalKb: number; groups: { name: string; count: number; kb: number }[] } {
  const was = new Map(before.groups.map((g) => [g.name, g]));
  const per = (n: number) => Number((n / Math.max(1, connections)).toFixed(1));
  const groups = after.groups
    .map((g) => ({ name: g.name, count: per(g.count - (was.get(g.name)?.count ?? 0)), kb: per(g.selfKb - (was.get(g.name)?.selfKb ?? 0)) }))
    .sort((a, b) => b.kb - a.kb)
    .slice(0, top);
  return { totalKb: per(after.totalKb - before.totalKb), groups };
}
