import { CombinedCommands, inParallel, whenSettled } from './concurrency';

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

describe('CombinedCommands', () => {
  /** A store that records each command and answers when told to. */
  const store = () => {
    const commands: string[][] = [];
    const answers: ((outcome?: Error | Map<number, unknown>) => void)[] = [];
    const send = (statements: string[]) => new Promise<Map<number, unknown>>((resolve, reject) => {
      commands.push(statements);
      answers.push((outcome) => (outcome instanceof Error ? reject(outcome) : resolve(outcome ?? new Map())));
    });
    /** Answers the oldest command: applied, refused as a whole (an Error), or some statements refused (by index). */
    const answer = async (outcome?: Error | Map<number, unknown>) => {
      for (let i = 0; i < 5; i++) await Promise.resolve();
      answers.shift()!(outcome);
      for (let i = 0; i < 5; i++) await Promise.resolve();
    };
    return { commands, send, answer, inFlight: () => answers.length };
  };

  it('fills each command with the statements of every waiting caller in turn, one command at a time', async () => {
    const s = store();
    const combined = new CombinedCommands(s.send, 4);
    const done: string[] = [];
    const big = combined.write(['b1', 'b2', 'b3', 'b4', 'b5', 'b6']).then(() => done.push('big'));
    const small = combined.write(['s1']).then(() => done.push('small'));
    const pair = combined.write(['p1', 'p2']).then(() => done.push('pair'));
    expect(s.commands).toEqual([['b1', 'b2', 'b3', 'b4']]); // the first caller alone was waiting
    await s.answer();
    expect(s.commands[1]).toEqual(['b5', 's1', 'p1', 'b6']);
    expect(s.inFlight()).toBe(1);
    await s.answer();
    expect([...done].sort()).toEqual(['big', 'small']); // both done with that command; the pair's last is still to go
    expect(s.commands[2]).toEqual(['p2']);
    await s.answer();
    await Promise.all([big, small, pair]);
    expect(done[2]).toBe('pair');
  });

  it('rejects every caller a failed command carried, drops their unsent statements, and goes on with the others', async () => {
    const s = store();
    const combined = new CombinedCommands(s.send, 2);
    const first = combined.write(['a1', 'a2', 'a3']);
    const second = combined.write(['c1']);
    await s.answer(new Error('store down')); // [a1, a2]
    await expect(first).rejects.toThrow('store down');
    expect(s.commands[1]).toEqual(['c1']); // a3 is not sent
    await s.answer();
    await expect(second).resolves.toBeUndefined();
    expect(s.commands).toHaveLength(2);
  });

  it('rejects only the callers of the statements a command refused; the others of that command are applied', async () => {
    const s = store();
    const combined = new CombinedCommands(s.send, 4);
    const first = combined.write(['a1', 'a2']);
    const second = combined.write(['b1']);
    const third = combined.write(['c1']);
    await s.answer(); // [a1, a2]
    expect(s.commands[1]).toEqual(['b1', 'c1']);
    await s.answer(new Map([[1, new Error('duplicate key')]]));
    await expect(first).resolves.toBeUndefined();
    await expect(second).resolves.toBeUndefined();
    await expect(third).rejects.toThrow('duplicate key');
  });
});
