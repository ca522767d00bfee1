export const SLOW = 'slow';
export const REBALANCING = 'rebalancing';

/** What a flush knows of one connection's run while it waits for it. */
export interface RunProgress<T> {
  logs: Promise<T>;
  /** Its Salesforce writes are done; it is storing links and logging (the store's and Kafka's pace, not its org's). */
  pastSalesforce?: boolean;
}

/**
 * What a flush takes of one run: its log lines, or why it stops waiting (SLOW once stragglers are due,
 * REBALANCING once the group's grace is over). A run past its Salesforce writes when stragglers are due is
 * waited for: what it has left is the store's work, and parking its events would only add to it.
 */
export function runOutcome<T>(run: RunProgress<T>, stragglersDue: Promise<void>, handoverDue: Promise<void>): Promise<T | typeof SLOW | typeof REBALANCING> {
  const slow = stragglersDue.then<T | typeof SLOW>(() => (run.pastSalesforce ? run.logs : SLOW));
  return Promise.race([run.logs, slow, handoverDue.then<typeof REBALANCING>(() => REBALANCING)]);
}
