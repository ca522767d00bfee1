/** Runs a task per item, `concurrency` at a time; results in the items' order. */
export async function inParallel<T, R>(items: T[], concurrency: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

/** Resolves once `count` of the promises have settled, fulfilled or rejected (at once when `count` ≤ 0). */
export function whenSettled(promises: Promise<unknown>[], count: number): Promise<void> {
  return new Promise((resolve) => {
    if (count <= 0) return resolve();
    let settled = 0;
    for (const p of promises) void p.then(() => undefined, () => undefined).then(() => { if (++settled === count) resolve(); });
  });
}

/** At most `size` tasks run at once across every caller; the others wait their turn, first come first served. */
export class Slots {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly size: number) {}

  async run<R>(task: () => Promise<R>): Promise<R> {
    if (this.running >= this.size) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next(); // the slot passes on as it is
      else this.running--;
    }
  }
}
