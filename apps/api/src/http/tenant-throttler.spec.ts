import type { RateLimitsRepository } from '@connector/persistence';
import { SharedThrottlerStorage } from './tenant-throttler';

const logger = { warn: () => undefined } as never;
const counters = (count: Awaited<ReturnType<RateLimitsRepository['hit']>> | Error) =>
  ({ hit: async () => { if (count instanceof Error) throw count; return count; } }) as unknown as RateLimitsRepository;

describe('the shared throttler storage', () => {
  const windowEndsAt = () => Date.now() + 30_000;

  it('blocks once this window plus the overlapping part of the previous one passes the limit', async () => {
    const halfway = new SharedThrottlerStorage(counters({ current: 6, previous: 10, elapsed: 0.5, windowEndsAt: windowEndsAt() }), logger);
    expect(await halfway.increment('k', 60_000, 10)).toMatchObject({ totalHits: 11, isBlocked: true, timeToBlockExpire: expect.any(Number) });
    const later = new SharedThrottlerStorage(counters({ current: 6, previous: 10, elapsed: 0.9, windowEndsAt: windowEndsAt() }), logger);
    expect(await later.increment('k', 60_000, 10)).toMatchObject({ totalHits: 7, isBlocked: false, timeToBlockExpire: 0 });
  });

  it('says when the window ends, in seconds, for Retry-After', async () => {
    const storage = new SharedThrottlerStorage(counters({ current: 11, previous: 0, elapsed: 0.5, windowEndsAt: windowEndsAt() }), logger);
    const record = await storage.increment('k', 60_000, 10);
    expect(record.timeToBlockExpire).toBeGreaterThanOrEqual(29);
    expect(record.timeToBlockExpire).toBeLessThanOrEqual(30);
  });

  it('lets requests pass when the store cannot count them', async () => {
    const storage = new SharedThrottlerStorage(counters(new Error('store down')), logger);
    expect(await storage.increment('k', 60_000, 10)).toMatchObject({ isBlocked: false });
  });
});
