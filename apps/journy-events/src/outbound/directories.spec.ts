import type { Directory } from './connection-sync';
import { Directories, type DirectoryOwner } from './directories';
import { connectionOfCacheKey } from './entity-cache-key';
import { LruCache } from './state-cache';

const connection = (id: string): DirectoryOwner => ({ id, tenantId: 't' });

/** A store whose connections hold `links[id]` imported contact links; records which connections each load read. */
function store(links: Record<string, number>) {
  const loads: string[][] = [];
  const load = async (cs: DirectoryOwner[], limit: number): Promise<Map<string, Directory>> => {
    loads.push(cs.map((c) => c.id));
    return new Map(cs.map((c) => {
      const n = links[c.id] ?? 0;
      const contacts = new Map<string, string[]>();
      if (n <= limit) for (let i = 0; i < n; i++) contacts.set(`u${i}@x.io`, [`003${i}`]);
      return [c.id, { complete: n <= limit, contacts, accounts: new Map() }];
    }));
  };
  return { get reads() { return loads.flat(); }, loads, load };
}

describe('Directories', () => {
  it('reads a connection once while it fits, however many batches use it', async () => {
    const s = store({ a: 10 });
    const directories = new Directories(100, s.load);
    await directories.of(connection('a'));
    await directories.of(connection('a'));
    expect(s.reads).toEqual(['a']);
    expect(directories.usage).toEqual({ connections: 1, entries: 11 });
  });

  it('keeps every connection together within one budget, dropping the least recently used first', async () => {
    const s = store({ a: 40, b: 40, c: 40 });
    const directories = new Directories(100, s.load);
    await directories.of(connection('a'));
    await directories.of(connection('b'));
    await directories.of(connection('a')); // b is now the least recently used
    await directories.of(connection('c'));
    expect(directories.usage).toEqual({ connections: 2, entries: 82 });
    await directories.of(connection('a'));
    await directories.of(connection('b')); // read again from the store
    expect(s.reads).toEqual(['a', 'b', 'c', 'b']);
    expect(directories.usage.entries).toBeLessThanOrEqual(100);
  });

  it('reads the connections it lacks in one load, those in memory not again', async () => {
    const s = store({ a: 1, b: 1, c: 1 });
    const directories = new Directories(100, s.load);
    await directories.of(connection('a'));
    const all = directories.ofAll([connection('a'), connection('b'), connection('c'), connection('b')]);
    expect([...all.keys()]).toEqual(['a', 'b', 'c']);
    await Promise.all(all.values());
    await directories.of(connection('c'));
    expect(s.loads).toEqual([['a'], ['b', 'c']]);
    expect(directories.usage).toEqual({ connections: 3, entries: 6 });
  });

  it('gives a connection past the budget an incomplete directory (its batches read the store)', async () => {
    const directories = new Directories(100, store({ huge: 500 }).load);
    expect((await directories.of(connection('huge'))).complete).toBe(false);
  });

  it('marks a directory incomplete once the entity cache forgets one of its links, even while it is read', async () => {
    const directories = new Directories(100, store({ a: 1, b: 1 }).load);
    const a = await directories.of(connection('a'));
    expect(a.complete).toBe(true);
    const cache = new LruCache<string>(1, (key) => directories.linkForgotten(connectionOfCacheKey(key)));
    cache.set('a:USER:u1', 'link');
    cache.set('b:USER:u2', 'link');
    expect(a.complete).toBe(false);
    const reading = directories.of(connection('b'));
    directories.linkForgotten('b');
    expect((await reading).complete).toBe(false);
  });

  it('reads a directory again after a failed read', async () => {
    let fail = true;
    const directories = new Directories(100, async () => {
      if (fail) throw new Error('store down');
      return new Map([['a', { complete: true, contacts: new Map(), accounts: new Map() }]]);
    });
    await expect(directories.of(connection('a'))).rejects.toThrow('store down');
    fail = false;
    await expect(directories.of(connection('a'))).resolves.toMatchObject({ complete: true });
  });
});
