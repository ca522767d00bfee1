import pino from 'pino';
import type { ApiUsageRepository, ApiUsageSnapshot } from '@connector/persistence';
import type { SalesforceRestClient } from '@connector/salesforce';
import { ApiQuota } from './api-quota';

/** The store port, in memory: what two instances share. */
class MemoryUsageStore {
  readonly docs = new Map<string, ApiUsageSnapshot>();
  reads = 0;
  async save(snapshot: Parameters<ApiUsageRepository['save']>[0]): Promise<void> {
    const current = this.docs.get(snapshot.connectionId);
    const set = Object.fromEntries(Object.entries(snapshot).filter(([, v]) => v !== undefined));
    this.docs.set(snapshot.connectionId, { pausedUntil: null, pauseReason: null, ...current, ...set } as ApiUsageSnapshot);
  }
  async find(tenantId: string, connectionId: string): Promise<ApiUsageSnapshot | null> {
    const doc = this.docs.get(connectionId);
    return doc && doc.tenantId === tenantId ? doc : null;
  }
  async pausedPast(now: Date): Promise<ApiUsageSnapshot[]> {
    this.reads++;
    return [...this.docs.values()].filter((doc) => doc.pausedUntil && doc.pausedUntil > now);
  }
}

describe('one API quota pause for every instance', () => {
  const connection = { id: 'con_1', tenantId: 't1' };
  const logger = pino({ level: 'silent' });
  const noClient = () => { throw new Error('no /limits call expected'); };
  let store: MemoryUsageStore;
  let first: ApiQuota;
  let second: ApiQuota;

  beforeEach(() => {
    store = new MemoryUsageStore();
    const make = () => new ApiQuota(store as unknown as ApiUsageRepository, { reservePercent: 10, pauseMs: 60_000, sharedReadEveryMs: 0 }, logger);
    first = make();
    second = make();
  });

  const settle = () => new Promise((resolve) => setImmediate(resolve));

  it('a pause one instance takes holds the other instance’s calls', async () => {
    expect(await second.blocked(connection, noClient as () => SalesforceRestClient)).toBeNull();
    first.exhausted(connection, 'TotalRequests Limit exceeded.');
    await settle();
    const blocked = await second.blocked(connection, noClient as () => SalesforceRestClient);
    expect(blocked?.reason).toContain('TotalRequests Limit exceeded.');
    expect(blocked!.until.getTime()).toBeGreaterThan(Date.now() + 50_000);
  });

  it('reporting usage never clears another instance’s pause', async () => {
    first.observe(connection, { used: 95, limit: 100 }); // below the 10 % reserve: paused and stored
    await settle();
    second.observe(connection, { used: 95, limit: 100 });
    const fresh = new ApiQuota(store as unknown as ApiUsageRepository, { reservePercent: 0, sharedReadEveryMs: 0 }, logger); // a reader: never pauses itself
    fresh.observe(connection, { used: 96, limit: 100 });
    await settle();
    expect(store.docs.get('con_1')!.pausedUntil).not.toBeNull();
    expect(store.docs.get('con_1')!.used).toBe(96);
  });

  it('a reader waits while the pause is stored, and goes on once it is lifted', async () => {
    first.exhausted(connection, 'limit');
    await settle();
    const reader = new ApiQuota(store as unknown as ApiUsageRepository, { reservePercent: 0, sharedReadEveryMs: 0 }, logger);
    let done = false;
    const waiting = reader.waitWhilePaused(connection).then(() => (done = true));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(done).toBe(false);
    await store.save({ connectionId: 'con_1', tenantId: 't1', used: 10, limit: 100, observedAt: new Date(), pausedUntil: null, pauseReason: null });
    await waiting;
    expect(done).toBe(true);
  });

  it('one read of the store serves every connection of an instance, for as long as it is trusted', async () => {
    const clock = jest.spyOn(Date, 'now');
    try {
      const start = Date.now();
      clock.mockReturnValue(start);
      const reader = new ApiQuota(store as unknown as ApiUsageRepository, { reservePercent: 10, sharedReadEveryMs: 2000 }, logger);
      const connections = Array.from({ length: 20 }, (_, i) => ({ id: `con_${i}`, tenantId: 't1' }));
      first.exhausted(connections[3], 'TotalRequests Limit exceeded.');
      await settle();
      const blocked = await Promise.all(connections.map((c) => reader.blocked(c, noClient as () => SalesforceRestClient)));
      expect(store.reads).toBe(1);
      expect(blocked.map((b, i) => (b ? i : null)).filter((i) => i !== null)).toEqual([3]);

      // A pause taken after that read is seen once the read is 2 s old, by the next connection that asks.
      first.exhausted(connections[5], 'TotalRequests Limit exceeded.');
      await settle();
      expect(await reader.blocked(connections[5], noClient as () => SalesforceRestClient)).toBeNull();
      clock.mockReturnValue(start + 2000);
      expect(await reader.blocked(connections[5], noClient as () => SalesforceRestClient)).not.toBeNull();
      expect(store.reads).toBe(2);
      // A stored pause holds only the connection of its own tenant.
      const elsewhere = new ApiQuota(store as unknown as ApiUsageRepository, { reservePercent: 10 }, logger);
      expect(await elsewhere.blocked({ id: 'con_5', tenantId: 't2' }, noClient as () => SalesforceRestClient)).toBeNull();
    } finally {
      clock.mockRestore();
    }
  });

  it('a failed read of the stored pauses is tried again by the next call', async () => {
    first.exhausted(connection, 'limit');
    await settle();
    const pausedPast = jest.spyOn(store, 'pausedPast').mockRejectedValueOnce(new Error('store down'));
    const reader = new ApiQuota(store as unknown as ApiUsageRepository, { reservePercent: 10, sharedReadEveryMs: 0 }, logger);
    expect(await reader.blocked(connection, noClient as () => SalesforceRestClient)).toBeNull();
    expect(await reader.blocked(connection, noClient as () => SalesforceRestClient)).not.toBeNull();
    expect(pausedPast).toHaveBeenCalledTimes(2);
  });

  it('stores a connection’s figures at most every 30 s, and a pause at once', async () => {
    const saves = jest.spyOn(store, 'save');
    const clock = jest.spyOn(Date, 'now');
    try {
      const start = Date.now();
      clock.mockReturnValue(start);
      const quota = new ApiQuota(store as unknown as ApiUsageRepository, { reservePercent: 10 }, logger);
      quota.observe(connection, { used: 10, limit: 100 });
      clock.mockReturnValue(start + 10_000);
      quota.observe(connection, { used: 11, limit: 100 });
      await settle();
      expect(saves).toHaveBeenCalledTimes(1);
      clock.mockReturnValue(start + 30_000);
      quota.observe(connection, { used: 12, limit: 100 });
      await settle();
      expect(saves).toHaveBeenCalledTimes(2);
      quota.observe(connection, { used: 95, limit: 100 }); // below the reserve: the pause is stored now
      await settle();
      expect(saves).toHaveBeenCalledTimes(3);
      expect(store.docs.get('con_1')).toMatchObject({ used: 95, pausedUntil: expect.any(Date) });
    } finally {
      clock.mockRestore();
    }
  });
});
