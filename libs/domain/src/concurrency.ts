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

interface Caller<S> {
  statements: S[];
  /** The next statement not yet in a command, and how many are still unsent or in flight. */
  next: number;
  left: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Statements of every caller in a process, sent as commands of at most `perCommand` statements, one command at a
 * time. A command takes one waiting statement of each caller in turn (earliest caller first), so a big batch shares
 * commands with small ones instead of holding them back, and many small callers fill one command together. A
 * caller's promise resolves once all its statements are applied. `send` answers the statements that failed, by
 * index in the command: only their callers are rejected. A command that fails as a whole (it throws) rejects every
 * caller it carried. A rejected caller's statements not yet sent are dropped; those applied stay written.
 */
export class CombinedCommands<S> {
  private readonly callers: Caller<S>[] = [];
  private sending = false;

  constructor(private readonly send: (statements: S[]) => Promise<Map<number, unknown>>, private readonly perCommand: number) {}

  write(statements: S[]): Promise<void> {
    if (statements.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.callers.push({ statements, next: 0, left: statements.length, resolve, reject });
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      while (this.callers.length > 0) {
        const taken = this.nextCommand();
        if (taken.length === 0) break;
        const failed = await this.send(taken.map(([, statement]) => statement)).catch((error: unknown) => new Map(taken.map((_, index) => [index, error])));
        for (const [index, error] of failed) {
          const caller = taken[index]?.[0];
          if (caller && this.callers.includes(caller)) this.remove(caller).reject(error);
        }
        for (const [caller] of taken) {
          caller.left--;
          if (caller.left === 0 && this.callers.includes(caller)) this.remove(caller).resolve();
        }
      }
    } finally {
      this.sending = false;
    }
  }

  private nextCommand(): [Caller<S>, S][] {
    const taken: [Caller<S>, S][] = [];
    for (let more = true; more && taken.length < this.perCommand; ) {
      more = false;
      for (const caller of this.callers) {
        if (taken.length === this.perCommand) break;
        if (caller.next === caller.statements.length) continue;
        taken.push([caller, caller.statements[caller.next++]]);
        more = true;
      }
    }
    return taken;
  }

  private remove(caller: Caller<S>): Caller<S> {
    this.callers.splice(this.callers.indexOf(caller), 1);
    return caller;
  }
}
