import { Slots, inParallel, whenSettled } from './concurrency';

describe('inParallel', () => {
  it('runs at most `concurrency` tasks at once and keeps the items\' order in its results', async () => {
    let running = 0;
    let most = 0;
    const results = await inParallel([5, 1, 4, 2, 3], 2, async (n) => {
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, n));
      running--;
      return n * 10;
    });
    expect(results).toEqual([50, 10, 40, 20, 30]);
    expect(most).toBe(2);
  });

  it('whenSettled resolves once that many promises have settled, rejections included', async () => {
    const resolvers: (() => void)[] = [];
    const pending = [0, 1, 2, 3].map(() => new Promise<void>((resolve) => resolvers.push(resolve)));
    const failed = Promise.reject(new Error('an org failed'));
    let done = false;
    const two = whenSettled([...pending, failed], 2).then(() => { done = true; });
    await new Promise((resolve) => setImmediate(resolve));
    expect(done).toBe(false); // only the rejection so far
    resolvers[2]();
    await two;
    expect(done).toBe(true);
    await expect(whenSettled(pending, 0)).resolves.toBeUndefined();
  });
});

describe('Slots', () => {
  it('runs at most its size at once across callers, in the order they came, and frees a slot on failure', async () => {
    const slots = new Slots(2);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const releases: (() => void)[] = [];
    const task = (n: number, fail = false) => slots.run(async () => {
      started.push(n);
      running++;
      most = Math.max(most, running);
      await new Promise<void>((resolve) => releases.push(resolve));
      running--;
      if (fail) throw new Error(`task ${n} failed`);
      return n;
    });
    const results = [task(1, true), task(2), task(3), task(4)];
    const settle = async () => { for (let i = 0; i < 5; i++) await Promise.resolve(); };
    await settle();
    expect(started).toEqual([1, 2]);
    releases.shift()!();
    await expect(results[0]).rejects.toThrow('task 1 failed');
    await settle();
    expect(started).toEqual([1, 2, 3]);
    while (releases.length > 0 || started.length < 4) {
      releases.shift()?.();
      await settle();
    }
    await expect(Promise.all(results.slice(1))).resolves.toEqual([2, 3, 4]);
    expect(most).toBe(2);
  });
});
