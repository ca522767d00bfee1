import pino from 'pino';
import type { ApiUsageRepository, ApiUsageSnapshot } from '@connector/persistence';
import type { SalesforceRestClient } from '@connector/salesforce';
import { ApiQuota } from './api-quota';

/** The store port, in memory: what two instances share. */
class MemoryUsageStore {
  readonly docs = new Map<string, ApiUsageSnapshot>();
  async save(snapshot: Parameters<ApiUsageRepository['save']>[0]): Promise<void> {
    const current = this.docs.get(snapshot.connectionId);
    const set = Object.fromEntries(Object.entries(snapshot).filter(([, v]) => v !== undefined));
    this.docs.set(snapshot.connectionId, { pausedUntil: null, pauseReason: null, ...current, ...set } as ApiUsageSnapshot);
  }
  async find(tenantId: string, connectionId: string): Promise<ApiUsageSnapshot | null> {
    const doc = this.docs.get(connectionId);
    return doc && doc.tenantId === tenantId ? doc : null;
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
});
