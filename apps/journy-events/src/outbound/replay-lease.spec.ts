import { createLogger } from '@connector/observability';
import { ReplayLeases } from './replay-lease';

/** The store's lease rules in memory: free, the holder's own, or run out. */
class LeaseStore {
  readonly leases = new Map<string, { holder: string; until: number }>();
  renewals = 0;
  /** leaseAll calls of holder a. */
  calls = 0;
  async lease(tenantId: string, connectionId: string, holder: string, ttlMs: number): Promise<boolean> {
    const key = `${tenantId}:${connectionId}`;
    const current = this.leases.get(key);
    if (current && current.holder !== holder && current.until >= Date.now()) return false;
    if (current?.holder === holder) this.renewals++;
    this.leases.set(key, { holder, until: Date.now() + ttlMs });
    return true;
  }
  async leaseAll(connections: { tenantId: string; connectionId: string }[], holder: string, ttlMs: number): Promise<boolean[]> {
    if (holder === 'a') this.calls++;
    return Promise.all(connections.map((c) => this.lease(c.tenantId, c.connectionId, holder, ttlMs)));
  }
  async renewAll(connections: { tenantId: string; connectionId: string }[], holder: string, ttlMs: number): Promise<boolean[]> {
    if (holder === 'a') this.calls++;
    return connections.map((c) => {
      const key = `${c.tenantId}:${c.connectionId}`;
      if (this.leases.get(key)?.holder !== holder) return false;
      this.renewals++;
      this.leases.set(key, { holder, until: Date.now() + ttlMs });
      return true;
    });
  }
  async releaseLease(tenantId: string, connectionId: string, holder: string): Promise<void> {
    if (this.leases.get(`${tenantId}:${connectionId}`)?.holder === holder) this.leases.delete(`${tenantId}:${connectionId}`);
  }
}

describe('replay leases', () => {
  const logger = createLogger({ name: 'lease-test', level: 'silent' });
  afterEach(() => jest.useRealTimers());

  it('lets one member replay a connection at a time, and the other once it is released', async () => {
    const store = new LeaseStore();
    const [a, b] = [new ReplayLeases(store, 'a', logger), new ReplayLeases(store, 'b', logger)];
    const held = await a.hold('t', 'c');
    expect(held).not.toBeNull();
    expect(await b.hold('t', 'c')).toBeNull();
    expect(await b.hold('t', 'other')).not.toBeNull(); // another connection is free
    await held!.release();
    expect(await b.hold('t', 'c')).not.toBeNull();
  });

  it('keeps a lease two holds of one member share until the last of them is released', async () => {
    const store = new LeaseStore();
    const [a, b] = [new ReplayLeases(store, 'a', logger), new ReplayLeases(store, 'b', logger)];
    const [first, second] = await Promise.all([a.hold('t', 'c'), a.hold('t', 'c')]);
    expect(first && second).not.toBeNull();
    await first!.release();
    await first!.release(); // twice: counts once
    expect(await b.hold('t', 'c')).toBeNull(); // the second hold still has it
    await second!.release();
    expect(await b.hold('t', 'c')).not.toBeNull();
  });

  it('renews a held lease every third of its time, so a long replay keeps it; a dead holder’s runs out', async () => {
    jest.useFakeTimers({ now: 0 });
    const store = new LeaseStore();
    const [a, b] = [new ReplayLeases(store, 'a', logger, 3000), new ReplayLeases(store, 'b', logger, 3000)];
    const held = await a.hold('t', 'c');
    await jest.advanceTimersByTimeAsync(5000);
    expect(store.renewals).toBe(5);
    expect(await b.hold('t', 'c')).toBeNull(); // still renewed: a long replay goes on holding it
    await held!.release();
    await jest.advanceTimersByTimeAsync(5000);
    expect(store.renewals).toBe(5); // released: no more renewals

    const dead = new LeaseStore();
    await dead.lease('t', 'c', 'a', 3000); // taken by a member that died without releasing it
    expect(await new ReplayLeases(dead, 'b', logger, 3000).hold('t', 'c')).toBeNull();
    await jest.advanceTimersByTimeAsync(3001);
    expect(await new ReplayLeases(dead, 'b', logger, 3000).hold('t', 'c')).not.toBeNull();
  });

  it('takes many leases in one store call, shares those it holds already, and renews them all in one call', async () => {
    jest.useFakeTimers({ now: 0 });
    const store = new LeaseStore();
    const [a, b] = [new ReplayLeases(store, 'a', logger, 3000), new ReplayLeases(store, 'b', logger, 3000)];
    const mine = await a.hold('t', 'c1');
    await b.hold('t', 'c3'); // another member's
    store.calls = 0;
    const leases = await a.holdAll([{ tenantId: 't', connectionId: 'c1' }, { tenantId: 't', connectionId: 'c2' }, { tenantId: 't', connectionId: 'c3' }, { tenantId: 't', connectionId: 'c2' }]);
    expect(leases.map((l) => l !== null)).toEqual([true, true, false, true]);
    expect(store.calls).toBe(1); // c2 and c3 asked together; c1 was held
    await mine!.release(); // c1 still held by the batch's hold
    expect(await b.hold('t', 'c1')).toBeNull();
    store.calls = 0;
    store.renewals = 0;
    await jest.advanceTimersByTimeAsync(1000);
    expect(store.calls).toBe(1);
    expect(store.renewals).toBe(3); // a's c1 and c2 together, and b's c3
    await leases[1]!.release();
    expect(await b.hold('t', 'c2')).toBeNull(); // the duplicate hold of c2 keeps it
    await leases[3]!.release();
    await leases[0]!.release();
    expect(await b.hold('t', 'c1')).not.toBeNull();
    expect(await b.hold('t', 'c2')).not.toBeNull();
    store.calls = 0;
    await jest.advanceTimersByTimeAsync(3000);
    expect(store.calls).toBe(0); // a holds nothing: no renewal
  });
});
