import { inParallel, whenSettled } from './concurrency';

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
