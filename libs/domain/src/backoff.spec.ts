import { backoffDelay } from './backoff';

describe('backoffDelay', () => {
  const policy = { initialMs: 100, maxMs: 1000 };

  it('doubles the ceiling per attempt up to the maximum, with equal jitter between half and all of it', () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, policy, () => 1))).toEqual([100, 200, 400, 800, 1000]);
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, policy, () => 0))).toEqual([50, 100, 200, 400, 500]);
  });

  it('stays finite and capped for any attempt count, and takes attempt 0 as the first', () => {
    expect(backoffDelay(10_000, policy, () => 1)).toBe(1000);
    expect(backoffDelay(0, policy, () => 1)).toBe(100);
  });
});
