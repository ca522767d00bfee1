import { REBALANCING, SLOW, runOutcome } from './run-cutoff';

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('runOutcome', () => {
  it('is the run’s log lines when it finishes first', async () => {
    const logs = deferred<string[]>();
    const outcome = runOutcome({ logs: logs.promise }, deferred().promise, deferred().promise);
    logs.resolve(['line']);
    await expect(outcome).resolves.toEqual(['line']);
  });

  it('is SLOW when stragglers are due while the run waits on Salesforce', async () => {
    const due = deferred();
    const outcome = runOutcome({ logs: deferred<string[]>().promise, pastSalesforce: false }, due.promise, deferred().promise);
    due.resolve();
    await expect(outcome).resolves.toBe(SLOW);
  });

  it('waits for a run past its Salesforce writes when stragglers are due', async () => {
    const logs = deferred<string[]>();
    const due = deferred();
    const run = { logs: logs.promise, pastSalesforce: false };
    const outcome = runOutcome(run, due.promise, deferred().promise);
    run.pastSalesforce = true; // it got its last answer before stragglers were due
    due.resolve();
    await new Promise(setImmediate);
    logs.resolve(['stored']);
    await expect(outcome).resolves.toEqual(['stored']);
  });

  it('is REBALANCING once the grace is over, even for a run past its Salesforce writes', async () => {
    const due = deferred();
    const handover = deferred();
    const outcome = runOutcome({ logs: deferred<string[]>().promise, pastSalesforce: true }, due.promise, handover.promise);
    due.resolve();
    await new Promise(setImmediate);
    handover.resolve();
    await expect(outcome).resolves.toBe(REBALANCING);
  });
});
