import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { heapGrowthPerConnection, memoryPerConnection, summarizeHeapSnapshot } from '../../bench/app-memory';

// bench:fleet's memory figures: how a reading splits per connection, and how a heap snapshot is summarised.
describe('bench memory per connection', () => {
  it('splits what two apps grew by into heap used, reserved, external and the rest, per connection', () => {
    const before = [{ rssMb: 100, heapUsedMb: 40, heapTotalMb: 50, externalMb: 2 }, { rssMb: 100, heapUsedMb: 40, heapTotalMb: 50, externalMb: 2 }];
    const after = [{ rssMb: 110, heapUsedMb: 44, heapTotalMb: 56, externalMb: 3 }, { rssMb: 100, heapUsedMb: 40, heapTotalMb: 50, externalMb: 2 }];
    expect(memoryPerConnection(before, after, 10)).toEqual({ rssKb: 1024, heapUsedKb: 410, heapReservedKb: 205, externalKb: 102, otherKb: 307 });
  });

  it('groups a snapshot by constructor, and other kinds by kind, and tells what grew per connection', () => {
    const dir = mkdtempSync(join(tmpdir(), 'heap-'));
    try {
      const meta = { node_fields: ['type', 'name', 'id', 'self_size'], node_types: [['hidden', 'array', 'string', 'object', 'code']] };
      const strings = ['', 'Session', 'Map', 'text'];
      const write = (file: string, nodes: number[]) => {
        writeFileSync(join(dir, file), JSON.stringify({ snapshot: { meta }, nodes, strings }));
        return summarizeHeapSnapshot(join(dir, file));
      };
      // [type, name, id, self_size]: objects by constructor name, a string and code by kind.
      const before = write('a.heapsnapshot', [3, 1, 1, 2048, 3, 2, 2, 1024, 2, 3, 3, 1024]);
      const after = write('b.heapsnapshot', [3, 1, 1, 2048, 3, 1, 4, 2048, 3, 1, 5, 2048, 3, 2, 2, 1024, 2, 3, 3, 1024, 4, 0, 6, 4096]);
      expect(before).toEqual({ totalKb: 4, nodes: 3, groups: [{ name: 'Session', count: 1, selfKb: 2 }, { name: 'Map', count: 1, selfKb: 1 }, { name: '(string)', count: 1, selfKb: 1 }] });
      expect(after.groups[0]).toEqual({ name: 'Session', count: 3, selfKb: 6 });
      expect(heapGrowthPerConnection(before, after, 2)).toEqual({
        totalKb: 4,
        groups: [{ name: 'Session', count: 1, kb: 2 }, { name: '(code)', count: 0.5, kb: 2 }, { name: 'Map', count: 0, kb: 0 }, { name: '(string)', count: 0, kb: 0 }],
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
