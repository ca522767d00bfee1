import { CallPace, DEFAULT_CALL_PACE } from './call-pace';

/** A pace on a clock the test moves, and calls that take what the test says. */
function paced() {
  let now = 0;
  const pace = new CallPace({ ...DEFAULT_CALL_PACE, now: () => now });
  const call = (ms: number) => pace.run(async () => { now += ms; });
  return { pace, call };
}

describe('CallPace', () => {
  it('starts at the minimum width and widens as the org answers slowly', async () => {
    const { pace, call } = paced();
    expect(pace.width).toBe(4);
    for (let i = 0; i < 30; i++) await call(1200); // a realistic org's 200-record Collections call
    expect(pace.averageMs).toBeGreaterThan(1000);
    expect(pace.width).toBe(12);
    for (let i = 0; i < 30; i++) await call(4000); // an org with heavy automation
    expect(pace.width).toBe(40);
  });

  it('stays at the minimum for a fast org', async () => {
    const { pace, call } = paced();
    for (let i = 0; i < 30; i++) await call(40);
    expect(pace.width).toBe(4);
  });

  it('keeps calls that near 20 s under the long-running limit with a margin', async () => {
    const { pace, call } = paced();
    for (let i = 0; i < 30; i++) await call(18_000);
    expect(pace.width).toBe(20);
  });

  it('halves after a REQUEST_LIMIT_EXCEEDED, and widens again once the hold is over', async () => {
    let now = 0;
    const pace = new CallPace({ ...DEFAULT_CALL_PACE, now: () => now });
    for (let i = 0; i < 30; i++) await pace.run(async () => { now += 2000; });
    expect(pace.width).toBe(20);
    pace.limitExceeded();
    expect(pace.width).toBe(10);
    now += DEFAULT_CALL_PACE.refusalHoldMs;
    expect(pace.width).toBe(20);
  });

  it('never has more calls in flight than its width; the rest wait and all complete', async () => {
    const pace = new CallPace();
    let inFlight = 0;
    let most = 0;
    const releases: (() => void)[] = [];
    const calls = Array.from({ length: 10 }, () => pace.run(async () => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise<void>((resolve) => releases.push(resolve));
      inFlight -= 1;
    }));
    await new Promise((resolve) => setImmediate(resolve));
    expect(releases).toHaveLength(4);
    while (releases.length > 0) {
      releases.shift()!();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(calls);
    expect(most).toBe(4);
  });
});
